"""Role and agency-scope checks used by the service layer (never by templates alone).

A role held in an agency covers that agency and every agency below it in the tree; an administrator of the
provincial People's Committee covers the whole province.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser

from .errors import Forbidden
from .models import Agency, Membership, Role, User


def _children_map() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Agency.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    return children


def descendants(agency_ids: Iterable[int]) -> set[int]:
    """The given agencies and every agency below them."""
    children = _children_map()
    seen: set[int] = set()
    stack = list(agency_ids)
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        stack.extend(children.get(pk, ()))
    return seen


def memberships(user: User | AnonymousUser, roles: Iterable[str] | None = None):
    if not getattr(user, "is_authenticated", False) or user.kind != User.Kind.STAFF:
        return Membership.objects.none()
    qs = Membership.objects.filter(user=user, is_active=True, agency__is_active=True)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return qs


def agency_scope(user: User | AnonymousUser, roles: Iterable[str] | None = None) -> set[int]:
    """Ids of the agencies where ``user`` holds one of ``roles`` (any role when ``None``), with their sub-agencies."""
    if getattr(user, "is_superuser", False):
        return set(Agency.objects.values_list("pk", flat=True))
    return descendants(memberships(user, roles).values_list("agency_id", flat=True))


def has_role(user: User | AnonymousUser, roles: Iterable[str], agency: Agency | None = None) -> bool:
    """Whether ``user`` holds one of ``roles`` for ``agency`` (or anywhere, when ``agency`` is ``None``)."""
    roles = list(roles)
    if getattr(user, "is_superuser", False):
        return True
    if agency is None:
        return memberships(user, roles).exists()
    return agency.pk in agency_scope(user, roles)


def require_role(user: User | AnonymousUser, roles: Iterable[str], agency: Agency | None = None) -> None:
    roles = list(roles)
    if not has_role(user, roles, agency):
        names = ", ".join(str(Role(r).label) for r in roles)
        where = f" tại {agency.name}" if agency is not None else ""
        raise Forbidden(f"Thao tác này cần vai trò: {names}{where}.")
