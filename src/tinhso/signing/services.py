"""Sign and verify PDF documents (PAdES), with the signature layout of NĐ 30/2020 Phụ lục I.

``sign_pdf`` raises ``DomainError`` (stable codes below) when it cannot sign; ``verify_pdf`` never raises on bad input:
it returns a ``VerificationResult`` whose ``error`` is a stable code (``pdf_invalid``, ``pdf_encrypted``,
``no_signature``) and whose ``message`` is for people. The service layer therefore shows ``verify_pdf``'s result as it
is, and turns ``sign_pdf``'s ``DomainError`` into an API error.

Signing: ``kind="personal"`` draws the signer's signature image centred between the title line and the name;
``kind="agency"`` draws the agency's seal at real size over the left third of the signer's image (found from the
personal signature already in the document, else from the text); ``kind="attachment"`` signs invisibly after
stamping the document's number and notation and the signing time (ISO 8601, +07:00) at the top right of page 1,
Liberation Serif (Times New Roman metrics) 10 pt, black. Each signature is an incremental update, so the earlier
signatures stay valid.

Level: PAdES B-LT by default — a CAdES signature (``ETSI.CAdES.detached``) with a signature time-stamp from the demo
TSA, and the certificates and CRLs of both chains in the document security store (DSS); B-LTA adds a document
time-stamp.
"""

import asyncio
import functools
import io
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tinhso.core.errors import DomainError
from tinhso.core.workcalendar import TZ

from . import appearance, images, layout, numbering, pki, textstamp
from .conf import SigningSettings, get_settings
from .signers import DocumentSigner
from .tsa import DemoTimeStampAuthority

# In demo mode all revocation data is local by design: pyHanko's warning about fetching being off is noise there.
logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(
    lambda record: "fetching is not allowed" not in record.getMessage()
)

KINDS = ("personal", "agency", "attachment")
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
DEFAULT_LEVEL = "B-LT"
FIELD_NAMES = {"personal": "ChuKyCaNhan", "agency": "ChuKyCoQuan", "attachment": "ChuKyDinhKem"}
STAMP_FONT_SIZE = 10
STAMP_MARGIN_MM = (15.0, 8.0)  # right, top


# ---------------------------------------------------------------------------------------------------------------
# Reading input
# ---------------------------------------------------------------------------------------------------------------

def _open_pdf(pdf_bytes: bytes) -> IncrementalPdfFileWriter:
    """A writer for an incremental update of ``pdf_bytes``; its ``prev`` is the reader. Raises ``DomainError``."""
    if not isinstance(pdf_bytes, bytes | bytearray) or b"%PDF-" not in bytes(pdf_bytes[:1024]):
        raise DomainError("pdf_invalid", "Tệp không phải là tài liệu PDF.")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        encrypted = writer.prev.encrypted
        if not encrypted:
            writer.prev.root["/Pages"]  # noqa: B018 - the page tree must be there
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unusable
        raise DomainError("pdf_invalid", "Tệp PDF bị hỏng, không đọc được.") from exc
    if encrypted:
        raise DomainError("pdf_encrypted", "Tệp PDF được mã hóa (đặt mật khẩu): không ký hoặc kiểm tra được.")
    return writer


def _check_pdf(pdf_bytes: bytes) -> PdfFileReader:
    return _open_pdf(pdf_bytes).prev


# ---------------------------------------------------------------------------------------------------------------
# Trust material
# ---------------------------------------------------------------------------------------------------------------

def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def configured_roots(conf: SigningSettings | None = None) -> list[x509.Certificate]:
    """Trust anchors: the demo root (when the demo PKI exists) and ``TRUSTED_ROOTS``."""
    conf = conf or get_settings()
    roots = [pki.load_certificate(p) for p in conf.trusted_roots]
    ca = pki.DemoCA(conf)
    if conf.demo and ca.root_cert_path.exists():
        roots.append(pki.load_certificate(ca.root_cert_path))
    return roots


@functools.lru_cache(maxsize=8)
def _demo_timestamper(tsa_cert_path: str, mtime: float) -> DemoTimeStampAuthority:
    key = serialization.load_pem_private_key(Path(tsa_cert_path).with_suffix(".key").read_bytes(), password=None)
    return DemoTimeStampAuthority(pki.load_certificate(Path(tsa_cert_path)), key)


