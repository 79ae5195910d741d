"""What the platform needs from a payment provider (a bank, an intermediary such as VNPay, NAPAS, PayGov).

The platform speaks to a provider in three moments:

1. ``pay_url``: where to send the citizen's browser to pay an order (a redirect with signed parameters);
2. ``parse_callback``: read and **verify** what the provider sends back, either server-to-server (IPN) or through the
   citizen's browser (return URL), into a :class:`Callback` — or refuse it with :class:`CallbackRefused`;
3. ``settlement``: the provider's list of settled transactions of a day, for reconciliation (and
   ``parse_settlement_csv`` for the same list uploaded as a file).

Everything else — which states are allowed, idempotency, the dossier — is the platform's (``services.py``), so a new
provider only implements this class. See docs/payments.md.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from tinhso.core.errors import DomainError

#: Where a callback carries the order reference and the provider's transaction number (the platform's protocol,
#: docs/payments.md); the callback log reads them even from callbacks it refuses.
REFERENCE_FIELDS = ("ts_order_ref", "ts_txn_no")


class CallbackRefused(DomainError):
    """A callback that is not accepted. ``code`` is stable; the provider gets it back with ``status``."""

    def __init__(self, code: str, message: str, *, status: int = 409, signature_valid: bool = False):
        super().__init__(code, message)
        self.status = status
        self.signature_valid = signature_valid


@dataclass(frozen=True)
class Callback:
    """A verified callback: what the provider says happened to one order."""

    order_ref: str
    amount: int  # đồng
    currency: str
    provider_txn: str
    success: bool
    response_code: str
    pay_date: datetime | None = None
    bank_code: str = ""
    cancelled: bool = False
    response_text: str = ""
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SettlementRow:
    """One line of a provider's settlement list."""

    provider_txn: str
    order_ref: str
    amount: int
    currency: str
    paid_at: datetime
    bank_code: str = ""


class PaymentProvider(ABC):
    code: str = ""
    name: str = ""
    #: Shown to citizens and printed on receipts when payments are not real money.
    is_test: bool = False

    @abstractmethod
    def pay_url(self, payment, *, return_url: str, client_ip: str) -> str:
        """The URL the citizen's browser is sent to for paying ``payment`` (signed)."""

    @abstractmethod
    def parse_callback(self, params: Mapping[str, str]) -> Callback:
        """Verify ``params`` (signature, merchant, well-formed fields) or raise :class:`CallbackRefused`."""

    @abstractmethod
    def settlement(self, day: date) -> list[SettlementRow]:
        """The provider's successful transactions of ``day`` (local date)."""

    @abstractmethod
    def parse_settlement_csv(self, data: bytes) -> list[SettlementRow]:
        """The same list from a file the provider delivered; raises ``DomainError`` on a malformed file."""

    def acknowledgement(self, code: str) -> str:
        """The provider's own answer code for an IPN outcome (``confirmed``, ``already_confirmed``, a refusal)."""
        return code
