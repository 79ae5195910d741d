"""Builders shared by the exchange tests: a province on this platform (Cao Bằng, the receiver in most tests), the
peer platform of Lạng Sơn, edXML packages from it, and signed requests to the endpoint."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import date, datetime

from tinhso.core.models import Agency, Role, User
from tinhso.core.services import grant_role, save_agency
from tinhso.core.testing import text_pdf
from tinhso.exchange import edxml, services
from tinhso.exchange.models import ENDPOINT_PATH

PASSWORD = "tinhso-exchange-2026"
SECRET_ENV = "TINHSO_TEST_EXCHANGE_SECRET"
SECRET = "bi-mat-dung-chung-giua-hai-tinh-0123456789abcdef"
# The other platform (Lạng Sơn) and the agencies it speaks for.
REMOTE_STP = "000.00.03.H37"
REMOTE_UBND = "000.00.00.H37"
# This platform (Cao Bằng).
LOCAL_UBND = "000.00.00.H11"
LOCAL_SXD = "000.00.07.H11"
LOCAL_DIVISION = "000.01.07.H11"


def pdf(text: str = "Van ban lien thong") -> bytes:
    return text_pdf(text)


def agency(code: str, name: str, short: str, kind: str, parent: Agency | None = None) -> Agency:
    return save_agency(None, Agency(code=code, name=name, short_name=short, kind=kind, parent=parent,
                                    valid_from=date(2025, 7, 1)))


def staff(username: str, full_name: str, where: Agency, role: str, title: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name, kind=User.Kind.STAFF)
    grant_role(None, user, where, role, title)
    return user


def local_province() -> dict:
    """UBND tỉnh Cao Bằng, Sở Xây dựng and its division, and the people who handle documents there."""
    ubnd = agency(LOCAL_UBND, "Ủy ban nhân dân tỉnh Cao Bằng", "UBND", Agency.Kind.PROVINCIAL_COMMITTEE)
    sxd = agency(LOCAL_SXD, "Sở Xây dựng tỉnh Cao Bằng", "SXD", Agency.Kind.DEPARTMENT, ubnd)
    division = agency(LOCAL_DIVISION, "Phòng Quản lý hoạt động xây dựng", "QLXD", Agency.Kind.DIVISION, sxd)
    return {
        "ubnd": ubnd, "sxd": sxd, "division": division,
        "clerk": staff("vanthu.sxd", "Nông Thị Thư", sxd, Role.CLERK, "Văn thư"),
        "leader": staff("giamdoc.sxd", "Bế Văn Minh", sxd, Role.AGENCY_LEADER, "Giám đốc"),
        "head": staff("truongphong.sxd", "Hoàng Thị Lan", division, Role.DEPARTMENT_HEAD, "Trưởng phòng"),
        "specialist": staff("chuyenvien.sxd", "Lục Văn Sơn", division, Role.SPECIALIST, "Chuyên viên"),
    }


def lang_son_peer(base_url: str = "http://127.0.0.1:9", organ_ids=(REMOTE_STP, REMOTE_UBND)):
    """The Lạng Sơn platform. Port 9 (discard) refuses connections: deliveries to it fail at once."""
    return services.save_peer(None, name="Nền tảng tỉnh Lạng Sơn", base_url=base_url, organ_ids=list(organ_ids),
                              inbound_key_id="langson", outbound_key_id="caobang", secret_env=SECRET_ENV)


DOCUMENT_ID = f"{REMOTE_STP},2026/03/02,15/QĐ-STP"


def document_message(*, to=(LOCAL_SXD,), document_id: str = DOCUMENT_ID, subject: str = "Về việc phối hợp kiểm tra "
                     "công trình xây dựng giáp ranh", trace_at: datetime | None = None, sender: str = REMOTE_STP,
                     business: edxml.Business | None = None, attachments=None, due_date: date | None = None,
                     ) -> edxml.DocumentMessage:
    attachments = attachments if attachments is not None else (
        edxml.Attachment(name="15-QD-STP.pdf", content_type="application/pdf", content_id="tep-1", data=pdf()),)
    return edxml.DocumentMessage(
        sender=edxml.Organization(organ_id=sender, organ_name="Sở Tư pháp tỉnh Lạng Sơn"),
        recipients=tuple(edxml.Organization(organ_id=code, organ_name=f"Cơ quan {code}") for code in to),
        document_id=document_id, code=edxml.Code(number="15", notation="QĐ-STP"),
        promulgation=edxml.PromulgationInfo(date=date(2026, 3, 2), place="Lạng Sơn"),
        subject=subject, document_type=edxml.DocumentType(type_name="Quyết định"),
        signer=edxml.SignerInfo(position="Giám đốc", full_name="Nông Đức Thắng"), due_date=due_date,
        other_info=edxml.OtherInfo(priority="1", promulgation_amount=2),
        trace=(edxml.TraceHeader(organ_id=sender, timestamp=trace_at or datetime(2026, 3, 2, 9, 30, 0)),),
        business=business, attachments=attachments,
    )


def change_message(kind: edxml.BusinessDocType, reason: str, *, at: datetime, **kwargs) -> edxml.DocumentMessage:
    base = document_message(trace_at=at, **kwargs)
    return replace(base, business=edxml.Business(doc_type=kind, reason=reason, document_id=base.document_id))


def status_message(code: str, *, document_id: str, sender: str, at: datetime | None = None,
                   description: str = "") -> edxml.StatusMessage:
    return edxml.StatusMessage(
        response_for=edxml.ResponseFor(document_id=document_id),
        sender=edxml.Organization(organ_id=sender, organ_name=f"Cơ quan {sender}"),
        status_code=edxml.StatusCode(code), timestamp=at or datetime(2026, 3, 3, 8, 0, 0), description=description)


def signed(body: bytes, *, key_id: str = "langson", secret: str = SECRET, timestamp: float | None = None,
           path: str = ENDPOINT_PATH) -> dict[str, str]:
    stamp = str(int(timestamp if timestamp is not None else time.time()))
    nonce = secrets.token_urlsafe(18)
    return {services.KEY_HEADER: key_id, services.TIMESTAMP_HEADER: stamp, services.NONCE_HEADER: nonce,
            services.SIGNATURE_HEADER: services.signature(secret.encode(), "POST", path, stamp, nonce, body)}


def post(client, body: bytes, headers: dict[str, str] | None = None):
    return client.post(ENDPOINT_PATH, data=body, content_type="application/xml",
                       headers=headers if headers is not None else signed(body))


def remote_province() -> dict:
    """The Lạng Sơn side when it runs as its own platform (the two-instance test): UBND tỉnh, Sở Tư pháp and its
    division, and the people who draft, approve, sign and issue there."""
    ubnd = agency(REMOTE_UBND, "Ủy ban nhân dân tỉnh Lạng Sơn", "UBND", Agency.Kind.PROVINCIAL_COMMITTEE)
    stp = agency(REMOTE_STP, "Sở Tư pháp tỉnh Lạng Sơn", "STP", Agency.Kind.DEPARTMENT, ubnd)
    division = agency("000.01.03.H37", "Phòng Hành chính tư pháp", "HCTP", Agency.Kind.DIVISION, stp)
    return {
        "ubnd": ubnd, "stp": stp, "division": division,
        "clerk": staff("vanthu.stp", "Hoàng Thị Vân", stp, Role.CLERK, "Văn thư"),
        "leader": staff("giamdoc.stp", "Nông Đức Thắng", stp, Role.AGENCY_LEADER, "Giám đốc"),
        "head": staff("truongphong.stp", "Vi Thị Lan", division, Role.DEPARTMENT_HEAD, "Trưởng phòng"),
        "specialist": staff("chuyenvien.stp", "Hoàng Văn Nam", division, Role.SPECIALIST, "Chuyên viên"),
    }
