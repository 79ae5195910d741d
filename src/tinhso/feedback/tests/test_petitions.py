"""Petitions (PAKN): deadlines computed with the working-day calendar (hand-computed here across weekends and public
holidays), the verdict of each step, publication and the citizens' votes, repeated complaints, bad input."""

from datetime import date

import pytest
from django.urls import reverse

from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.models import Agency, AuditEvent
from tinhso.feedback import queries, services
from tinhso.feedback.models import Petition, PetitionEvent, PetitionRules, PetitionVote
from tinhso.feedback.services import PetitionInput, acting_at

from .conftest import PROVINCE_CENTRE, at, returned

STP = "000.00.03.H37"  # Sở Tư pháp (giamdoc.stp: agency leader)
STP_DIVISION = "000.01.03.H37"  # its civil-status division (chuyenvien.stp, truongphong.stp)


def anonymous(text="Cán bộ hướng dẫn chưa đầy đủ, tôi phải đi lại ba lần.", phone="0987 654 321",
              **kwargs) -> PetitionInput:
    return PetitionInput(text=text, name="Nguyễn Thị Hoa", phone=phone, **kwargs)


def submit(moment: str, data: PetitionInput | None = None, actor=None) -> Petition:
    with acting_at(at(moment)):
        return services.submit_petition(actor, data or anonymous(procedure_code="1.001193"))


def test_deadlines_across_the_weekend_and_the_april_holidays(people):
    # Received Friday 24/4/2026 10:00. Not counted: the day of receipt, Sat–Sun 25–26/4, Mon 27/4 (Giỗ Tổ Hùng Vương
    # observed), Thu 30/4 and Fri 1/5 (holidays), Sat–Sun 2–3/5 and every later weekend.
    petition = submit("24/04/2026 10:00")
    assert petition.code.startswith("PAKN-260424-") and petition.state == Petition.State.RECEIVED
    assert petition.receiving_agency.code == PROVINCE_CENTRE
    assert petition.refuse_due_at == at("29/04/2026 17:00")  # 28, 29/4
    assert petition.supplement_due_at == at("06/05/2026 17:00")  # 28, 29/4, 4, 5, 6/5
    assert petition.answer_due_at == at("20/05/2026 17:00")  # 28, 29/4, 4–8/5, 11–15/5, 18–20/5
    assert petition.publish_due_at is None and petition.next_due_at == petition.answer_due_at
    assert petition.rules["answer_days"] == 15 and petition.classification == Petition.Classification.TTHC
    assert petition.field == "Hộ tịch" and petition.procedure.code == "1.001193"


def test_after_the_cutoff_the_count_starts_after_the_holidays(people):
    petition = submit("29/04/2026 15:30")  # after 15:00 on the eve of 30/4: as if received Monday 4/5
    assert petition.refuse_due_at == at("06/05/2026 17:00")
    assert petition.supplement_due_at == at("11/05/2026 17:00")
    assert petition.answer_due_at == at("25/05/2026 17:00")


def test_deadlines_across_national_day_2026(people):
    # Fri 28/8/2026: Sat–Sun 29–30/8, Mon 31/8 (day off, worked on Sat 22/8), Tue–Wed 1–2/9 (Quốc khánh).
    petition = submit("28/08/2026 10:00")
    assert petition.refuse_due_at == at("04/09/2026 17:00")
    assert petition.supplement_due_at == at("09/09/2026 17:00")
    assert petition.answer_due_at == at("23/09/2026 17:00")


def test_the_rules_in_force_at_receipt_are_kept(people):
    PetitionRules.objects.create(effective_from=date(2026, 5, 1), answer_days=10, publish_days=3)
    before, after = submit("24/04/2026 10:00"), submit("04/05/2026 09:00", anonymous(procedure_code="1.001193",
                                                                                        phone="0911111111"))
    assert before.rules["answer_days"] == 15 and before.answer_due_at == at("20/05/2026 17:00")
    assert after.rules["answer_days"] == 10 and after.answer_due_at == at("18/05/2026 17:00")  # 5–8, 11–15, 18/5


def lifecycle(people, petition, *, agency=STP_DIVISION):
    with acting_at(at("27/04/2026 09:00")):  # a holiday: the desk works anyway, the verdicts still hold
        services.assign_petition(people["tiepnhan"], petition, Agency.objects.get(code=agency))
    return Petition.objects.get(pk=petition.pk)


