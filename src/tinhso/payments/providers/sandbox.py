"""The **sandbox** payment provider: a stand-in for a bank gateway, speaking a VNPay-like protocol (docs/payments.md).

Nothing here moves money. It has two sides, kept apart as they would be in reality:

- the **merchant side** (:class:`SandboxProvider`), what the platform runs: it builds the signed pay URL, verifies
  callbacks, fetches the settlement list;
- the **gateway side** (:class:`Gateway`), what the bank runs: it verifies the pay request, keeps its own ledger
  (``SandboxTransaction``), signs the callbacks, sends the server-to-server notification (IPN) and the browser back.

The gateway's pages are served under ``/thanh-toan/sandbox/`` only when ``TINHSO["PAYMENT"]["SANDBOX_ENABLED"]`` is
true (development, demo, tests; never production).

Protocol (version 1). Every parameter starts with ``ts_``; ``ts_secure_hash`` is
``hex(HMAC-SHA512(secret, canonical))`` where ``canonical`` is every other non-empty ``ts_*`` parameter, keys sorted
ascending, form-urlencoded (``k=v&…``, space as ``+``). Dates are ``yyyyMMddHHmmss`` in Vietnam's time (GMT+7);
amounts are đồng × 100.
"""

import csv
import hashlib
import hmac
import io
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.core.text import fold
from tinhso.payments.models import SandboxTransaction

from .base import Callback, CallbackRefused, PaymentProvider, SettlementRow

log = logging.getLogger(__name__)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
VERSION = "1"
PREFIX = "ts_"
HASH_FIELD = "ts_secure_hash"
DATE_FORMAT = "%Y%m%d%H%M%S"

#: Response codes (a subset of VNPay's meaning the same).
SUCCESS = "00"
TIMED_OUT = "11"
CANCELLED = "24"
INSUFFICIENT_FUNDS = "51"
RESPONSE_TEXT = {
    SUCCESS: "Giao dịch thành công",
    TIMED_OUT: "Đã hết hạn chờ thanh toán",
    CANCELLED: "Khách hàng hủy giao dịch",
    INSUFFICIENT_FUNDS: "Tài khoản không đủ số dư",
}
#: The test banks the sandbox offers (not real banks).
BANKS = (("TSBANK", "Ngân hàng thử nghiệm A"), ("TSCARD", "Thẻ thử nghiệm B"))
SETTLEMENT_HEADER = ["txn_no", "order_ref", "amount", "currency", "pay_date", "bank_code", "response_code"]
MAX_SETTLEMENT_BYTES = 2_000_000


def config() -> dict:
    return settings.TINHSO.get("PAYMENT", {})


def enabled() -> bool:
    return bool(config().get("SANDBOX_ENABLED"))


# --- the protocol -------------------------------------------------------------------------------------------------

def canonical(params: Mapping[str, str]) -> str:
    items = sorted((k, str(v)) for k, v in params.items()
                   if k.startswith(PREFIX) and k != HASH_FIELD and v not in ("", None))
    return urlencode(items)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), canonical(params).encode("utf-8"), hashlib.sha512).hexdigest()


def signed(params: Mapping[str, str], secret: str) -> dict[str, str]:
    result = {k: str(v) for k, v in params.items() if v not in ("", None)}
    result[HASH_FIELD] = sign(result, secret)
    return result


def verify(params: Mapping[str, str], secret: str) -> bool:
    received = str(params.get(HASH_FIELD, "")).lower()
    return bool(received) and hmac.compare_digest(sign(params, secret), received)


def format_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime(DATE_FORMAT)


def parse_date(text: str) -> datetime:
    return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=VIETNAM)


def ascii_info(text: str) -> str:
    """Order information without diacritics (as VNPay requires), at most 255 characters."""
    return " ".join(fold(text).replace("/", " ").split())[:255] or "thanh toan"


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 18 else None


# --- merchant side ------------------------------------------------------------------------------------------------

