"""Numbering (NĐ 30/2020 Điều 15, 22): leading zero, yearly series, notation, công văn, secret and type series,
closed years, no number lost when issuing fails."""

from datetime import datetime

import pytest
from django.db import transaction

from tinhso.core.errors import DomainError
from tinhso.core.workcalendar import TZ
from tinhso.documents import services
from tinhso.documents.models import Direction, DocumentType, Registry, Secrecy, Status, format_number

from .conftest import doc_type, signed_outgoing

pytestmark = pytest.mark.django_db


def test_format_number_leading_zero():
    assert [format_number(n) for n in (1, 9, 10, 99, 135, 1200)] == ["01", "09", "10", "99", "135", "1200"]
    with pytest.raises(ValueError):
        format_number(0)


def test_seeded_types_keep_mixed_case_and_cong_van_has_no_abbreviation():
    abbreviations = set(DocumentType.objects.exclude(abbreviation=None).values_list("abbreviation", flat=True))
    assert {"QĐ", "QyĐ", "CTr", "TTr", "TrS", "KH", "GM", "BC", "NQ", "CĐ", "HĐ", "ĐA", "DA"} <= abbreviations
    assert "CV" not in abbreviations and "QYĐ" not in abbreviations and "TTR" not in abbreviations
    assert DocumentType.objects.get(name="Công văn").abbreviation is None
    assert DocumentType.objects.get(abbreviation="TrS").kind == DocumentType.Kind.COPY
    assert DocumentType.objects.filter(kind=DocumentType.Kind.DOCUMENT).count() == 28


def test_notation_for_typed_documents_and_cong_van(agencies):
    ubnd, vp = agencies["000.00.00.H37"], agencies["000.00.01.H37"]
    stp, hctp = agencies["000.00.03.H37"], agencies["000.01.03.H37"]
    assert services.build_notation(135, doc_type("KH"), ubnd) == "135/KH-UBND"
    assert services.build_notation(5, doc_type("QĐ"), ubnd, vp) == "05/QĐ-UBND"
    assert services.build_notation(1, doc_type("QyĐ"), stp) == "01/QyĐ-STP"
    assert services.build_notation(12, doc_type("CTr"), stp) == "12/CTr-STP"
    assert services.build_notation(3, doc_type("TTr"), stp, hctp) == "03/TTr-STP"
    assert services.build_notation(8, doc_type("TrS"), ubnd) == "08/TrS-UBND"
    cong_van = doc_type(None)
    assert services.build_notation(123, cong_van, ubnd, vp) == "123/UBND-VP"
    assert services.build_notation(7, cong_van, stp, hctp) == "07/STP-HCTP"
    assert services.build_notation(7, cong_van, stp, stp) == "07/STP"
    assert services.build_notation(7, None, stp) == "07/STP"


def test_sequence_and_yearly_reset(agencies):
    stp = agencies["000.00.03.H37"]
    numbers = {}
    for year in (2025, 2025, 2025, 2026, 2026):
        with transaction.atomic():
            registry = services.registry_for(stp, year=year, direction=Direction.OUTGOING)
            numbers.setdefault(year, []).append(services.next_number(registry))
    assert numbers == {2025: [1, 2, 3], 2026: [1, 2]}
    assert Registry.objects.filter(agency=stp, direction=Direction.OUTGOING).count() == 2