def demo_timestamper(conf: SigningSettings | None = None) -> DemoTimeStampAuthority:
    """The demo time-stamping authority (``tsa.py``), with the TSA key loaded once per process."""
    ca = pki.DemoCA(conf or get_settings())
    if not ca.exists():
        raise DomainError("pki_missing", "Chưa có PKI minh họa: chạy “tinhso signing setup”.")
    return _demo_timestamper(str(ca.tsa_cert_path), ca.tsa_cert_path.stat().st_mtime)


_CONTEXTS = threading.local()


def timestamper_for(conf: SigningSettings):
    """The demo TSA in demo mode, else the service at ``TSA_URL``."""
    if conf.demo:
        return demo_timestamper(conf)
    if not conf.tsa_url:
        raise DomainError("tsa_missing", "Chưa cấu hình dịch vụ cấp dấu thời gian (TSA_URL) cho mức PAdES từ B-T.")
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(conf.tsa_url)


def signing_validation_context(conf: SigningSettings | None = None) -> ValidationContext:
    """What the signer needs to embed revocation data (B-LT): the chains and fresh CRLs of the demo CA.

    Reused while the trust material and the CRLs are unchanged (one per thread: a context caches what it validated).
    """
    conf = conf or get_settings()
    if not conf.demo:
        roots = [_asn1(c) for c in configured_roots(conf)]
        return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")
    ca = pki.DemoCA(conf)
    crls = ca.crl_ders()
    paths = [*conf.trusted_roots, ca.root_cert_path, ca.issuing_cert_path, ca.tsa_cert_path]
    key = (tuple((str(p), p.stat().st_mtime) for p in paths), tuple(crls))
    cached = getattr(_CONTEXTS, "entry", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    roots = [_asn1(c) for c in configured_roots(conf)]
    others = [_asn1(pki.load_certificate(p)) for p in (ca.issuing_cert_path, ca.tsa_cert_path)]
    context = ValidationContext(trust_roots=roots, other_certs=others, crls=list(crls), allow_fetching=False,
                                revocation_mode="hard-fail")
    _CONTEXTS.entry = (key, context)
    return context


# ---------------------------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------------------------

class _TimedPdfSigner(signers.PdfSigner):
    """pyHanko's PdfSigner with the signing time chosen by the caller (the /M entry, the appearance, the stamp)."""

    def __init__(self, *args, signing_time: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def _field_name(reader: PdfFileReader, kind: str) -> str:
    base = FIELD_NAMES[kind]
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(reader)}
    if base not in existing:
        return base
    n = 2
    while f"{base}_{n}" in existing:
        n += 1
    return f"{base}_{n}"


def _resolve_time(signing_time: datetime | None) -> datetime:
    if signing_time is None:
        return datetime.now(TZ).replace(microsecond=0)
    if signing_time.tzinfo is None:
        raise DomainError("signing_time_naive", "Thời điểm ký phải có múi giờ (ví dụ +07:00).")
    return signing_time.astimezone(TZ)


def sign_pdf(
    pdf_bytes: bytes,
    *,
    signer: DocumentSigner,
    kind: str = "personal",
    title: str = "",
    name: str = "",
    notation: str = "",
    signing_time: datetime | None = None,
    box: tuple[int, float, float, float, float] | None = None,
    level: str = DEFAULT_LEVEL,
    reason: str = "",
    location: str = "",
    number_fields: bool = False,
) -> bytes:
    """Sign ``pdf_bytes`` and return the signed document (the input plus one incremental update).

    ``number_fields`` (personal signature of a document not numbered yet): the same update also adds the hidden
    fields where ``write_document_number`` writes the number and the issue date at issue (``numbering``), so the
    signature covers them and filling them later is form filling.

    ``box``: explicit ``(page index, x0, y0, x1, y1)`` in points for the image, instead of locating the title and name
    lines (for ``agency`` it is the box of the signer's image, the seal is placed relative to it).
    Error codes: ``pdf_invalid``, ``pdf_encrypted``, ``signing_kind_unknown``, ``signing_level_unknown``,
    ``notation_missing``, ``signature_position_missing``, ``signature_position_not_found``, ``image_missing``,
    ``pki_missing``, ``token_*``, ``key_not_found``, ``signing_failed``.
    """
    if kind not in KINDS:
        raise DomainError("signing_kind_unknown", f"Loại chữ ký “{kind}” không có; chọn một trong {', '.join(KINDS)}.")
    if level not in LEVELS:
        raise DomainError("signing_level_unknown", f"Mức PAdES “{level}” không có; chọn một trong {', '.join(LEVELS)}.")
    writer = _open_pdf(pdf_bytes)
    reader = writer.prev
    when = _resolve_time(signing_time)
    conf = getattr(signer, "conf", None) or get_settings()
    field_name = _field_name(reader, kind)
    if number_fields:
        numbering.add_fields(writer)

    target: layout.Box | None = None
    style = None
    if kind == "attachment":
        if not notation.strip():
            raise DomainError("notation_missing", "Tài liệu kèm theo cần số, ký hiệu của văn bản.")
        right, top = (m * layout.MM for m in STAMP_MARGIN_MM)
        textstamp.stamp_top_right(writer, [notation.strip(), when.isoformat()], size=STAMP_FONT_SIZE,
                                  margin_right=right, margin_top=top)
    else:
        image = signer.image()
        if image is None:
            raise DomainError("image_missing", "Chưa có ảnh chữ ký hoặc con dấu cho chứng thư số này.")
        signature_area = layout.Box(*box) if box else None
        if kind == "agency" and signature_area is None:
            signature_area = layout.signature_widget_box(reader, FIELD_NAMES["personal"])
        if signature_area is None:
            block = layout.find_signature_block(reader, title or signer.title, name or signer.display_name)
            # the agency signs alone: place the seal as if the signer's image (nominal size) were there
            size = image.size if kind == "personal" else images.SIGNATURE_SIZE_MM
            signature_area = layout.signature_box(block, size)
        target = signature_area if kind == "personal" else layout.seal_box(signature_area, images.SEAL_DIAMETER_MM)
        style = appearance.image_style(signer.image_path)

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        embed_validation_info=level in ("B-LT", "B-LTA"),
        use_pades_lta=level == "B-LTA",
        validation_context=signing_validation_context(conf) if level in ("B-LT", "B-LTA") else None,
    )
    spec = fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=target.page if target else 0,
        box=target.as_tuple() if target else None,
    )
    with signer.lock():
        ph_signer = signer.pyhanko_signer()
        timestamper = timestamper_for(conf) if level != "B-B" else None
        pdf_signer = _TimedPdfSigner(meta, signer=ph_signer, timestamper=timestamper, stamp_style=style,
                                     new_field_spec=spec, signing_time=when)
        try:
            out = outside_event_loop(pdf_signer.sign_pdf, writer,
                                     bytes_reserved=_reserve(ph_signer, timestamper) if conf.demo else None)
        except DomainError:
            raise
        except Exception as exc:
            raise DomainError("signing_failed", f"Ký số không thành công: {exc}") from exc
    return out.getvalue()


