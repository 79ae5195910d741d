"""Role and agency-scope checks used by the service layer (never by templates alone).

A role held in an agency covers that agency and every agency below it in the tree; an administrator of the
provincial People's Committee covers the whole province.
"""

import time
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser

from .errors import Forbidden
from .models import Agency, Membership, Role, User

#: The agency tree (pk → parent pk), read once and kept briefly: every permission check walks it, and the tree
#: changes rarely. ``invalidate`` is called when an agency is saved here; other app servers follow within a minute.
TREE_CACHE_SECONDS = 60.0
_tree: tuple[float, dict[int, int | None]] | None = None


def invalidate() -> None:
    global _tree
    _tree = None


def _parents() -> dict[int, int | None]:
    global _tree
    now = time.monotonic()
    if _tree is None or _tree[0] <= now:
        _tree = (now + TREE_CACHE_SECONDS, dict(Agency.objects.values_list("pk", "parent_id")))
    return _tree[1]


def _children_map() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in _parents().items():
        children.setdefault(parent_id, []).append(pk)
    return children


def ancestors_and_self(agency_id: int) -> set[int]:
    parents, chain, node = _parents(), set(), agency_id
    if agency_id not in parents:  # created since the tree was read
        invalidate()
        parents = _parents()
    while node is not None and node not in chain:
        chain.add(node)
        node = parents.get(node)
    return chain


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
    return memberships(user, roles).filter(agency_id__in=ancestors_and_self(agency.pk)).exists()


def require_role(user: User | AnonymousUser, roles: Iterable[str], agency: Agency | None = None) -> None:
    roles = list(roles)
    if not has_role(user, roles, agency):
        names = ", ".join(str(Role(r).label) for r in roles)
        where = f" tại {agency.name}" if agency is not None else ""
        raise Forbidden(f"Thao tác này cần vai trò: {names}{where}.")
