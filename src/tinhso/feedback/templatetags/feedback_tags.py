"""Data for the feedback panels shown in other apps' pages (``settings.TINHSO["PANELS"]``): each tag returns what
the panel shows, and the panel template renders it with the page's own context (``request``, ``csrf_token``)."""

from django import template

from .. import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def feedback_citizen_panel(context, dossier):
    return queries.citizen_panel(dossier, context.get("user"))


@register.simple_tag
def feedback_lookup_panel(code, factor):
    return queries.lookup_panel(code or "", factor or "")


@register.simple_tag(takes_context=True)
def feedback_staff_panel(context, dossier):
    return queries.staff_panel(dossier, context.get("user"))
