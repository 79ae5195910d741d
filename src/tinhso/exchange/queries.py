"""Reads of the exchange shared by pages and the admin: what a document's page shows about its exchange."""

from dataclasses import dataclass, field

from .edxml import StatusCode
from .models import MessageKind, OutboxMessage, ReceivedDocument, ReceivedStatus


@dataclass
class RecipientRow:
    """One outside recipient of an outgoing document: how its packages went, what it reported."""

    code: str
    name: str
    peer: str = ""
    package: OutboxMessage | None = None  # the latest document package (new, update, revocation)
    statuses: list[ReceivedStatus] = field(default_factory=list)

    @property
    def latest(self) -> ReceivedStatus | None:
        return self.statuses[-1] if self.statuses else None


@dataclass
class ExchangeView:
    direction: str
    recipients: list[RecipientRow] = field(default_factory=list)
    received: ReceivedDocument | None = None
    replies: list[OutboxMessage] = field(default_factory=list)  # statuses this platform sent about it
    reports: list[ReceivedStatus] = field(default_factory=list)  # statuses the sender sent about it (13)
    can_change: bool = False

    @property
    def empty(self) -> bool:
        return not (self.recipients or self.received)


def for_document(document, deliveries=None) -> ExchangeView:
    """The exchange side of ``document`` in a fixed number of queries."""
    if document.direction == "in":
        view = ExchangeView("in")
        view.received = ReceivedDocument.objects.select_related("peer").filter(document=document).first()
        if view.received is not None:
            view.replies = list(OutboxMessage.objects.filter(document=document, kind=MessageKind.STATUS)
                                .order_by("id"))
            view.reports = list(ReceivedStatus.objects.filter(document=document).order_by("timestamp", "id"))
        return view
    view = ExchangeView("out")
    deliveries = deliveries if deliveries is not None else list(document.deliveries.filter(channel="edxml"))
    packages: dict[str, OutboxMessage] = {}
    for row in (OutboxMessage.objects.filter(document=document, kind=MessageKind.DOCUMENT).select_related("peer")
                .order_by("id")):
        packages[row.recipient] = row
    statuses: dict[str, list[ReceivedStatus]] = {}
    for row in ReceivedStatus.objects.filter(document=document).order_by("timestamp", "id"):
        statuses.setdefault(row.reporter, []).append(row)
    for delivery in deliveries:
        if delivery.channel != "edxml":
            continue
        package = packages.get(delivery.recipient_code)
        view.recipients.append(RecipientRow(
            code=delivery.recipient_code, name=delivery.recipient_name,
            peer=package.peer.name if package else "", package=package,
            statuses=statuses.get(delivery.recipient_code, [])))
    return view


def status_label(code: str) -> str:
    try:
        return StatusCode(code).label
    except ValueError:
        return code
