"""Reads shared by the pages, the panels and the API: a dossier's payment state (one function, so that every view says
the same thing), who may see it, and the reconciliation report.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import Forbidden, NotFound
from tinhso.core.models import Role
from tinhso.onestop import queries as onestop_queries
from tinhso.onestop import queries_public as onestop_public
from tinhso.onestop.models import Dossier, Status
from tinhso.onestop.models import PaymentState as DossierPaymentState

from . import fees, providers, services
from .models import OPEN_STATES, Payment, PaymentState, Purpose
from .providers.base import SettlementRow

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Who reads the reconciliation report: the desks that collect and the agency's leaders.
RECONCILIATION_ROLES = (Role.RECEIVING_OFFICER, Role.AGENCY_LEADER)


# --- who sees what ------------------------------------------------------------------------------------------------

def dossier_for(user, pk: int) -> Dossier:
    """A dossier its applicant or a staff member who sees it (onestop's visibility) may read; else ``NotFound``."""
    if getattr(user, "is_authenticated", False) and getattr(user, "is_applicant", False):
        dossier = onestop_public.my_dossiers(user).filter(pk=pk, is_draft=False).first()
        if dossier is None:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        return dossier
    dossier = onestop_queries.visible_dossiers(user).filter(pk=pk).select_related(
        "channel", "procedure_version__procedure", "receiving_agency", "handling_agency").first()
    if dossier is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return dossier


def payment_for(user, order_ref: str) -> Payment:
    """One payment, for the dossier's applicant or the staff who see the dossier."""
    payment = Payment.objects.select_related("dossier").filter(order_ref=order_ref[:40]).first()
    if payment is None:
        raise NotFound("payment_not_found", "Không tìm thấy giao dịch thanh toán.")
    dossier_for(user, payment.dossier_id)
    return payment


# --- a dossier's payment state ------------------------------------------------------------------------------------

FEE_LABELS = {
    "none": "Không thu phí, lệ phí",
    "unknown": "Cơ quan sẽ thông báo số tiền",
    "unpaid": "Chưa thanh toán",
    "requested": "Chờ thanh toán",
    "paid": "Đã thanh toán",
    "waived": "Miễn phí, lệ phí",
}
OBLIGATION_LABELS = {
    "none": "",
    "requested": "Chờ thanh toán",
    "paid_online": "Đã thanh toán",
    "paid_at_desk": "Đã xác nhận nộp tiền tại Bộ phận Một cửa",
}


@dataclass
class FeeStatus:
    state: str
    amount: int | None
    quote: fees.Quote | None = None
    can_pay: bool = False

    @property
    def label(self) -> str:
        return FEE_LABELS[self.state]


@dataclass
class ObligationStatus:
    state: str
    amount: int | None
    can_pay: bool = False

    @property
    def label(self) -> str:
        return OBLIGATION_LABELS[self.state]


@dataclass
class DossierPayments:
    dossier: Dossier
    fee: FeeStatus
    obligation: ObligationStatus
    payments: list[Payment] = field(default_factory=list)
    online: bool = False  # a provider is configured
    provider_name: str = ""
    provider_is_test: bool = False

    @property
    def payment_state(self) -> str:
        return self.dossier.payment_state

    @property
    def payment_state_label(self) -> str:
        return str(DossierPaymentState(self.dossier.payment_state).label)

    @property
    def pending(self) -> list[Payment]:
        return [p for p in self.payments if p.state in OPEN_STATES]

    @property
    def paid(self) -> list[Payment]:
        return [p for p in self.payments if p.state == PaymentState.PAID]

    @property
    def relevant(self) -> bool:
        return self.fee.state != "none" or self.obligation.state != "none" or bool(self.payments)


def _fee_status(dossier: Dossier, online: bool) -> FeeStatus:
    state = dossier.payment_state
    payable = not dossier.is_draft and dossier.status not in services.NOT_PAYABLE_STATUSES
    if state == DossierPaymentState.WAIVED:
        return FeeStatus("waived", dossier.fee_amount)
    if state == DossierPaymentState.REQUESTED:
        return FeeStatus("requested", dossier.fee_amount, can_pay=online and payable)
    if state == DossierPaymentState.PAID and dossier.fee_amount:
        return FeeStatus("paid", dossier.fee_amount)
    quote = services.fee_quote(dossier)
    if not quote.lines or (quote.complete and not quote.total):
        return FeeStatus("none", 0, quote)
    if not quote.complete:
        return FeeStatus("unknown", None, quote)
    return FeeStatus("unpaid", quote.total, quote, can_pay=online and payable)


def _obligation_status(dossier: Dossier, payments: list[Payment], online: bool) -> ObligationStatus:
    if dossier.status == Status.FINANCIAL and dossier.amount_due:
        round_ = services.obligation_round(dossier)
        if not any(p.purpose == Purpose.OBLIGATION and p.round == round_ and p.state == PaymentState.PAID
                   for p in payments):
            return ObligationStatus("requested", dossier.amount_due, can_pay=online)
    if not dossier.amount_due:
        return ObligationStatus("none", None)
    paid_online = [p for p in payments if p.purpose == Purpose.OBLIGATION and p.state == PaymentState.PAID]
    if paid_online:
        return ObligationStatus("paid_online", paid_online[0].amount)
    return ObligationStatus("paid_at_desk", dossier.amount_due)


def dossier_payments(dossier: Dossier) -> DossierPayments:
    """The payment state of a dossier as every view shows it: from the dossier row and its payments, nothing else."""
    try:
        provider = providers.configured()
    except providers.ProviderUnavailable:
        provider = None
    payments = list(Payment.objects.filter(dossier=dossier).order_by("-created_at", "-id"))
    return DossierPayments(
        dossier=dossier, fee=_fee_status(dossier, provider is not None),
        obligation=_obligation_status(dossier, payments, provider is not None), payments=payments,
        online=provider is not None, provider_name=provider.name if provider else "",
        provider_is_test=bool(provider and provider.is_test))


def as_dict(view: DossierPayments) -> dict:
    """The API's form of :func:`dossier_payments`."""
    dossier = view.dossier
    return {
        "dossier_id": dossier.pk, "dossier_code": dossier.code,
        "payment_state": dossier.payment_state, "payment_state_label": view.payment_state_label,
        "fee_amount": dossier.fee_amount, "paid_online": dossier.paid_online, "paid_at": dossier.paid_at,
        "fee": {"state": view.fee.state, "label": view.fee.label, "amount": view.fee.amount,
                "can_pay": view.fee.can_pay,
                "quote": view.fee.quote.as_dict() if view.fee.quote is not None else None},
        "obligation": {"state": view.obligation.state, "label": view.obligation.label,
                       "amount": view.obligation.amount, "can_pay": view.obligation.can_pay},
        "online_payment": view.online, "provider": view.provider_name, "provider_is_test": view.provider_is_test,
        "payments": [payment_dict(p) for p in view.payments],
    }


def payment_dict(p: Payment) -> dict:
    from django.urls import reverse

    return {"order_ref": p.order_ref, "purpose": p.purpose, "purpose_label": p.get_purpose_display(),
            "amount": p.amount, "currency": p.currency, "provider": p.provider, "state": p.state,
            "state_label": p.get_state_display(), "provider_txn": p.provider_txn, "created_at": p.created_at,
            "expires_at": p.expires_at, "paid_at": p.paid_at, "receipt_number": p.receipt_number,
            "receipt_url": reverse("payments:receipt", args=[p.order_ref]) if p.state == PaymentState.PAID else None}


# --- reconciliation -----------------------------------------------------------------------------------------------

MATCHED, AMOUNT_DIFFERS, MISSING_OURS, MISSING_PROVIDER = "matched", "amount_differs", "missing_ours", \
    "missing_provider"
CATEGORY_LABELS = {
    MATCHED: "Khớp",
    AMOUNT_DIFFERS: "Lệch số tiền",
    MISSING_OURS: "Cổng có, hệ thống không ghi nhận",
    MISSING_PROVIDER: "Hệ thống có, cổng không có",
}


def reconciliation_scope(user) -> set[int] | None:
    """Agency ids whose payments ``user`` may reconcile (``None``: every agency); ``Forbidden`` for others."""
    if getattr(user, "is_superuser", False):
        return None
    if not getattr(user, "is_authenticated", False) or not permissions.has_role(user, RECONCILIATION_ROLES):
        raise Forbidden("Đối soát thanh toán dành cho công chức tiếp nhận và lãnh đạo cơ quan.")
    if permissions.has_role(user, [Role.ADMINISTRATOR]):
        return None
    return permissions.agency_scope(user, RECONCILIATION_ROLES)


def _scoped(qs, scope: set[int] | None):
    if scope is None:
        return qs
    return qs.filter(Q(dossier__receiving_agency_id__in=scope) | Q(dossier__handling_agency_id__in=scope))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=VIETNAM)
    return start, start + timedelta(days=1)


