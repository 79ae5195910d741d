"""Every state change of the platform's shared data: one transaction, one audit record each.

Callers (views, API, commands) pass the acting user; permissions are checked here, not in views.
"""

from datetime import date

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import audit, calendars, permissions
from .errors import DomainError
from .middleware import current_request
from .models import Agency, AuditEvent, CalendarOverride, CalendarRuleVersion, Membership, Role, User

ADMIN_ROLES = (Role.ADMINISTRATOR,)
PROVINCE_NAME_CACHE_KEY = "tinhso:province_name"


def record(action: str, *, actor: User | None = None, obj=None, agency: Agency | None = None, summary: str = "",
           data: dict | None = None) -> AuditEvent:
    """Write one audit record, chained to the previous one (``audit.append``), in the caller's transaction.

    ``actor`` None means the system itself (a command, a scheduled task). ``data`` must be JSON (it is stored as the
    database gives it back, so that its hash stays the same). Record after taking the row locks a service needs:
    the chain head stays locked until the transaction ends.
    """
    info = current_request.get()
    return audit.append(AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(str(actor) if actor is not None else "hệ thống")[:200],
        agency=agency,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        data=data or {},
        ip=info.ip if info else "",
        user_agent=info.user_agent if info else "",
    ))


def _validation_error(exc: ValidationError) -> DomainError:
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return DomainError(errors[0].code or "invalid", " ".join(errors[0].messages), field=field)
    return DomainError(exc.error_list[0].code or "invalid", " ".join(exc.messages))


def _require_admin(actor: User | None, agency: Agency | None = None) -> None:
    if actor is not None:  # None: the system (migrations, import commands run by an operator on the server)
        permissions.require_role(actor, ADMIN_ROLES, agency)


# --- agencies ---------------------------------------------------------------------------------------------------

@transaction.atomic
def save_agency(actor: User | None, agency: Agency) -> Agency:
    """Validate and save a new or changed agency (its code, its place in the tree)."""
    _require_admin(actor, agency.parent)
    created = agency.pk is None
    try:
        agency.full_clean()
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    agency.save()
    cache.delete(PROVINCE_NAME_CACHE_KEY)
    permissions.invalidate()
    record("agency.created" if created else "agency.updated", actor=actor, obj=agency, agency=agency,
           summary=f"{agency.code} {agency.name}")
    return agency


@transaction.atomic
def grant_role(actor: User | None, user: User, agency: Agency, role: str, title: str = "") -> Membership:
    _require_admin(actor, agency)
    if user.kind != User.Kind.STAFF:
        raise DomainError("not_staff", "Chỉ tài khoản cán bộ mới được phân vai trò trong cơ quan.")
    membership, created = Membership.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"title": title}
    )
    if not created and (not membership.is_active or membership.title != title):
        membership.is_active, membership.title = True, title or membership.title
        membership.save(update_fields=["is_active", "title"])
    record("role.granted", actor=actor, obj=membership, agency=agency, summary=f"{user} — {Role(role).label}")
    return membership


@transaction.atomic
def revoke_role(actor: User | None, membership: Membership) -> None:
    _require_admin(actor, membership.agency)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    record("role.revoked", actor=actor, obj=membership, agency=membership.agency, summary=str(membership))


# --- people -----------------------------------------------------------------------------------------------------

@transaction.atomic
def register_applicant(*, kind: str, username: str, password: str, full_name: str, identity_number: str = "",
                       tax_code: str = "", phone: str = "", email: str = "") -> User:
    """Create a citizen or business account (the national e-ID sign-in replaces this in production)."""
    if kind not in (User.Kind.CITIZEN, User.Kind.BUSINESS):
        raise DomainError("invalid_kind", "Loại tài khoản không hợp lệ.")
    if (identity_number and User.objects.filter(identity_number=identity_number).exists()) or (
        tax_code and User.objects.filter(tax_code=tax_code).exists()
    ):
        raise DomainError("duplicate_account", "Số định danh hoặc mã số thuế đã có tài khoản.")
    user = User(kind=kind, username=username, full_name=full_name, identity_number=identity_number,
                tax_code=tax_code, phone=phone, email=email)
    user.set_password(password)
    try:
        user.full_clean()
        user.save()
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    except IntegrityError as exc:
        raise DomainError("duplicate_account", "Số định danh hoặc mã số thuế đã có tài khoản.") from exc
    record("account.registered", actor=user, obj=user, summary=full_name)
    return user


# --- calendar ---------------------------------------------------------------------------------------------------

@transaction.atomic
def add_calendar_override(actor: User | None, *, day: date, kind: str, reason: str,
                          agency: Agency | None = None) -> CalendarOverride:
    """Declare an extra day off or a working day. An opposite declaration for the same day and scope is refused."""
    _require_admin(actor, agency)
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi căn cứ (văn bản thông báo nghỉ, làm bù).", field="reason")
    existing = CalendarOverride.objects.select_for_update().filter(agency=agency, day=day).first()
    if existing is not None:
        if existing.kind != kind:
            raise DomainError(
                "calendar_conflict",
                f"Ngày {day:%d/%m/%Y} đã được khai báo là “{existing.get_kind_display().lower()}” "
                f"({existing.reason}); không thể đồng thời là “{CalendarOverride.Kind(kind).label.lower()}”. "
                "Hãy sửa hoặc xóa khai báo cũ trước.",
                field="day",
            )
        return existing
    override = CalendarOverride.objects.create(agency=agency, day=day, kind=kind, reason=reason.strip())
    transaction.on_commit(calendars.invalidate)
    calendars.invalidate()
    record("calendar.override_added", actor=actor, obj=override, agency=agency,
           summary=f"{day:%d/%m/%Y} {override.get_kind_display()}: {reason}")
    return override


@transaction.atomic
def add_calendar_version(actor: User | None, version: CalendarRuleVersion) -> CalendarRuleVersion:
    """Add office hours / days off / cut-off rules from a date on. Past versions are kept for records made then."""
    _require_admin(actor, version.agency)
    try:
        version.full_clean()
        calendars.rule_version_from_model(version)  # validates the shifts
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    except ValueError as exc:
        raise DomainError("calendar_invalid", str(exc), field="shifts") from exc
    version.save()
    transaction.on_commit(calendars.invalidate)
    calendars.invalidate()
    record("calendar.version_added", actor=actor, obj=version, agency=version.agency, summary=str(version))
    return version
