"""A dossier's whole life through the service layer, and the transitions the service layer must refuse."""

import pytest

from tinhso.core.errors import DomainError, Forbidden
from tinhso.onestop import services
from tinhso.onestop.models import Attachment, Dossier, DossierEvent, Status

from .conftest import pdf


def online_dossier(people, desk, code="1.001193"):
    citizen = people["congdan"]
    dossier = services.create_dossier(citizen, procedure_code=code, channel_kind="online", receiving_agency=desk,
                                      delivery=Dossier.Delivery.ELECTRONIC)
    for item in dossier.items.filter(mandatory=True):
        services.add_attachment(citizen, dossier, pdf(), item=item)
    return services.submit(citizen, dossier)


def test_online_dossier_from_submission_to_electronic_return(people, desk):
    dossier = online_dossier(people, desk)
    assert dossier.status == Status.NEW and not dossier.is_draft and dossier.code is None

    dossier = services.accept(people["tiepnhan.lvt"], dossier)
    assert dossier.status == Status.ACCEPTED
    assert dossier.code.startswith("000.01.31.H37-") and dossier.code.endswith("-0001")
    assert dossier.due_at > dossier.received_at
    assert dossier.current_step.order == 2 and dossier.current_step.agency.code == "000.00.31.H37"

    dossier = services.forward(people["congchuc.lvt"], dossier, note="Hồ sơ hợp lệ, đề nghị phê duyệt")
    assert dossier.status == Status.PROCESSING and dossier.current_step.order == 3
    leader = people["chutich.lvt"]
    with pytest.raises(DomainError) as exc:
        services.decide(leader, dossier, "approved")
    assert exc.value.code == "result_required"
    services.attach_result(leader, dossier, pdf("giay-khai-sinh.pdf"))
    dossier = services.decide(leader, dossier, "approved")
    assert dossier.status == Status.DONE and dossier.finished_at is not None

    dossier = services.return_result(people["tiepnhan.lvt"], dossier)
    assert dossier.status == Status.RETURNED
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == ["created", "submitted", "accepted", "forwarded", "decided", "returned"]
    statuses = [(e.from_status, e.to_status) for e in dossier.events.all()]
    assert statuses[2:] == [(1, 2), (2, 4), (4, 9), (9, 10)]
    assert all(step.finished_at for step in dossier.steps.all())
    assert {s.result for s in dossier.steps.all()} <= {"early", "on_time"}
    assert dossier.attachments.filter(kind=Attachment.Kind.RESULT).count() == 1


def test_illegal_transitions_are_refused(people, desk):
    dossier = online_dossier(people, desk)
    officer = people["tiepnhan.lvt"]
    with pytest.raises(DomainError) as exc:
        services.return_result(officer, dossier)
    assert exc.value.code == "illegal_transition" and "Mới đăng ký" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.forward(people["congchuc.lvt"], dossier)
    assert exc.value.code == "illegal_transition"
    with pytest.raises(DomainError) as exc:
        services.refuse(officer, dossier, "   ")
    assert exc.value.code == "reason_required"
    services.refuse(officer, dossier, "Không thuộc thẩm quyền giải quyết")
    with pytest.raises(DomainError):
        services.accept(officer, Dossier.objects.get(pk=dossier.pk))
    assert DossierEvent.objects.filter(dossier=dossier).count() == 3


def test_other_agencies_and_citizens_cannot_act(people, desk):
    dossier = online_dossier(people, desk)
    with pytest.raises(Forbidden):
        services.accept(people["tiepnhan"], dossier)  # the province centre's officer, not this commune's desk
    with pytest.raises(Forbidden):
        services.accept(people["congdan"], dossier)
    with pytest.raises(Forbidden):
        services.withdraw(people["doanhnghiep"], dossier)
    dossier = services.accept(people["tiepnhan.lvt"], dossier)
    with pytest.raises(Forbidden):
        services.forward(people["chuyenvien.stp"], dossier)


def test_supplement_pauses_the_clock_and_a_second_one_is_counted(people, desk):
    dossier = services.accept(people["tiepnhan.lvt"], online_dossier(people, desk))
    due = dossier.due_at
    specialist = people["congchuc.lvt"]
    services.request_supplement(specialist, dossier, ["Bản sao giấy chứng sinh bị mờ"])
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT and dossier.supplement_count == 1
    assert dossier.pauses.filter(ended_at__isnull=True).count() == 1
    services.provide_supplement(people["congdan"], dossier)
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED and dossier.due_at >= due
    services.request_supplement(specialist, dossier, ["Thiếu chữ ký"])
    dossier.refresh_from_db()
    assert dossier.supplement_count == 2


def test_concurrent_change_is_a_conflict(people, desk):
    dossier = online_dossier(people, desk)
    seen = dossier.revision
    services.accept(people["tiepnhan.lvt"], dossier, expected_revision=seen)
    with pytest.raises(DomainError) as exc:
        services.refuse(people["tiepnhan.lvt"], dossier, "Trùng", expected_revision=seen)
    assert exc.value.code == "dossier_changed"


def test_codes_are_sequential_per_agency_and_day(people, desk):
    codes = [services.accept(people["tiepnhan.lvt"], online_dossier(people, desk)).code for _ in range(3)]
    assert [c[-4:] for c in codes] == ["0001", "0002", "0003"]
    assert len({c[:-5] for c in codes}) == 1