@dataclass
class ReconRow:
    category: str
    order_ref: str
    provider_txn: str
    our_amount: int | None = None
    provider_amount: int | None = None
    paid_at: datetime | None = None
    provider_paid_at: datetime | None = None
    payment: Payment | None = None

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass
class Reconciliation:
    day: date
    provider: str
    source: str  # "provider" (fetched) or "file" (uploaded)
    rows: list[ReconRow]

    def count(self, category: str) -> int:
        return sum(1 for r in self.rows if r.category == category)

    @property
    def summary(self) -> list[tuple[str, str, int]]:
        return [(c, CATEGORY_LABELS[c], self.count(c)) for c in CATEGORY_LABELS]

    @property
    def our_total(self) -> int:
        return sum(r.our_amount or 0 for r in self.rows)

    @property
    def provider_total(self) -> int:
        return sum(r.provider_amount or 0 for r in self.rows)

    @property
    def balanced(self) -> bool:
        return all(r.category == MATCHED for r in self.rows)


def reconcile(user, day: date, *, provider_code: str | None = None,
              provider_rows: list[SettlementRow] | None = None) -> Reconciliation:
    """Our paid payments of ``day`` against the provider's settlement list of that day, matched on the provider's
    transaction number: matched, amount differs, missing on our side (the provider took money we did not record),
    missing on the provider's side."""
    scope = reconciliation_scope(user)
    provider = providers.get(provider_code) if provider_code else providers.configured()
    source = "file" if provider_rows is not None else "provider"
    if provider_rows is None:
        provider_rows = provider.settlement(day)
    start, end = _day_bounds(day)
    ours = list(_scoped(Payment.objects.filter(provider=provider.code, state=PaymentState.PAID, paid_at__gte=start,
                                               paid_at__lt=end), scope)
                .select_related("dossier").order_by("paid_at", "id"))
    by_txn = {p.provider_txn: p for p in ours}
    refs = {r.order_ref for r in provider_rows}
    known = {p.order_ref: p for p in Payment.objects.filter(provider=provider.code, order_ref__in=refs)
             .select_related("dossier")}
    in_scope = {p.pk for p in _scoped(Payment.objects.filter(pk__in=[p.pk for p in known.values()]), scope)}
    rows: list[ReconRow] = []
    seen = set()
    for theirs in provider_rows:
        mine = by_txn.get(theirs.provider_txn)
        if mine is not None:
            seen.add(mine.pk)
            category = MATCHED if mine.amount == theirs.amount and mine.currency == theirs.currency \
                else AMOUNT_DIFFERS
            rows.append(ReconRow(category, theirs.order_ref, theirs.provider_txn, mine.amount, theirs.amount,
                                 mine.paid_at, theirs.paid_at, mine))
            continue
        payment = known.get(theirs.order_ref)
        if payment is not None and payment.pk not in in_scope:
            continue  # another agency's order
        if payment is None and scope is not None:
            continue  # an order unknown here: only the province-wide administrators see it
        rows.append(ReconRow(MISSING_OURS, theirs.order_ref, theirs.provider_txn, None, theirs.amount, None,
                             theirs.paid_at, payment))
    for mine in ours:
        if mine.pk not in seen:
            rows.append(ReconRow(MISSING_PROVIDER, mine.order_ref, mine.provider_txn or "", mine.amount, None,
                                 mine.paid_at, None, mine))
    order = list(CATEGORY_LABELS)
    rows.sort(key=lambda r: (order.index(r.category) if r.category != MATCHED else 9,
                             r.paid_at or r.provider_paid_at or start))
    return Reconciliation(day=day, provider=provider.name, source=source, rows=rows)


def daily_totals(user, *, days: int = 14, until: date | None = None) -> list[dict]:
    """Paid payments per day (count, total) over the last ``days`` days, in ``user``'s scope."""
    scope = reconciliation_scope(user)
    until = until or timezone.localdate()
    start, _ = _day_bounds(until - timedelta(days=days - 1))
    _, end = _day_bounds(until)
    rows = (_scoped(Payment.objects.filter(state=PaymentState.PAID, paid_at__gte=start, paid_at__lt=end), scope)
            .annotate(day=TruncDate("paid_at", tzinfo=VIETNAM)).values("day")
            .annotate(count=Count("id"), total=Sum("amount")).order_by("-day"))
    return [{"day": r["day"], "count": r["count"], "total": r["total"]} for r in rows]