def test_issue_assigns_number_notation_and_date(people, agencies, monkeypatch):
    stp = agencies["000.00.03.H37"]
    clerk = people["vanthu.stp"]
    monkeypatch.setattr(services, "_now", lambda: datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    first = services.issue(clerk, signed_outgoing(people, stp, "QĐ"))
    second = services.issue(clerk, signed_outgoing(people, stp, None, subject="Về việc góp ý dự thảo"))
    third = services.issue(clerk, signed_outgoing(people, stp, "KH"))
    assert (first.number, first.notation) == (1, "01/QĐ-STP")
    assert (second.number, second.notation) == (2, "02/STP-HCTP")  # công văn: agency - drafting unit
    assert (third.number, third.notation) == (3, "03/KH-STP")  # one series shared by every type
    assert first.issued_date.isoformat() == "2026-03-02" and first.status == Status.ISSUED
    assert first.registry == second.registry == third.registry and first.registry.year == 2026


def test_new_year_starts_again_at_01(people, agencies, monkeypatch):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    monkeypatch.setattr(services, "_now", lambda: datetime(2025, 12, 31, 16, 30, tzinfo=TZ))
    for _ in range(3):
        last_of_year = services.issue(clerk, signed_outgoing(people, stp))
    monkeypatch.setattr(services, "_now", lambda: datetime(2026, 1, 1, 8, 0, tzinfo=TZ))
    first_of_year = services.issue(clerk, signed_outgoing(people, stp))
    assert last_of_year.notation == "03/QĐ-STP" and last_of_year.registry.year == 2025
    assert first_of_year.notation == "01/QĐ-STP" and first_of_year.registry.year == 2026


def test_secret_documents_have_their_own_series(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    services.issue(clerk, signed_outgoing(people, stp))
    services.issue(clerk, signed_outgoing(people, stp))
    secret = services.issue(clerk, signed_outgoing(people, stp, secrecy=Secrecy.SECRET))
    normal = services.issue(clerk, signed_outgoing(people, stp))
    assert secret.number == 1 and secret.registry.secret
    assert normal.number == 3 and not normal.registry.secret


def test_type_specific_series(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    services.open_registry(clerk, stp, year=2026, direction=Direction.OUTGOING, document_type=doc_type("QyĐ"))
    services.issue(clerk, signed_outgoing(people, stp, "QĐ"))
    rule = services.issue(clerk, signed_outgoing(people, stp, "QyĐ"))
    decision = services.issue(clerk, signed_outgoing(people, stp, "QĐ"))
    assert rule.notation == "01/QyĐ-STP" and rule.registry.document_type.abbreviation == "QyĐ"
    assert decision.notation == "02/QĐ-STP"
    # the type's series goes on by itself in the next year
    registry = services.registry_for(stp, year=2027, direction=Direction.OUTGOING, document_type=doc_type("QyĐ"))
    assert registry.document_type.abbreviation == "QyĐ" and registry.year == 2027 and registry.last_number == 0


def test_closed_year_refuses_numbers(people, agencies, monkeypatch):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    monkeypatch.setattr(services, "_now", lambda: datetime(2025, 12, 30, 10, 0, tzinfo=TZ))
    issued = services.issue(clerk, signed_outgoing(people, stp))
    services.close_registry(clerk, issued.registry)
    waiting = signed_outgoing(people, stp)
    with pytest.raises(DomainError) as caught:
        services.issue(clerk, waiting)
    assert caught.value.code == "registry_closed"
    waiting.refresh_from_db()
    assert waiting.status == Status.SIGNED and waiting.number is None
    issued.registry.refresh_from_db()
    assert issued.registry.last_number == 1
    monkeypatch.setattr(services, "_now", lambda: datetime(2026, 1, 2, 8, 0, tzinfo=TZ))
    assert services.issue(clerk, waiting).notation == "01/QĐ-STP"


def test_failed_issue_loses_no_number(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    doomed, later = signed_outgoing(people, stp), signed_outgoing(people, stp)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.issue(clerk, doomed)
        raise ZeroDivisionError  # something after the number failed: the whole issue rolls back
    assert services.issue(clerk, later).number == 1
    assert services.issue(clerk, doomed).number == 2


def test_only_the_agencys_clerk_issues(people, agencies):
    stp = agencies["000.00.03.H37"]
    document = signed_outgoing(people, stp)
    for username in ("vanthu.sxd", "vanthu", "chuyenvien.stp"):
        with pytest.raises(DomainError) as caught:
            services.issue(people[username], document)
        assert caught.value.code == "forbidden"