def test_answer_on_time_then_late_publication(people):
    petition = lifecycle(people, submit("24/04/2026 10:00"))
    assert petition.state == Petition.State.ASSIGNED and petition.agency.code == STP_DIVISION
    with pytest.raises(Forbidden):  # an agency the petition was not sent to
        services.answer_petition(people["chuyenvien.sxd"], petition, "Trả lời")
    with acting_at(at("20/05/2026 14:00")):
        services.answer_petition(people["chuyenvien.stp"], petition, "Sở đã kiểm tra và chấn chỉnh.")
    petition.refresh_from_db()
    assert petition.state == Petition.State.ANSWERED and petition.answered_on_time is True
    assert petition.publish_due_at == at("22/05/2026 17:00")  # 21, 22/5
    with pytest.raises(Forbidden):  # publishing is for the head of the division or the agency's leader
        services.publish_petition(people["chuyenvien.stp"], petition)
    with acting_at(at("25/05/2026 08:00")):
        services.publish_petition(people["truongphong.stp"], petition)
    petition.refresh_from_db()
    assert petition.state == Petition.State.PUBLISHED and petition.published_on_time is False
    verdicts = dict(PetitionEvent.objects.filter(petition=petition).values_list("action", "on_time"))
    assert verdicts == {"received": None, "assigned": None, "answered": True, "published": False}
    assert AuditEvent.objects.filter(action="petition.published", object_id=str(petition.pk)).exists()

    row = queries.petitions()[0]
    assert (row.answered_on_time, row.published_on_time) == (True, False)
    assert not row.on_time(at("26/05/2026 09:00")) and not row.satisfied(at("26/05/2026 09:00"))


def test_late_answer_after_the_answer_publication_answered_after_the_cutoff(people):
    petition = lifecycle(people, submit("24/04/2026 10:00"))
    with acting_at(at("21/05/2026 16:00")):  # the answer was due 20/5 17:00; 16:00 is after the 15:00 cut-off
        services.answer_petition(people["chuyenvien.stp"], petition, "Trả lời muộn.")
    petition.refresh_from_db()
    assert petition.answered_on_time is False
    assert petition.publish_due_at == at("26/05/2026 17:00")  # counted from 22/5: 25, 26/5
    assert queries.petitions()[0].overdue(at("26/05/2026 17:01"))


def test_refusal_in_time_and_too_late(people):
    first = submit("24/04/2026 10:00")
    with acting_at(at("29/04/2026 16:59")):
        services.refuse_petition(people["tiepnhan"], first, "Không phải phản ánh về quy định hành chính.")
    second = submit("24/04/2026 11:00", anonymous(text="Một nội dung khác hẳn", phone="0911000111"))
    with acting_at(at("04/05/2026 08:00")):
        services.refuse_petition(people["tiepnhan"], second, "Nội dung không cụ thể.")
    assert Petition.objects.get(pk=first.pk).refused_on_time is True
    assert Petition.objects.get(pk=second.pk).refused_on_time is False
    with pytest.raises(DomainError) as exc:
        services.assign_petition(people["tiepnhan"], first, Agency.objects.get(code=STP))
    assert exc.value.code == "illegal_transition"
    third = submit("24/04/2026 12:00", anonymous(text="Khác", phone="0900000001"))
    with pytest.raises(DomainError) as exc:
        services.refuse_petition(people["tiepnhan"], third, "   ")
    assert exc.value.code == "reason_required"


def test_supplement_first_request_and_the_paused_answer_clock(people):
    petition = submit("24/04/2026 10:00")
    with acting_at(at("06/05/2026 10:00")):  # due 6/5 17:00: on time
        services.request_supplement(people["tiepnhan"], petition, "Cho biết mã hồ sơ và ngày nộp.")
    petition.refresh_from_db()
    assert petition.state == Petition.State.SUPPLEMENT and petition.supplement_on_time is True
    assert petition.next_due_at is None
    with pytest.raises(Forbidden):
        services.provide_supplement(petition, "Thông tin", secret="WRONG1")
    with acting_at(at("08/05/2026 10:00")):
        services.provide_supplement(petition, "Hồ sơ nộp ngày 20/4.", secret=petition.secret)
    petition.refresh_from_db()
    # Counted before the pause: 28, 29/4, 4, 5/5 (6/5 is lost: the pause began during office hours). The resume on
    # 8/5 is a new trigger (not counted): 11–15/5, 18–22/5, 25/5 → the 15th working day is 25/5.
    assert petition.state == Petition.State.RECEIVED and petition.answer_due_at == at("25/05/2026 17:00")
    assert "Hồ sơ nộp ngày 20/4." in petition.text
    petition = lifecycle(people, petition)
    with acting_at(at("11/05/2026 09:00")):  # a second request is not judged against the 5-day deadline
        services.request_supplement(people["chuyenvien.stp"], petition, "Thêm ảnh chụp giấy hẹn.")
    event = PetitionEvent.objects.filter(petition=petition, action="supplement_requested").last()
    assert event.on_time is None and Petition.objects.get(pk=petition.pk).supplement_on_time is True