class SandboxProvider(PaymentProvider):
    code = "sandbox"
    name = "Cổng thanh toán thử nghiệm"
    is_test = True

    def __init__(self):
        cfg = config()
        self.merchant = cfg.get("MERCHANT_CODE", "")
        self.secret = cfg.get("SECRET", "")

    def pay_url(self, payment, *, return_url: str, client_ip: str) -> str:
        params = {
            "ts_version": VERSION, "ts_command": "pay", "ts_merchant": self.merchant,
            "ts_order_ref": payment.order_ref, "ts_amount": str(payment.amount * 100),
            "ts_currency": payment.currency, "ts_locale": "vn",
            "ts_order_info": ascii_info(f"Ho so {payment.dossier.code or payment.dossier.pk} - "
                                        f"{payment.get_purpose_display()}"),
            "ts_return_url": return_url, "ts_ip_addr": client_ip or "127.0.0.1",
            "ts_create_date": format_date(payment.created_at), "ts_expire_date": format_date(payment.expires_at),
        }
        base = config().get("SANDBOX_GATEWAY_URL") or reverse("payments:sandbox-pay")
        return f"{base}?{urlencode(signed(params, self.secret))}"

    def parse_callback(self, params: Mapping[str, str]) -> Callback:
        params = {k: str(v) for k, v in params.items()}
        if not params.get(HASH_FIELD):
            raise CallbackRefused("bad_signature", "Thiếu chữ ký (ts_secure_hash).", status=400)
        if not verify(params, self.secret):
            raise CallbackRefused("bad_signature", "Chữ ký không hợp lệ: dữ liệu đã bị sửa hoặc không do cổng "
                                                   "thanh toán gửi.", status=400)
        if params.get("ts_merchant") != self.merchant:
            raise CallbackRefused("wrong_merchant", "Mã đơn vị chấp nhận thanh toán không đúng.", status=400,
                                  signature_valid=True)
        missing = [k for k in ("ts_order_ref", "ts_amount", "ts_currency", "ts_response_code",
                               "ts_transaction_status", "ts_txn_no") if not params.get(k)]
        if missing:
            raise CallbackRefused("malformed", f"Thiếu tham số: {', '.join(missing)}.", status=400,
                                  signature_valid=True)
        raw_amount = _int(params["ts_amount"])
        if raw_amount is None or raw_amount % 100:
            raise CallbackRefused("amount_mismatch", "Số tiền không hợp lệ (phải là số đồng × 100).",
                                  signature_valid=True)
        success = params["ts_response_code"] == SUCCESS and params["ts_transaction_status"] == SUCCESS
        pay_date = None
        if params.get("ts_pay_date"):
            try:
                pay_date = parse_date(params["ts_pay_date"])
            except ValueError as exc:
                raise CallbackRefused("malformed", "Thời điểm thanh toán không hợp lệ.", status=400,
                                      signature_valid=True) from exc
        if success and pay_date is None:
            raise CallbackRefused("malformed", "Thiếu thời điểm thanh toán (ts_pay_date).", status=400,
                                  signature_valid=True)
        return Callback(order_ref=params["ts_order_ref"], amount=raw_amount // 100, currency=params["ts_currency"],
                        provider_txn=params["ts_txn_no"], success=success,
                        response_code=params["ts_response_code"], pay_date=pay_date,
                        bank_code=params.get("ts_bank_code", ""), cancelled=params["ts_response_code"] == CANCELLED,
                        response_text=RESPONSE_TEXT.get(params["ts_response_code"], ""), raw=params)

    def settlement(self, day: date) -> list[SettlementRow]:
        """The sandbox's settlement list of ``day`` (a real provider downloads its file here)."""
        return Gateway().settlement(day)

    def parse_settlement_csv(self, data: bytes) -> list[SettlementRow]:
        return parse_settlement_csv(data)

    def acknowledgement(self, code: str) -> str:
        """VNPay's ``RspCode`` for our outcome codes (docs/payments.md)."""
        return {"confirmed": "00", "recorded": "00", "already_confirmed": "02", "unknown_order": "01",
                "amount_mismatch": "04", "currency_mismatch": "04", "bad_signature": "97"}.get(code, "99")


