"""Vietnamese number formatting for templates: 1.500.000 đồng."""

from django import template

register = template.Library()


def format_vnd(amount: int | None) -> str:
    if amount is None:
        return ""
    if amount == 0:
        return "Miễn phí"
    return f"{amount:,}".replace(",", ".") + " đồng"


@register.filter
def vnd(amount):
    return format_vnd(amount)