def outside_event_loop(fn, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which use ``asyncio.run()`` internally.

    ``asyncio.run()`` refuses to start inside a running event loop (an ASGI view, a Playwright-driven test): there
    the call runs in a worker thread with a loop of its own. The signer's lock is held by the caller.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def _reserve(ph_signer, timestamper) -> int:
    """Room for the signature container: every certificate it carries, plus the rest with a wide margin.

    pyHanko otherwise sizes it with a trial signature (a dry run of the whole CMS and time-stamp), which costs
    about as much as a tenth of a signature; the demo chain is known, so the size is too.
    """
    certs = {ph_signer.signing_cert.dump(), *(c.dump() for c in ph_signer.cert_registry)}
    if isinstance(timestamper, DemoTimeStampAuthority):
        certs.update(timestamper.certificates_der())
    return 2 * (sum(len(c) for c in certs) + 4096)  # pyHanko counts the hexadecimal digits



def sign_main_document(pdf_bytes: bytes, *, person: DocumentSigner, agency: DocumentSigner, title: str = "",
                       name: str = "", signing_time: datetime | None = None, level: str = DEFAULT_LEVEL) -> bytes:
    """The main document of NĐ 30: the competent person's signature, then the agency's seal over its left third."""
    signed = sign_pdf(pdf_bytes, signer=person, kind="personal", title=title, name=name, signing_time=signing_time,
                      level=level)
    return sign_pdf(signed, signer=agency, kind="agency", signing_time=signing_time, level=level)


def write_document_number(pdf_bytes: bytes, *, notation: str, issued_on, place: str = "") -> bytes | None:
    """At issue: "Số: <notation>" and "<place>, ngày … tháng … năm …" written into the fields that ``sign_pdf(...,
    number_fields=True)`` added before the personal signature (one incremental update: form filling, which leaves
    that signature valid); the agency's seal signature goes after it. ``None`` when the document has no such fields
    (signed without them: the number cannot be added without invalidating the signature). Raises ``DomainError``
    (``pdf_invalid``, ``pdf_encrypted``, ``font_missing``, ``font_glyph_missing``)."""
    _check_pdf(pdf_bytes)
    return numbering.write_number(pdf_bytes, notation=notation, issued_on=issued_on, place=place)


def document_place_name(agency) -> str:
    """The place (địa danh) written before an agency's issue dates (``numbering.place_name``)."""
    return numbering.place_name(agency)


# ---------------------------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------------------------

MODIFICATIONS = {
    "none": "không có",
    "signature_maintenance": "chỉ bổ sung dữ liệu kiểm tra, dấu thời gian",
    "form_filling": "chỉ ký tiếp hoặc điền biểu mẫu",
    "annotations": "thêm chú thích",
    "other": "thay đổi khác",
    "unknown": "không xác định",
}


@dataclass
class SignatureReport:
    field: str
    signer: str = ""
    signer_name: str = ""
    signing_time: str | None = None
    timestamp_time: str | None = None
    claimed_time: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    revoked: bool = False
    covers_whole_document: bool = False
    modifications: str = "unknown"
    modifications_allowed: bool = False
    pades_level: str | None = None
    ok: bool = False
    summary: str = ""
    error: str | None = None


@dataclass
class VerificationResult:
    """``valid``: at least one signature, and every signature intact, trusted, with acceptable later changes."""

    valid: bool
    error: str | None = None
    message: str = ""
    signatures: list[SignatureReport] = field(default_factory=list)
    document_timestamps: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, **kwargs)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).isoformat() if moment else None


