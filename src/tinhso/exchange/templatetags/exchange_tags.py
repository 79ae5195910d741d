"""``{% exchange_panel document %}``: the exchange section of a document's page (recipients on other platforms and
their reported status, recall and update for the sender's clerk; for a received document, where it came from and
what was reported back)."""

from django import template
from django.template.loader import render_to_string

from tinhso.documents import queries as documents_queries

from .. import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def exchange_panel(context, document) -> str:
    view = queries.for_document(document)
    if view.empty:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    if view.direction == "out" and user is not None and document.status == "issued":
        view.can_change = any(r.package is not None and r.package.business_type != 1
                              and r.package.state != "cancelled" for r in view.recipients
                              ) and "deliver" in documents_queries.allowed_actions(user, document)
    return render_to_string("exchange/_document_panel.html", {"document": document, "x": view}, request=request)