def parse_settlement_csv(data: bytes) -> list[SettlementRow]:
    """Rows of a settlement file (the sandbox's format, a UTF-8 CSV with a header); refuses malformed files."""
    if len(data) > MAX_SETTLEMENT_BYTES:
        raise DomainError("settlement_too_large", "Tệp đối soát quá lớn (tối đa 2 MB).", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError("settlement_malformed", "Tệp đối soát phải là CSV mã hóa UTF-8.", field="file") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != SETTLEMENT_HEADER:
        raise DomainError("settlement_malformed", "Dòng tiêu đề của tệp đối soát phải là: "
                          + ",".join(SETTLEMENT_HEADER) + ".", field="file")
    rows = []
    for number, line in enumerate(reader, start=2):
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != len(SETTLEMENT_HEADER):
            raise DomainError("settlement_malformed", f"Dòng {number}: cần {len(SETTLEMENT_HEADER)} cột.",
                              field="file")
        txn, ref, amount, currency, pay_date, bank, code = (cell.strip() for cell in line)
        if code != SUCCESS:
            continue
        try:
            paid_at = datetime.fromisoformat(pay_date)
        except ValueError as exc:
            raise DomainError("settlement_malformed", f"Dòng {number}: thời điểm “{pay_date[:30]}” không hợp lệ.",
                              field="file") from exc
        if paid_at.tzinfo is None:
            paid_at = paid_at.replace(tzinfo=VIETNAM)
        if not amount.isdigit() or not txn or not ref:
            raise DomainError("settlement_malformed", f"Dòng {number}: thiếu mã giao dịch, mã đơn hàng hoặc số "
                              "tiền không hợp lệ.", field="file")
        rows.append(SettlementRow(provider_txn=txn[:64], order_ref=ref[:64], amount=int(amount),
                                  currency=currency[:3], paid_at=paid_at, bank_code=bank[:20]))
    return rows


# --- gateway side -------------------------------------------------------------------------------------------------

class GatewayError(DomainError):
    """The gateway refuses a pay request (shown on the gateway's page with its code)."""


@dataclass(frozen=True)
class PayRequest:
    params: dict
    merchant: str
    order_ref: str
    amount: int
    currency: str
    order_info: str
    return_url: str
    created: datetime
    expires: datetime

    @property
    def expired(self) -> bool:
        return timezone.now() > self.expires


class Gateway:
    """The bank's side of the sandbox. It knows the merchants' secrets, not the platform's data."""

    def __init__(self):
        cfg = config()
        self.merchants = {cfg.get("MERCHANT_CODE", ""): cfg.get("SECRET", "")}

    def check(self, params: Mapping[str, str]) -> PayRequest:
        params = {k: str(v) for k, v in params.items() if k.startswith(PREFIX)}
        merchant = params.get("ts_merchant", "")
        secret = self.merchants.get(merchant)
        if secret is None or not merchant:
            raise GatewayError("wrong_merchant", "Mã đơn vị chấp nhận thanh toán không tồn tại.")
        if not verify(params, secret):
            raise GatewayError("bad_signature", "Sai chữ ký: yêu cầu thanh toán đã bị sửa hoặc không hợp lệ.")
        if params.get("ts_version") != VERSION or params.get("ts_command") != "pay":
            raise GatewayError("malformed", "Phiên bản hoặc lệnh không được hỗ trợ.")
        amount = _int(params.get("ts_amount", ""))
        if amount is None or amount <= 0 or amount % 100:
            raise GatewayError("malformed", "Số tiền không hợp lệ.")
        if params.get("ts_currency") != "VND":
            raise GatewayError("currency_not_supported", "Cổng chỉ nhận thanh toán bằng đồng Việt Nam (VND).")
        return_url = params.get("ts_return_url", "")
        if not return_url.startswith(("http://", "https://")):
            raise GatewayError("malformed", "Thiếu địa chỉ quay về (ts_return_url).")
        try:
            created, expires = parse_date(params["ts_create_date"]), parse_date(params["ts_expire_date"])
        except (KeyError, ValueError) as exc:
            raise GatewayError("malformed", "Thời điểm tạo hoặc hết hạn không hợp lệ.") from exc
        if not params.get("ts_order_ref"):
            raise GatewayError("malformed", "Thiếu mã đơn hàng.")
        done = SandboxTransaction.objects.filter(merchant=merchant, order_ref=params["ts_order_ref"])
        if done.exists():
            raise GatewayError("order_processed", "Đơn hàng này đã được xử lý (mã 01); hãy quay lại trang của đơn vị "
                                                  "để tạo yêu cầu thanh toán mới.")
        return PayRequest(params=params, merchant=merchant, order_ref=params["ts_order_ref"], amount=amount // 100,
                          currency="VND", order_info=params.get("ts_order_info", ""), return_url=return_url,
                          created=created, expires=expires)

    def complete(self, request: PayRequest, *, action: str, bank_code: str = "", ipn_url: str = "",
                 response_code: str | None = None):
        """The customer pays or cancels: record the ledger line and sign the callback (IPN is sent separately)."""
        if response_code is None:
            if action == "cancel":
                response_code = CANCELLED
            elif request.expired:
                response_code = TIMED_OUT
            else:
                response_code = SUCCESS
        now = timezone.now()
        txn_no = f"SB{format_date(now)[2:8]}{secrets.randbelow(10**8):08d}"
        status = SUCCESS if response_code == SUCCESS else "02"
        callback = signed({
            "ts_merchant": request.merchant, "ts_order_ref": request.order_ref,
            "ts_amount": str(request.amount * 100), "ts_currency": request.currency, "ts_txn_no": txn_no,
            "ts_bank_code": bank_code if response_code == SUCCESS else "", "ts_pay_date": format_date(now),
            "ts_response_code": response_code, "ts_transaction_status": status,
            "ts_order_info": request.order_info,
        }, self.merchants[request.merchant])
        try:
            with transaction.atomic():
                return SandboxTransaction.objects.create(
                    txn_no=txn_no, merchant=request.merchant, order_ref=request.order_ref, amount=request.amount,
                    currency=request.currency, order_info=request.order_info[:255], bank_code=bank_code[:20],
                    response_code=response_code, created_at=now, return_url=request.return_url, callback=callback,
                    ipn_url=ipn_url)
        except IntegrityError as exc:
            raise GatewayError("order_processed", "Đơn hàng này đã được thanh toán (mã 01).") from exc

    def send_ipn(self, txn, *, timeout: float = 10.0) -> str:
        """POST the signed callback to the merchant's IPN URL; record and return ``delivered``/``refused``/``failed``.

        2xx means the merchant recorded it; 4xx that it refused it for good (no retry); anything else may be retried.
        """
        if not txn.ipn_url:
            txn.ipn_status, txn.ipn_response = "skipped", "Không gửi IPN (cấu hình cổng thử nghiệm)."
            txn.save(update_fields=["ipn_status", "ipn_response"])
            return txn.ipn_status
        body = urlencode(txn.callback).encode("ascii")
        req = urllib.request.Request(txn.ipn_url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (configured URL)
                status, text = "delivered", response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            text = exc.read(2000).decode("utf-8", "replace")
            status = "refused" if 400 <= exc.code < 500 else "failed"
        except (urllib.error.URLError, OSError) as exc:
            status, text = "failed", str(exc)[:500]
        txn.ipn_status, txn.ipn_response = status, text
        txn.save(update_fields=["ipn_status", "ipn_response"])
        log.info("sandbox IPN %s for %s: %s", status, txn.order_ref, text[:200])
        return status

    def return_url(self, txn) -> str:
        separator = "&" if "?" in txn.return_url else "?"
        return f"{txn.return_url}{separator}{urlencode(txn.callback)}"

    def settlement(self, day: date) -> list[SettlementRow]:
        start = datetime.combine(day, datetime.min.time(), tzinfo=VIETNAM)
        rows = SandboxTransaction.objects.filter(
            response_code=SUCCESS, merchant__in=list(self.merchants), created_at__gte=start,
            created_at__lt=start + timedelta(days=1)).order_by("created_at", "id")
        return [SettlementRow(provider_txn=t.txn_no, order_ref=t.order_ref, amount=t.amount, currency=t.currency,
                              paid_at=t.created_at, bank_code=t.bank_code) for t in rows]

    def settlement_csv(self, day: date) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SETTLEMENT_HEADER)
        for row in self.settlement(day):
            writer.writerow([row.provider_txn, row.order_ref, row.amount, row.currency,
                             row.paid_at.astimezone(VIETNAM).isoformat(timespec="seconds"), row.bank_code, SUCCESS])
        return out.getvalue()


def ipn_summary(text: str) -> str:
    """The ``code`` of the merchant's JSON answer, for the gateway's page."""
    try:
        return str(json.loads(text).get("code", ""))
    except (ValueError, AttributeError):
        return ""