def test_late_first_supplement_request(people):
    petition = submit("24/04/2026 10:00")
    with acting_at(at("07/05/2026 08:00")):
        services.request_supplement(people["tiepnhan"], petition, "Cho biết địa điểm.")
    assert Petition.objects.get(pk=petition.pk).supplement_on_time is False


def published_petition(people):
    petition = lifecycle(people, submit("24/04/2026 10:00"), agency=STP)
    with acting_at(at("05/05/2026 09:00")):
        services.answer_petition(people["giamdoc.stp"], petition, "Sở Tư pháp tiếp thu và đã chấn chỉnh.")
    with acting_at(at("06/05/2026 09:00")):
        return services.publish_petition(people["giamdoc.stp"], petition)


def test_likes_and_dislikes_once_each(people):
    petition = published_petition(people)
    services.vote(petition, "like", actor=people["congdan"])
    with pytest.raises(DomainError) as exc:
        services.vote(petition, "dislike", actor=people["congdan"])
    assert exc.value.code == "already_voted"
    services.vote(petition, "dislike", actor=people["doanhnghiep"])
    services.vote(petition, "dislike", secret=petition.secret.lower())  # the anonymous sender, with the secret
    with pytest.raises(DomainError) as exc:
        services.vote(petition, "like", secret=petition.secret)
    assert exc.value.code == "already_voted"
    with pytest.raises(Forbidden):
        services.vote(petition, "like")
    with pytest.raises(Forbidden):
        services.vote(petition, "like", actor=people["giamdoc.stp"])  # staff do not vote on their own answers
    with pytest.raises(DomainError) as exc:
        services.vote(petition, "meh", actor=people["quantri"])
    assert exc.value.code == "value_required"
    assert PetitionVote.objects.filter(petition=petition).count() == 3
    row = queries.petitions()[0]
    assert (row.likes, row.dislikes) == (1, 2)
    assert row.on_time(at("07/05/2026 09:00")) and not row.satisfied(at("07/05/2026 09:00"))

    unpublished = submit("24/04/2026 11:00", anonymous(text="Nội dung khác", phone="0900000002"))
    with pytest.raises(DomainError) as exc:
        services.vote(unpublished, "like", actor=people["congdan"])
    assert exc.value.code == "not_published"


def test_a_repeated_complaint_is_linked_to_the_first(people, desk):
    citizen = people["congdan"]
    first = submit("24/04/2026 10:00", PetitionInput(text="Hồ sơ khai sinh trả chậm so với giấy hẹn.",
                                                     procedure_code="1.001193"), citizen)
    other_topic = submit("27/04/2026 10:00", PetitionInput(text="Đề nghị mở thêm quầy tiếp nhận vào thứ Bảy.",
                                                           about="staff", agency_code=desk.code), citizen)
    again = submit("12/05/2026 10:00", PetitionInput(
        text="Tôi phản ánh lại: hồ sơ khai sinh vẫn trả chậm so với giấy hẹn.", subject="Hồ sơ khai sinh trả chậm"),
        citizen)
    third = submit("20/05/2026 10:00", PetitionInput(text="Lần thứ ba", procedure_code="1.001193"), citizen)
    stranger = submit("12/05/2026 11:00", anonymous(text="Hồ sơ khai sinh trả chậm so với giấy hẹn.",
                                                    procedure_code="1.001193"))
    assert other_topic.repeat_of is None and stranger.repeat_of is None
    assert again.repeat_of == first and third.repeat_of == first  # linked to the first, not to the previous one
    assert list(queries.repeats_of(first)) == [again, third]
    rows = {r.id: r for r in queries.petitions()}
    assert rows[first.pk].recomplained and not rows[again.pk].recomplained
    assert rows[third.pk].first_received_at == first.received_at
    assert not rows[first.pk].satisfied(at("25/04/2026 09:00"))


