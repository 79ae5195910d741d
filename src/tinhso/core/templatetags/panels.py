"""Extension points in pages: ``{% panels "dossier.citizen" %}`` renders the panels other apps register for it.

``settings.TINHSO["PANELS"]`` maps a slot name to template names; each is rendered with the page's context. A page
of one app can thus show another app's panel (the payment of a dossier, its rating) without depending on that app.
"""

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str) -> str:
    names = settings.TINHSO.get("PANELS", {}).get(slot, ())
    flat = context.flatten()
    # Each rendered template is safe; joining them gives a plain ``str``, which autoescaping would escape again.
    return mark_safe("".join(get_template(name).render(flat, context.get("request")) for name in names))
