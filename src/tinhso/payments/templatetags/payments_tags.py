"""Template tags of the payment panels: the dossier's payment state, read once per panel."""

from django import template

from .. import queries, services

register = template.Library()


@register.simple_tag
def dossier_payments(dossier):
    return queries.dossier_payments(dossier)


@register.simple_tag
def can_manage_fee(user, dossier) -> bool:
    return services.can_manage_fee(user, dossier)


@register.filter
def state_tone(state: str) -> str:
    """Colour of a state pill: done, waiting for the citizen, neutral."""
    return {"paid": "ok", "paid_online": "ok", "paid_at_desk": "ok", "waived": "ok", "unpaid": "act",
            "requested": "act", "pending": "wait", "failed": "end", "cancelled": "draft",
            "expired": "draft"}.get(state, "wait")


@register.filter
def dong(amount) -> str:
    """``1.500.000 đồng``; 0 is ``0 đồng`` (not "Miễn phí"); nothing is ``—``."""
    if amount is None or amount == "":
        return "—"
    return f"{int(amount):,}".replace(",", ".") + " đồng"