def test_bad_input_is_refused_and_nothing_is_recorded_twice(people):
    for text in ("", "   \n\t "):
        with pytest.raises(DomainError) as exc:
            submit("24/04/2026 10:00", anonymous(text=text))
        assert exc.value.code == "text_required" and exc.value.field == "text"
    with pytest.raises(DomainError) as exc:
        submit("24/04/2026 10:00", PetitionInput(text="Nội dung", name="Ẩn danh"))
    assert exc.value.code == "contact_required"
    with pytest.raises(DomainError) as exc:
        submit("24/04/2026 10:00", anonymous(about="staff"))
    assert exc.value.code == "agency_required"
    with pytest.raises(DomainError) as exc:
        submit("24/04/2026 10:00", anonymous(procedure_code="9.999999"))
    assert exc.value.code == "procedure_not_found"
    assert not Petition.objects.exists()

    first = submit("24/04/2026 10:00", anonymous(client_token="tok-1"))
    assert submit("24/04/2026 10:01", anonymous(client_token="tok-1")) == first  # the same form sent twice
    with pytest.raises(DomainError) as exc:  # the same text again the same day, from another form
        submit("24/04/2026 14:00", anonymous(client_token="tok-2"))
    assert exc.value.code == "duplicate_petition" and first.code in exc.value.message
    assert Petition.objects.count() == 1 and PetitionEvent.objects.count() == 1


def test_a_dossier_is_linked_only_by_its_owner_or_with_its_secret(people, desk):
    dossier = returned(people, desk)
    mine = submit("24/04/2026 10:00", PetitionInput(text="Trả kết quả chậm.", dossier_code=dossier.code),
                  people["congdan"])
    assert mine.dossier == dossier and mine.procedure.code == "1.001193"
    assert mine.concerned_agency == dossier.handling_agency
    with pytest.raises(DomainError) as exc:
        submit("24/04/2026 10:00", PetitionInput(text="Chậm.", dossier_code=dossier.code), people["doanhnghiep"])
    assert exc.value.code == "dossier_not_found"
    with_secret = submit("24/04/2026 11:00", anonymous(dossier_code=dossier.code,
                                                       dossier_secret=dossier.lookup_secret))
    assert with_secret.dossier == dossier
    assert queries.dossiers_with_complaint([dossier.pk]) == {dossier.pk}


def test_staff_work_list_is_scoped_and_overdue_first(people, client):
    old = submit("24/04/2026 10:00")
    new = submit("04/05/2026 10:00", anonymous(text="Một phản ánh khác", phone="0900000003"))
    tiepnhan = people["tiepnhan"]
    now = at("21/05/2026 09:00")
    assert list(queries.inbox(tiepnhan, "mo", now=now)) == [old, new]
    assert list(queries.inbox(tiepnhan, "qua-han", now=now)) == [old]
    assert list(queries.inbox(tiepnhan, "mo", q="mot PHAN anh khac", now=now)) == [new]
    assert not queries.inbox(people["chuyenvien.sxd"], "tat-ca").exists()
    lifecycle(people, new)
    assert list(queries.inbox(people["chuyenvien.stp"], "tat-ca")) == [new]

    client.force_login(people["chuyenvien.sxd"])
    assert client.get(reverse("feedback:staff-petition", args=[old.pk])).status_code == 404
    client.force_login(people["congdan"])
    assert client.get(reverse("feedback:staff-inbox")).status_code == 403
    client.force_login(tiepnhan)
    page = client.get(reverse("feedback:staff-inbox"), {"hop": "tat-ca"}).content.decode()
    assert old.code in page and new.code in page
    detail = client.get(reverse("feedback:staff-petition", args=[old.pk])).content.decode()
    assert "Chuyển cơ quan có thẩm quyền" in detail and "Từ chối tiếp nhận" in detail
    refused = client.post(reverse("feedback:staff-action", args=[old.pk, "tu-choi"]), {"reason": " "})
    assert refused.status_code == 400 and "Cần ghi rõ lý do" in refused.content.decode()
    moved = client.post(reverse("feedback:staff-action", args=[old.pk, "chuyen-xu-ly"]), {"agency": STP})
    assert moved.status_code == 302 and Petition.objects.get(pk=old.pk).agency.code == STP


