"""Demo documents: a year of incoming documents registered by the demo clerks, through the services.

``load(count)`` spreads ``count`` synthetic documents (``corpus.generate``) over three demo agencies: UBND tỉnh
(registered by ``vanthu`` of its Văn phòng), Sở Tài chính (``vanthu.stc``) and UBND phường Lương Văn Tri
(``vanthu.lvt``). Each is registered as the clerk would (``services.register_incoming``, its file as DOCX, the type
and the sector the clerk confirms) at the moment it arrived, so the arrival numbers follow the dates; those older than
three weeks are then closed by the agency's leader. Then the classifier of each agency and the province's are trained.
Run by ``tinhso documents demo``.
"""

import io
import random
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from tinhso.core.models import Agency, Membership, Role, User
from tinhso.core.workcalendar import TZ

from . import access, classify, corpus, services
from .files import DOCX_TYPE
from .models import Direction, Document, DocumentType, Sector

#: (agency code, receiver profile, share of the documents)
RECEIVERS = [
    ("000.00.00.H37", corpus.PROVINCE_RECEIVER, 0.5),
    ("000.00.04.H37", corpus.FINANCE_RECEIVER, 0.25),
    ("000.00.31.H37", corpus.COMMUNE_RECEIVER, 0.25),
]
CLOSE_AFTER = timedelta(days=21)


def docx(lines: list[str]) -> bytes:
    """A minimal Word document, one paragraph per line."""
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(line)}</w:t></w:r></w:p>" for line in lines)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    content_types = ('<?xml version="1.0" encoding="UTF-8"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.wordprocessingml.document.main+xml"/></Types>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


@contextmanager
def _clock(moment: datetime):
    """The services' clock set to ``moment`` (the seam the services offer for acting at another time)."""
    original = services._now
    services._now = lambda: moment
    try:
        yield
    finally:
        services._now = original


def _clerk(agency: Agency) -> User | None:
    candidates = (User.objects.filter(memberships__role=Role.CLERK, memberships__is_active=True, is_active=True,
                                      is_superuser=False).distinct().order_by("username"))
    return next((u for u in candidates if access.is_clerk_for(u, agency)), None)


def _leader(agency: Agency) -> User | None:
    row = (Membership.objects.filter(agency=agency, role=Role.AGENCY_LEADER, is_active=True, user__is_active=True)
           .select_related("user").order_by("user__username").first())
    if row is not None:
        return row.user
    return User.objects.filter(is_superuser=True, is_active=True, kind=User.Kind.STAFF).order_by("pk").first()


@dataclass
class DemoResult:
    registered: dict = field(default_factory=dict)
    closed: int = 0
    skipped: list = field(default_factory=list)
    models: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"registered": self.registered, "closed": self.closed, "skipped": self.skipped,
                "models": [{k: m[k] for k in ("agency", "version", "samples", "type_accuracy", "sector_accuracy")}
                           for m in self.models], "seconds": round(self.seconds, 1)}


def has_documents() -> bool:
    codes = [code for code, _r, _s in RECEIVERS]
    return Document.objects.filter(agency__code__in=codes, direction=Direction.INCOMING).exists()


def load(count: int = 1000, *, seed: int = 1, train: bool = True) -> DemoResult:
    started = time.perf_counter()
    result = DemoResult()
    types = {t.name: t for t in DocumentType.objects.all()}
    sectors = {s.name: s for s in Sector.objects.all()}
    now = timezone.now()
    rng = random.Random(seed)
    trained_agencies = []
    with transaction.atomic():
        for code, receiver, share in RECEIVERS:
            agency = Agency.objects.filter(code=code).first()
            clerk = _clerk(agency) if agency is not None else None
            if clerk is None:
                result.skipped.append(code)
                continue
            leader = _leader(agency)
            generated = corpus.generate(max(1, round(count * share)), seed=seed, receiver=receiver,
                                        end=timezone.localdate())
            for number, item in enumerate(generated, 1):
                when = item.received_at.replace(tzinfo=TZ)
                uploads = []
                if item.body:
                    uploads = [SimpleUploadedFile(f"van-ban-den-{number}.docx", docx(item.body.split("\n")),
                                                  content_type=DOCX_TYPE)]
                fields = services.IncomingFields(
                    subject=item.subject, sender_name=item.sender_name, notation=item.notation,
                    document_type=types.get(item.type_name), issued_date=item.issued_date, received_at=when,
                    urgency=item.urgency, signer_name=item.signer_name, signer_position=item.signer_position,
                    sector=sectors.get(item.sector))
                with _clock(when):
                    document = services.register_incoming(clerk, agency, fields, uploads)
                result.registered[code] = result.registered.get(code, 0) + 1
                closing = when + timedelta(days=rng.randint(1, 14))
                if leader is not None and now - when > CLOSE_AFTER and closing < now:
                    with _clock(closing):
                        services.close(leader, document, note="Đã xử lý xong.")
                    result.closed += 1
            trained_agencies.append(agency)
    if train:
        result.models = [classify.train(agency) for agency in trained_agencies]
        result.models.append(classify.train(None))
    result.seconds = time.perf_counter() - started
    return result

