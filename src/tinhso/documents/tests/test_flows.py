"""Both flows through the services: an incoming document from registration to closing, an outgoing one from draft
to delivery (on the platform and as an edXML package), with the permission checks and the history."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.core.models import AuditEvent
from tinhso.documents import queries, services
from tinhso.documents.models import (
    Assignment,
    Delivery,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    Secrecy,
    Status,
    Urgency,
)
from tinhso.exchange import edxml

from .conftest import doc_type, docx_bytes, pdf_upload, signed_outgoing

pytestmark = pytest.mark.django_db


def incoming_fields(**overrides) -> services.IncomingFields:
    values = {"subject": "Giấy mời họp triển khai chuyển đổi số năm 2026", "sender_name": "Ủy ban nhân dân tỉnh "
              "Lạng Sơn", "sender_code": "000.00.00.H37", "notation": "15/GM-UBND", "document_type": doc_type("GM"),
              "issued_date": timezone.localdate() - timedelta(days=1), "urgency": Urgency.URGENT}
    values.update(overrides)
    return services.IncomingFields(**values)


def test_incoming_flow_from_register_to_close(people, agencies):
    stp, hctp = agencies["000.00.03.H37"], agencies["000.01.03.H37"]
    clerk, leader = people["vanthu.stp"], people["giamdoc.stp"]
    head, specialist = people["truongphong.stp"], people["chuyenvien.stp"]

    incoming = services.register_incoming(clerk, stp, incoming_fields(), [pdf_upload("giay-moi.pdf")])
    assert incoming.status == Status.REGISTERED and incoming.arrival_number == 1 and incoming.number == 15
    assert incoming.registry.direction == Direction.INCOMING and incoming.sender_agency == agencies["000.00.00.H37"]
    second = services.register_incoming(clerk, stp, incoming_fields(notation="16/UBND-VP", document_type=None))
    assert second.arrival_number == 2

    deadline = timezone.localdate() + timedelta(days=5)
    services.assign(leader, incoming, lead=hctp, cooperating=[agencies["000.02.03.H37"]],
                    for_information=[people["truongphong.stp"]], deadline=deadline, note="Phòng HCTP chủ trì.")
    incoming.refresh_from_db()
    assert incoming.status == Status.ASSIGNED and incoming.due_date == deadline
    roles = sorted(incoming.assignments.values_list("role", flat=True))
    assert roles == ["cooperate", "inform", "lead"]

    with pytest.raises(DomainError) as caught:  # a specialist cannot give the document to someone else
        services.forward_to_specialist(specialist, incoming, specialist)
    assert caught.value.code == "forbidden"
    services.forward_to_specialist(head, incoming, specialist, note="Đồng chí Nam tham mưu.")
    incoming.refresh_from_db()
    assert incoming.status == Status.IN_PROGRESS
    assert incoming.assignments.get(role=Assignment.Role.LEAD).handler == specialist

    reply = services.create_draft(specialist, stp, doc_type("BC"), "Báo cáo kết quả triển khai", pdf_upload(),
                                  reply_to=incoming)
    incoming.refresh_from_db()
    assert incoming.status == Status.ANSWERED and reply.reply_to == incoming and reply.unit == hctp
    services.close(specialist, incoming, note="Đã báo cáo.")
    incoming.refresh_from_db()
    assert incoming.status == Status.CLOSED and incoming.closed_at is not None
    assert incoming.assignments.get(role=Assignment.Role.LEAD).done

    actions = list(incoming.events.values_list("action", flat=True))
    assert actions == ["registered", "assigned", "forwarded", "answered", "closed"]
    assert AuditEvent.objects.filter(action__startswith="documents.", object_id=str(incoming.pk)).count() == 5


def test_assigning_a_person_as_lead_starts_handling(people, agencies):
    stp = agencies["000.00.03.H37"]
    incoming = services.register_incoming(people["vanthu.stp"], stp, incoming_fields())
    services.assign(people["giamdoc.stp"], incoming, lead=people["chuyenvien.stp"])
    incoming.refresh_from_db()
    assert incoming.status == Status.IN_PROGRESS
    assert "reply" in queries.allowed_actions(people["chuyenvien.stp"], incoming)
    with pytest.raises(DomainError) as caught:  # someone of another agency cannot be given the document
        services.assign(people["giamdoc.stp"], incoming, lead=people["chuyenvien.sxd"])
    assert caught.value.code == "illegal_transition"


def test_assignee_must_belong_to_the_agency(people, agencies):
    stp = agencies["000.00.03.H37"]
    incoming = services.register_incoming(people["vanthu.stp"], stp, incoming_fields())
    for lead in (agencies["000.01.07.H37"], people["chuyenvien.sxd"]):
        with pytest.raises(DomainError) as caught:
            services.assign(people["giamdoc.stp"], incoming, lead=lead)
        assert caught.value.code == "assignee_outside"


def test_duplicate_incoming_is_refused_unless_forced(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    first = services.register_incoming(clerk, stp, incoming_fields())
    with pytest.raises(DomainError) as caught:
        services.register_incoming(clerk, stp, incoming_fields(sender_code="", sender_name="UỶ BAN NHÂN DÂN TỈNH "
                                                                                     "LẠNG SƠN"))
    assert caught.value.code == "duplicate_incoming" and "số đến 1" in caught.value.message
    # another sender's 15/GM-UBND is another document
    other = services.register_incoming(clerk, stp, incoming_fields(sender_code="000.00.31.H37",
                                                                   sender_name="UBND phường Lương Văn Tri"))
    forced = services.register_incoming(clerk, stp, incoming_fields(), force=True)
    assert (first.arrival_number, other.arrival_number, forced.arrival_number) == (1, 2, 3)
    assert forced.events.get().data["forced_duplicate"] == first.pk


def test_incoming_needs_subject_sender_and_a_clerk(people, agencies):
    stp = agencies["000.00.03.H37"]
    with pytest.raises(DomainError) as caught:
        services.register_incoming(people["vanthu.stp"], stp, incoming_fields(subject=" "))
    assert caught.value.field == "subject"
    with pytest.raises(DomainError) as caught:
        services.register_incoming(people["vanthu.stp"], stp, incoming_fields(notation="15 / GM-UBND"))
    assert caught.value.code == "notation_invalid"
    for username in ("vanthu.sxd", "giamdoc.stp", "vanthu"):
        with pytest.raises(DomainError) as caught:
            services.register_incoming(people[username], stp, incoming_fields())
        assert caught.value.code == "forbidden"


def test_outgoing_flow_and_delivery(people, agencies):
    stp, ubnd, sxd = agencies["000.00.03.H37"], agencies["000.00.00.H37"], agencies["000.00.07.H37"]
    author, head, leader, clerk = (people[u] for u in ("chuyenvien.stp", "truongphong.stp", "giamdoc.stp",
                                                          "vanthu.stp"))
    draft = services.create_draft(author, stp, doc_type("BC"), "Báo cáo công tác tư pháp quý I", pdf_upload())
    assert draft.status == Status.DRAFT and draft.notation == "" and draft.number is None
    with pytest.raises(DomainError) as caught:
        services.approve(head, draft)
    assert caught.value.code == "illegal_transition"
    services.submit_for_approval(author, draft)
    with pytest.raises(DomainError) as caught:
        services.approve(author, draft)
    assert caught.value.code == "forbidden"
    services.send_back(head, draft, "Bổ sung số liệu tháng 3.")
    services.add_file(author, draft, SimpleUploadedFile("phu-luc.docx", docx_bytes(["Phụ lục số liệu"])),
                      kind=DocumentFile.Kind.ATTACHMENT)
    services.submit_for_approval(author, draft)
    services.approve(head, draft, "Đồng ý.")
    with pytest.raises(DomainError):
        services.sign(head, draft)  # only the agency's leader signs
    services.sign(leader, draft)
    draft.refresh_from_db()
    assert draft.status == Status.SIGNED and draft.signer_name == "Nông Đức Thắng"
    assert draft.signer_position == "Giám đốc" and not draft.digitally_signed
    with pytest.raises(DomainError):
        services.deliver(clerk, draft, [ubnd])  # not issued yet
    issued = services.issue(clerk, draft)
    assert issued.notation == "01/BC-STP" and issued.issued_date == timezone.localdate()

    deliveries = services.deliver(clerk, issued, [ubnd, sxd, services.ExternalRecipient("000.00.00.G22",
                                                                                        "Bộ Tư pháp")])
    assert [d.channel for d in deliveries] == ["platform", "platform", "edxml"]
    received = Document.objects.get(source=issued, agency=ubnd)
    assert received.direction == Direction.INCOMING and received.status == Status.TO_REGISTER
    assert received.notation == "01/BC-STP" and received.sender_agency == stp and received.arrival_number is None
    assert sorted(received.files.values_list("kind", flat=True)) == ["attachment", "body"]
    assert "phu luc so lieu" in received.search_text

    # the receiving clerk of UBND tỉnh is the clerk of its office (Văn phòng UBND tỉnh)
    with pytest.raises(DomainError):
        services.confirm_registration(people["vanthu.sxd"], received)
    services.confirm_registration(people["vanthu"], received)
    received.refresh_from_db()
    assert received.status == Status.REGISTERED and received.arrival_number == 1
    sxd_copy = Document.objects.get(source=issued, agency=sxd)
    services.return_to_sender(people["vanthu.sxd"], sxd_copy, "Không thuộc thẩm quyền.")
    sxd_copy.refresh_from_db()
    assert sxd_copy.status == Status.RETURNED

    package = Delivery.objects.get(document=issued, channel=Delivery.Channel.EDXML).package
    with package.file.open("rb") as handle:
        message = edxml.parse(handle.read())
    assert message.sender.organ_id == "000.00.03.H37" and [r.organ_id for r in message.recipients] == [
        "000.00.00.G22"]
    assert str(message.code) == "01/BC-STP" and message.promulgation.date == issued.issued_date
    assert message.document_id == f"000.00.03.H37,{issued.issued_date:%Y/%m/%d},01/BC-STP"
    assert message.subject == "Báo cáo công tác tư pháp quý I" and len(message.attachments) == 2
    assert message.attachments[0].data.startswith(b"%PDF")

    with pytest.raises(DomainError) as caught:
        services.deliver(clerk, issued, [ubnd])
    assert caught.value.code == "already_delivered"
    assert list(issued.events.values_list("action", flat=True)) == [
        "drafted", "submitted", "sent_back", "file_added", "submitted", "approved", "signed", "issued", "delivered"]


def test_secret_documents_are_not_sent_electronically(people, agencies):
    stp = agencies["000.00.03.H37"]
    issued = services.issue(people["vanthu.stp"], signed_outgoing(people, stp, secrecy=Secrecy.TOP_SECRET))
    with pytest.raises(DomainError) as caught:
        services.deliver(people["vanthu.stp"], issued, [agencies["000.00.00.H37"]])
    assert caught.value.code == "secret_not_electronic"


def test_external_recipient_needs_an_identifier(people, agencies):
    issued = services.issue(people["vanthu.stp"], signed_outgoing(people, agencies["000.00.03.H37"]))
    with pytest.raises(DomainError) as caught:
        services.deliver(people["vanthu.stp"], issued, [services.ExternalRecipient("Bộ Tư pháp", "Bộ Tư pháp")])
    assert caught.value.code == "recipient_invalid"
    # an identifier of an agency on the platform goes through the platform
    deliveries = services.deliver(people["vanthu.stp"], issued, [services.ExternalRecipient("000.00.07.H37", "x")])
    assert deliveries[0].channel == Delivery.Channel.PLATFORM


def test_another_agencys_clerk_sees_and_does_nothing(people, agencies):
    stp = agencies["000.00.03.H37"]
    incoming = services.register_incoming(people["vanthu.stp"], stp, incoming_fields())
    outgoing = signed_outgoing(people, stp)
    other = people["vanthu.sxd"]
    assert queries.visible_documents(other).count() == 0
    assert queries.search(other, "giay moi") == []
    assert all(box.count == 0 for box in queries.boxes(other))
    with pytest.raises(DomainError) as caught:
        queries.document_for(other, incoming.pk)
    assert caught.value.code == "document_not_found"
    assert queries.allowed_actions(other, outgoing) == set()
    with pytest.raises(DomainError):
        services.issue(other, outgoing)
    # the people of Sở Tư pháp see them; the specialist sees the incoming one only once it is assigned to him
    assert queries.visible_documents(people["vanthu.stp"]).count() == 2
    assert incoming not in queries.visible_documents(people["chuyenvien.stp"])
    services.assign(people["giamdoc.stp"], incoming, lead=agencies["000.01.03.H37"])
    assert incoming in queries.visible_documents(people["chuyenvien.stp"])


def test_history_is_immutable(people, agencies):
    incoming = services.register_incoming(people["vanthu.stp"], agencies["000.00.03.H37"], incoming_fields())
    event = incoming.events.get()
    event.note = "sửa"
    with pytest.raises(Exception, match="không được sửa"):
        event.save()
    with pytest.raises(Exception, match="không được xóa"):
        event.delete()
    assert DocumentEvent.objects.get(pk=event.pk).note == ""


def test_search_ignores_diacritics_and_reads_files(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    meeting = services.register_incoming(clerk, stp, incoming_fields())
    upload = SimpleUploadedFile("bao-cao.docx", docx_bytes(["Kết quả thẩm định hồ sơ đấu giá tài sản"]))
    report = services.register_incoming(clerk, stp, incoming_fields(subject="Báo cáo tháng", notation="20/BC-SXD",
                                                                     document_type=doc_type("BC"),
                                                                     sender_name="Sở Xây dựng",
                                                                     sender_code="000.00.07.H37"), [upload])
    pdf = services.register_incoming(clerk, stp, incoming_fields(subject="Công văn", notation="21/SXD-VP",
                                                                  document_type=None,
                                                                  sender_code="000.00.07.H37",
                                                                  sender_name="Sở Xây dựng"),
                                     [pdf_upload(text="Thong bao lich tiep cong dan")])
    user = people["giamdoc.stp"]
    assert queries.search(user, "giay moi hop") == [meeting]
    assert queries.search(user, "GIẤY MỜI") == [meeting]
    assert queries.search(user, "15/GM-UBND") == [meeting]
    assert queries.search(user, "dau gia tai san") == [report]
    assert queries.search(user, "tiếp công dân") == [pdf]
    assert set(queries.search(user, "so xay dung")) == {report, pdf}
    assert queries.search(user, "   ") == []


def test_files_are_checked_by_content(people, agencies):
    stp = agencies["000.00.03.H37"]
    fake = SimpleUploadedFile("van-ban.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(DomainError) as caught:
        services.register_incoming(people["vanthu.stp"], stp, incoming_fields(), [fake])
    assert caught.value.code == "file_type_not_allowed"
    assert not Document.objects.exists()  # nothing registered, no number used
    empty = SimpleUploadedFile("rong.pdf", b"")
    with pytest.raises(DomainError) as caught:
        services.register_incoming(people["vanthu.stp"], stp, incoming_fields(), [empty])
    assert caught.value.code == "file_empty"
    ok = services.register_incoming(people["vanthu.stp"], stp, incoming_fields(), [pdf_upload("../../x/a.PDF")])
    row = ok.files.get()
    assert row.name == "a.pdf" and len(row.sha256) == 64 and row.size > 0
    assert row.file.name.startswith(f"documents/{ok.pk}/")
    assert ok.arrival_number == 1


def test_tracking_order_overdue_first_then_urgent(people, agencies, monkeypatch):
    stp, clerk, leader = agencies["000.00.03.H37"], people["vanthu.stp"], people["giamdoc.stp"]
    hctp = agencies["000.01.03.H37"]
    today = timezone.localdate()
    normal = services.register_incoming(clerk, stp, incoming_fields(notation="1/UBND", urgency=Urgency.NORMAL))
    flash = services.register_incoming(clerk, stp, incoming_fields(notation="2/UBND", urgency=Urgency.FLASH))
    late = services.register_incoming(clerk, stp, incoming_fields(notation="3/UBND", urgency=Urgency.NORMAL))
    soon = services.register_incoming(clerk, stp, incoming_fields(notation="4/UBND", urgency=Urgency.NORMAL))
    services.assign(leader, late, lead=hctp, deadline=today)
    services.assign(leader, soon, lead=hctp, deadline=today + timedelta(days=2))
    rows = queries.box_documents(leader, "den", today=today + timedelta(days=1))
    assert rows == [late, flash, soon, normal]
    assert rows[0].overdue_flag and not rows[1].overdue_flag


def test_deadline_cannot_be_in_the_past(people, agencies):
    incoming = services.register_incoming(people["vanthu.stp"], agencies["000.00.03.H37"], incoming_fields())
    with pytest.raises(DomainError) as caught:
        services.assign(people["giamdoc.stp"], incoming, lead=agencies["000.01.03.H37"], deadline=date(2020, 1, 1))
    assert caught.value.code == "deadline_past"


def test_issued_date_in_the_future_is_refused(people, agencies):
    with pytest.raises(DomainError) as caught:
        services.register_incoming(people["vanthu.stp"], agencies["000.00.03.H37"],
                                   incoming_fields(issued_date=timezone.localdate() + timedelta(days=3)))
    assert caught.value.code == "issued_in_future"


def test_duplicate_found_by_name_when_one_side_has_no_identifier(people, agencies):
    stp, clerk = agencies["000.00.03.H37"], people["vanthu.stp"]
    services.register_incoming(clerk, stp, incoming_fields(sender_code=""))
    with pytest.raises(DomainError) as caught:
        services.register_incoming(clerk, stp, incoming_fields())  # same name, now with the identifier
    assert caught.value.code == "duplicate_incoming"
    assert services.find_duplicate_incoming(stp, notation="16/GM-UBND", number=16,
                                            sender_name="Ủy ban nhân dân tỉnh Lạng Sơn") is None