def test_public_pages(people, client):
    empty = client.post(reverse("feedback:submit"), {"about": "procedure", "text": "  ", "name": "Lê Văn Tám",
                                                     "phone": "0912000111"})
    assert empty.status_code == 400 and "Hãy nhập nội dung phản ánh" in empty.content.decode()
    assert not Petition.objects.exists()
    sent = client.post(reverse("feedback:submit"), {
        "about": "procedure", "subject": "Thời gian giải quyết chậm", "text": "Hồ sơ của tôi trả chậm.",
        "procedure_code": "1.001193", "name": "Lê Văn Tám", "phone": "0912000111", "client_token": "abc"},
        follow=True)
    petition = Petition.objects.get()
    assert petition.code in sent.content.decode() and petition.secret in sent.content.decode()
    status = client.get(reverse("feedback:lookup"), {"ma": petition.code, "khoa": petition.secret})
    assert status.status_code == 200 and "Đã tiếp nhận" in status.content.decode()
    wrong = client.get(reverse("feedback:lookup"), {"ma": petition.code, "khoa": "XXXXXX"})
    assert wrong.status_code == 404

    lifecycle(people, petition, agency=STP)
    with acting_at(at("05/05/2026 09:00")):
        services.answer_petition(people["giamdoc.stp"], petition, "Sở đã chấn chỉnh việc trả kết quả.")
        services.publish_petition(people["giamdoc.stp"], petition)
    found = client.get(reverse("feedback:index"), {"q": "THOI GIAN giai quyet"}).content.decode()
    assert petition.code in found and "Lê V. T." in found and "0912000111" not in found
    assert petition.code not in client.get(reverse("feedback:index"), {"q": "xay dung"}).content.decode()
    client.force_login(people["congdan"])
    client.post(reverse("feedback:vote", args=[petition.code]), {"value": "like"})
    page = client.get(reverse("feedback:published", args=[petition.code])).content.decode()
    assert "1 người hài lòng" in page and "Bạn đã chọn" in page


def test_petition_api(people, client):
    bad = client.post("/api/feedback/petitions", {"text": " ", "name": "Lê Văn Tám", "phone": "0912000111"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json() == {"code": "text_required", "field": "text",
                                                     "message": "Hãy nhập nội dung phản ánh, kiến nghị."}
    body = {"text": "Niêm yết phí chưa rõ.", "procedure_code": "1.001193", "name": "Lê Văn Tám",
            "phone": "0912000111", "client_token": "k1"}
    created = client.post("/api/feedback/petitions", body, content_type="application/json")
    assert created.status_code == 201
    again = client.post("/api/feedback/petitions", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["code"] == created.json()["code"]
    code, secret = created.json()["code"], created.json()["secret"]
    status = client.get("/api/feedback/petitions/status", {"code": code, "secret": secret})
    assert status.status_code == 200 and status.json()["state"] == "received"
    assert client.get("/api/feedback/petitions/status", {"code": code, "secret": "NOPE00"}).status_code == 404

    petition = Petition.objects.get(code=code)
    client.force_login(people["tiepnhan"])
    listed = client.get("/api/feedback/staff/petitions", {"box": "tat-ca"})
    assert listed.status_code == 200 and listed.json()["items"][0]["code"] == code
    moved = client.post(f"/api/feedback/staff/petitions/{petition.pk}/assign", {"agency": STP},
                        content_type="application/json")
    assert moved.status_code == 200 and moved.json()["state"] == "assigned"
    client.force_login(people["giamdoc.stp"])
    wrong = client.post(f"/api/feedback/staff/petitions/{petition.pk}/publish", {}, content_type="application/json")
    assert wrong.status_code == 409 and wrong.json()["code"] == "illegal_transition"
    answered = client.post(f"/api/feedback/staff/petitions/{petition.pk}/answer", {"answer": "Đã niêm yết."},
                           content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answered_on_time"] is True
    client.post(f"/api/feedback/staff/petitions/{petition.pk}/publish", {}, content_type="application/json")
    client.logout()
    published = client.get("/api/feedback/petitions/published", {"q": "niem yet"}).json()
    assert [p["code"] for p in published["items"]] == [code] and published["items"][0]["sender"] == "Lê V. T."
    vote = client.post(f"/api/feedback/petitions/published/{code}/vote", {"value": "like", "secret": secret},
                       content_type="application/json")
    assert vote.status_code == 201 and vote.json()["likes"] == 1
    twice = client.post(f"/api/feedback/petitions/published/{code}/vote", {"value": "like", "secret": secret},
                        content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_voted"