def _load_roots(trusted_roots) -> list[asn1_x509.Certificate]:
    if trusted_roots is None:
        return [_asn1(c) for c in configured_roots()]
    roots = []
    for item in trusted_roots:
        if isinstance(item, asn1_x509.Certificate):
            roots.append(item)
        elif isinstance(item, x509.Certificate):
            roots.append(_asn1(item))
        else:
            roots.append(_asn1(pki.load_certificate(Path(item))))
    return roots


def _modifications(status) -> str:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "none"
    level = getattr(status, "modification_level", None)
    if level is None:
        return "unknown"
    return {"LTA_UPDATES": "signature_maintenance", "FORM_FILLING": "form_filling",
            "ANNOTATIONS": "annotations"}.get(level.name, "other")


def _pades_level(emb, status, dss, roots, doc_timestamps) -> str | None:
    if str(emb.sig_object.get("/SubFilter")) != "/ETSI.CAdES.detached":
        return None
    attr_types = {attr["type"].native for attr in emb.signer_info["signed_attrs"]}
    if not attr_types & {"signing_certificate_v2", "signing_certificate"}:
        return None
    tst = status.timestamp_validity
    if tst is None or not (tst.intact and tst.valid and tst.trusted):
        return "B-B"
    if dss is None:
        return "B-T"
    try:
        # Long-term: the DSS alone must let a verifier check every certificate of both chains against revocation
        # data, at the time of the signature time-stamp (no network).
        vc = dss.as_validation_context({"trust_roots": roots, "allow_fetching": False, "revocation_mode": "require",
                                        "moment": tst.timestamp})
        lt = outside_event_loop(validate_pdf_signature, emb, signer_validation_context=vc, skip_diff=True)
    except Exception:  # noqa: BLE001 - anything missing simply means the level is not reached
        return "B-T"
    if not (lt.intact and lt.valid and lt.trusted and lt.timestamp_validity and lt.timestamp_validity.trusted):
        return "B-T"
    for ts_emb, ts_ok in doc_timestamps:
        if ts_ok and ts_emb.signed_revision > emb.signed_revision:
            return "B-LTA"
    return "B-LT"


