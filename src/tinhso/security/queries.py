"""Reads of the security app: who must use two-factor authentication, who may see security events, the events."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.models import Agency, Membership, Role, User

from . import conf
from .models import RecoveryCode, SecurityEvent, TOTPDevice

EVENT_VIEWER_ROLES = (Role.ADMINISTRATOR,)


def totp_required(user) -> bool:
    """Whether ``user`` must pass a TOTP code to sign in: staff holding one of the configured roles, superusers."""
    if not conf.get("TOTP_ENABLED") or not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    if user.is_superuser:
        return True
    if user.kind != User.Kind.STAFF:
        return False
    return permissions.memberships(user, conf.totp_roles()).exists()


def confirmed_device(user) -> TOTPDevice | None:
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- the events page -------------------------------------------------------------------------------------------------

def can_view_events(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or permissions.has_role(user, EVENT_VIEWER_ROLES)
    )


@dataclass(frozen=True)
class EventFilters:
    kind: str = ""
    q: str = ""  # user name or address, exact prefix
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_for(user, filters: EventFilters | None = None) -> QuerySet[SecurityEvent]:
    """Events ``user`` may see: an administrator of the whole province (or a superuser) sees everything; an
    administrator of an agency sees the events of the accounts working in that agency and below it."""
    if not can_view_events(user):
        return SecurityEvent.objects.none()
    qs = SecurityEvent.objects.select_related("user")
    scope = permissions.agency_scope(user, EVENT_VIEWER_ROLES)
    if not user.is_superuser and scope != set(Agency.objects.values_list("pk", flat=True)):
        members = Membership.objects.filter(agency_id__in=scope)
        # Failed sign-ins are stored without the account (nothing is looked up for them): matched by the name typed.
        qs = qs.filter(Q(user_id__in=members.values("user_id"))
                       | Q(user__isnull=True, username__in=members.values("user__username")))
    filters = filters or EventFilters()
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        needle = filters.q.strip()
        qs = qs.filter(Q(username__istartswith=needle) | Q(ip__startswith=needle)
                       | Q(user__username__istartswith=needle))
    if filters.date_from:
        qs = qs.filter(at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_local_midnight(filters.date_to + timedelta(days=1)))
    return qs.order_by("-at", "-pk")
