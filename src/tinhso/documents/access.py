"""Who may see and do what with documents, on top of ``core.permissions`` (a role covers its agency's subtree).

- A clerk (văn thư) keeps the registers of the agencies in their clerk scope, and of the agencies whose clerk office
  (``ClerkOffice``, else a direct sub-agency named "Văn phòng …") is in that scope: the clerk of "Văn phòng UBND
  tỉnh" registers and issues the documents of "UBND tỉnh" (not those of every department below it).
- Anyone sees the documents of the agencies in their agency scope (any role), the documents assigned to a unit in
  that scope or to them, the drafts of units in that scope, and what they created.
"""

from django.db.models import Q

from tinhso.core import permissions
from tinhso.core.models import Agency, Role, User
from tinhso.core.text import fold

from .models import Assignment, ClerkOffice

OFFICE_PREFIX = "van phong"


def offices_of(agency: Agency) -> set[int]:
    """Ids of the units whose clerks keep ``agency``'s registers (besides the agency itself)."""
    explicit = ClerkOffice.objects.filter(agency=agency).values_list("office_id", flat=True).first()
    if explicit is not None:
        return {explicit}
    return {pk for pk, name in agency.children.filter(is_active=True).values_list("pk", "name")
            if fold(name).startswith(OFFICE_PREFIX)}


def clerk_agencies(user: User) -> set[int]:
    """Ids of the agencies whose registers ``user`` keeps as a clerk."""
    scope = permissions.agency_scope(user, [Role.CLERK])
    if not scope:
        return set()
    served = set(ClerkOffice.objects.filter(office_id__in=scope).values_list("agency_id", flat=True))
    explicit = set(ClerkOffice.objects.values_list("agency_id", flat=True))
    for parent_id, name in Agency.objects.filter(pk__in=scope, parent__isnull=False).values_list(
            "parent_id", "name"):
        if parent_id not in explicit and fold(name).startswith(OFFICE_PREFIX):
            served.add(parent_id)
    return scope | served


def is_clerk_for(user: User, agency: Agency) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return agency.pk in clerk_agencies(user)


def _scope(user: User) -> set[int]:
    """Agency scope (any role) plus clerk agencies, computed once per user object: Django builds the user anew for
    every request, so a page that lists several boxes computes it once."""
    cached = user.__dict__.get("_documents_scope")
    if cached is None:
        cached = user.__dict__["_documents_scope"] = permissions.agency_scope(user) | clerk_agencies(user)
    return cached


def visible_filter(user: User) -> Q:
    """The documents ``user`` may see, as a filter on ``Document`` (nothing for non-staff users)."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.STAFF:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    scope = _scope(user)
    # The assignments as a subquery, not a join: one row per document (no DISTINCT or "pk IN" wrapper needed), and
    # PostgreSQL checks it as a hashed set while reading the rows a search's trigram index points to.
    assigned = Assignment.objects.filter(Q(agency_id__in=scope) | Q(user=user) | Q(handler=user)).values("document_id")
    return Q(agency_id__in=scope) | Q(unit_id__in=scope) | Q(created_by=user) | Q(pk__in=assigned)


#: Above this many documents assigned to a user's units, ``visible_parts`` keeps the assignments as a subquery.
ASSIGNED_LIST_LIMIT = 5000


def visible_parts(user: User) -> tuple[set[int] | None, Q]:
    """``visible_filter`` in two parts, for searches that read each agency's documents newest first: the agencies
    whose documents ``user`` sees (None: all, a superuser), and the filter of the other documents they see (drafted
    in their units, assigned to them or their units, created by them). ``visible_filter(user)`` is exactly
    ``Q(agency_id__in=agencies) | extra``. The assigned documents are listed (up to ``ASSIGNED_LIST_LIMIT``) so that
    PostgreSQL finds the extra documents from indexes alone."""
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.STAFF:
        return set(), Q(pk__in=[])
    if user.is_superuser:
        return None, Q(pk__in=[])
    scope = _scope(user)
    assigned = Assignment.objects.filter(Q(agency_id__in=scope) | Q(user=user) | Q(handler=user)).values("document_id")
    listed = list(assigned.order_by().distinct()[:ASSIGNED_LIST_LIMIT + 1].values_list("document_id", flat=True))
    if len(listed) <= ASSIGNED_LIST_LIMIT:
        assigned = listed
    return set(scope), Q(unit_id__in=scope) | Q(created_by=user) | Q(pk__in=assigned)


def is_staff(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.kind == User.Kind.STAFF
                and (user.is_superuser or permissions.memberships(user).exists()))