def _summary(report: SignatureReport) -> str:
    who = report.signer_name or report.signer or "không rõ người ký"
    if report.error:
        return f"Không kiểm tra được chữ ký “{report.field}”."
    if not report.intact or not report.valid:
        return f"Chữ ký của {who} KHÔNG hợp lệ: nội dung đã bị thay đổi sau khi ký hoặc chữ ký bị hỏng."
    problems = []
    if report.revoked:
        problems.append("chứng thư số đã bị thu hồi")
    elif not report.trusted:
        problems.append("chứng thư số không xác thực được đến tổ chức chứng thực gốc tin cậy")
    if not report.modifications_allowed:
        problems.append(f"văn bản bị sửa đổi sau khi ký ({MODIFICATIONS[report.modifications]})")
    when = f" lúc {report.signing_time}" if report.signing_time else ""
    level = f" Mức PAdES: {report.pades_level}." if report.pades_level else " Không phải chữ ký PAdES."
    if problems:
        return f"Chữ ký của {who}{when} chưa được chấp nhận: {'; '.join(problems)}.{level}"
    later = ("văn bản không thay đổi sau khi ký" if report.modifications == "none"
             else f"sau khi ký {MODIFICATIONS[report.modifications]}")
    return f"Chữ ký của {who}{when} hợp lệ: {later}, chứng thư số tin cậy.{level}"


def verify_pdf(pdf_bytes: bytes, *, trusted_roots=None) -> VerificationResult:
    """Validate every signature of ``pdf_bytes``; never raises on bad input (see the module docstring)."""
    try:
        reader = _check_pdf(pdf_bytes)
        signatures = list(reader.embedded_regular_signatures)
        doc_ts = list(reader.embedded_timestamp_signatures)
    except DomainError as exc:
        return VerificationResult(valid=False, error=exc.code, message=exc.message)
    except Exception:  # noqa: BLE001 - a structure pyHanko cannot walk
        return VerificationResult(valid=False, error="pdf_invalid", message="Tệp PDF bị hỏng, không đọc được.")
    if not signatures:
        return VerificationResult(valid=False, error="no_signature", message="Tệp PDF không có chữ ký số nào.",
                                  document_timestamps=len(doc_ts))
    roots = _load_roots(trusted_roots)
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # noqa: BLE001 - no DSS (B-B/B-T) or an unreadable one
        dss = None

    def context() -> ValidationContext:
        kwargs = {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "soft-fail"}
        return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(**kwargs)

    timestamps = []
    for ts_emb in doc_ts:
        try:
            ts_status = outside_event_loop(validate_pdf_timestamp, ts_emb, validation_context=context())
            timestamps.append((ts_emb, ts_status.intact and ts_status.valid and ts_status.trusted))
        except Exception:  # noqa: BLE001
            timestamps.append((ts_emb, False))

    reports = []
    for emb in signatures:
        report = SignatureReport(field=str(emb.field_name))
        try:
            status = outside_event_loop(validate_pdf_signature, emb, signer_validation_context=context())
            cert = x509.load_der_x509_certificate(emb.signer_cert.dump())
            report.signer = cert.subject.rfc4514_string()
            names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            report.signer_name = str(names[0].value) if names else ""
            tst = status.timestamp_validity
            report.timestamp_time = _iso(tst.timestamp) if tst is not None else None
            report.claimed_time = _iso(status.signer_reported_dt)
            report.signing_time = report.timestamp_time or report.claimed_time
            report.intact, report.valid = bool(status.intact), bool(status.valid)
            report.trusted, report.revoked = bool(status.trusted), bool(status.revoked)
            report.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            report.modifications = _modifications(status)
            report.modifications_allowed = bool(status.docmdp_ok) or report.covers_whole_document
            report.ok = bool(status.bottom_line) and report.modifications_allowed
            report.pades_level = _pades_level(emb, status, dss, roots, timestamps) if report.intact else None
        except Exception:  # noqa: BLE001 - a damaged signature is reported, not raised
            report.error = "signature_unreadable"
            report.ok = False
        report.summary = _summary(report)
        reports.append(report)
    valid = all(r.ok for r in reports)
    if valid:
        message = f"Tất cả {len(reports)} chữ ký số hợp lệ."
    else:
        bad = sum(1 for r in reports if not r.ok)
        message = f"{bad}/{len(reports)} chữ ký số không hợp lệ hoặc chưa được tin cậy."
    return VerificationResult(valid=valid, error=None if valid else "signature_invalid", message=message,
                              signatures=reports, document_timestamps=len(doc_ts))
