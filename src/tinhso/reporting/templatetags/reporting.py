"""Vietnamese figures for the statistics pages: 1.234 hồ sơ, 95,13 %, "không có dữ liệu"."""

from decimal import Decimal

from django import template

from tinhso.reporting import queries

register = template.Library()
NO_DATA = "không có dữ liệu"


def _vn(text: str) -> str:
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


@register.filter
def num(value) -> str:
    """1234 → 1.234; 3.5 → 3,5; None → không có dữ liệu."""
    if value is None or value == "":
        return NO_DATA
    if isinstance(value, Decimal | float):
        text = f"{value:,.2f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return _vn(text)
    return _vn(f"{value:,}")


@register.filter
def pct(value) -> str:
    return NO_DATA if value is None else f"{num(value)}%"


@register.filter
def scoreboard_viewer(user) -> bool:
    """Whether the signed-in user may open the QĐ 766 scoreboard (for the navigation link)."""
    return queries.viewer_for(user) is not None
