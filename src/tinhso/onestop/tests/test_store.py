"""Digitisation and the personal document store (kho dữ liệu cá nhân): the flags the QĐ 766 index reads
(digitised, reused, taken from the store, electronic result, result in the store), what goes into the store and when,
reuse of a stored document in a later dossier, and that nobody reaches another person's store."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.services import register_applicant
from tinhso.onestop import services
from tinhso.onestop.models import Attachment, Dossier, DossierEvent, DossierItem, PersonalDocument

from .conftest import PDF, pdf

PASSWORD = "tinhso-demo-2026"
HTMX = {"HTTP_HX_REQUEST": "true"}
OTHER_PDF = PDF.replace(b"612 792", b"595 842")  # another valid PDF: another SHA-256


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_FILES": 60}


def draft(citizen, desk, code="1.001193"):
    return services.create_dossier(citizen, procedure_code=code, channel_kind="online", receiving_agency=desk,
                                   delivery=Dossier.Delivery.ELECTRONIC)


def online_dossier(citizen, desk, content=PDF):
    dossier = draft(citizen, desk)
    for n, item in enumerate(dossier.items.filter(mandatory=True)):
        services.add_attachment(citizen, dossier, pdf(f"giay-to-{n}.pdf", content), item=item)
    return services.submit(citizen, dossier)


def to_result(people, dossier):
    """From accepted to the result returned electronically (commune procedure 1.001193)."""
    dossier = services.forward(people["congchuc.lvt"], dossier, note="Hồ sơ hợp lệ")
    leader = people["chutich.lvt"]
    services.attach_result(leader, dossier, pdf("giay-khai-sinh.pdf", OTHER_PDF))
    dossier = services.decide(leader, dossier, Dossier.Outcome.APPROVED)
    return services.return_result(people["tiepnhan.lvt"], dossier, recipient_name="Hoàng Văn Minh")


def walk_in(people, desk, id_number=""):
    info = services.ApplicantInfo(name="Nguyễn Văn An", id_number=id_number, phone="0912000111")
    return services.create_dossier(people["tiepnhan.lvt"], procedure_code="1.001193", channel_kind="direct",
                                   receiving_agency=desk, applicant=info, draft=False)


@pytest.fixture
def other_citizen(demo):
    return register_applicant(kind="citizen", username="nguoikhac", password="mat-khau-rat-dai-2026",
                              full_name="Lộc Thị Hạnh", identity_number="020199009999", phone="0987000111")


@pytest.fixture
def stored(people, desk):
    """An accepted online dossier of ``congdan``: its files are in the store."""
    return services.accept(people["tiepnhan.lvt"], online_dossier(people["congdan"], desk))


# --- what acceptance records ----------------------------------------------------------------------------------------

def test_accepting_an_online_dossier_digitises_its_components_into_the_store(people, desk):
    citizen = people["congdan"]
    dossier = online_dossier(citizen, desk)
    with_files = set(dossier.attachments.values_list("item_id", flat=True))
    assert not DossierItem.objects.filter(dossier=dossier, digitised=True).exists()  # not before acceptance

    # The officer unchecks everything: the citizen's own online uploads are digitised all the same
    dossier = services.accept(people["tiepnhan.lvt"], dossier, digitised_items=[])
    digitised = set(dossier.items.filter(digitised=True).values_list("pk", flat=True))
    assert digitised == with_files and digitised
    assert not dossier.items.filter(reused=True).exists() and not dossier.items.filter(from_store=True).exists()

    documents = PersonalDocument.objects.filter(owner=citizen)
    # The same content uploaded for several components is kept once
    assert documents.count() == 1
    document = documents.get()
    source = dossier.attachments.order_by("uploaded_at", "id").first()
    assert document.kind == PersonalDocument.Kind.DIGITISED
    assert document.source_dossier == dossier and document.source_dossier_code == dossier.code
    assert document.procedure_code == "1.001193" and document.procedure_name == dossier.procedure_version.name
    assert document.component_id == source.item.component_id and document.title
    # The store points at the dossier's stored file: nothing copied
    assert document.file.name == source.file.name and document.sha256 == source.sha256
    event = DossierEvent.objects.get(dossier=dossier, action="accepted")
    assert sorted(event.data["digitised"]) == sorted(digitised) and event.data["stored"] == 1


def test_the_officer_chooses_what_is_digitised_at_the_desk(people, desk):
    citizen = people["congdan"]
    officer = people["tiepnhan.lvt"]
    dossier = walk_in(people, desk, id_number=citizen.identity_number)
    assert dossier.applicant == citizen  # found by the identity number
    first, second, third = dossier.items.order_by("order")[:3]
    services.add_attachment(officer, dossier, pdf("ban-quet-1.pdf"), item=first, digitised=True)
    services.add_attachment(officer, dossier, pdf("ban-quet-2.pdf", OTHER_PDF), item=second, digitised=True)

    with pytest.raises(DomainError) as exc:  # a component without a file cannot be digitised
        services.accept(officer, dossier, digitised_items=[first.pk, third.pk])
    assert exc.value.code == "item_without_file"
    with pytest.raises(DomainError) as exc:
        services.accept(officer, dossier, digitised_items=[999999])
    assert exc.value.code == "wrong_item"
    assert Dossier.objects.get(pk=dossier.pk).code is None and not PersonalDocument.objects.exists()

    dossier = services.accept(officer, dossier, digitised_items=[first.pk])
    assert list(dossier.items.filter(digitised=True)) == [first]  # the second was unchecked at acceptance
    document = PersonalDocument.objects.get(owner=citizen)
    assert document.source_attachment.item == first and document.name == "ban-quet-1.pdf"


def test_a_desk_dossier_without_an_account_is_digitised_but_stores_nothing(people, desk):
    officer = people["tiepnhan.lvt"]
    dossier = walk_in(people, desk)
    assert dossier.applicant is None
    items = list(dossier.items.order_by("order")[:2])
    for item in items:
        services.add_attachment(officer, dossier, pdf(), item=item, digitised=True)
    dossier = services.accept(officer, dossier)  # default: every component with a file
    assert set(dossier.items.filter(digitised=True)) == set(items)
    dossier = to_result(people, dossier)
    assert dossier.electronic_result and not dossier.result_in_store
    assert not PersonalDocument.objects.exists()


# --- the electronic result --------------------------------------------------------------------------------------------

def test_the_electronic_result_goes_into_the_store_on_return(people, desk, stored):
    dossier = services.forward(people["congchuc.lvt"], stored, note="Hồ sơ hợp lệ")
    leader = people["chutich.lvt"]
    assert not dossier.electronic_result
    services.attach_result(leader, dossier, pdf("giay-khai-sinh.pdf", OTHER_PDF))
    assert Dossier.objects.get(pk=dossier.pk).electronic_result  # a result file exists
    dossier = services.decide(leader, dossier, Dossier.Outcome.APPROVED)
    assert dossier.electronic_result and not dossier.result_in_store
    assert not PersonalDocument.objects.filter(kind=PersonalDocument.Kind.RESULT).exists()  # not before the return

    dossier = services.return_result(people["tiepnhan.lvt"], dossier)
    dossier.refresh_from_db()
    assert dossier.electronic_result and dossier.result_in_store
    result = PersonalDocument.objects.get(kind=PersonalDocument.Kind.RESULT)
    assert result.owner == people["congdan"] and result.name == "giay-khai-sinh.pdf"
    assert result.issued_on is not None and result.source_dossier_code == dossier.code
    assert result.file.name == dossier.attachments.get(kind=Attachment.Kind.RESULT).file.name
    returned = DossierEvent.objects.get(dossier=dossier, action="returned")
    assert returned.data["result_in_store"] is True and returned.data["stored"] == 1


def test_a_refused_decision_has_no_electronic_result(people, desk, stored):
    dossier = services.forward(people["congchuc.lvt"], stored, note="Không đủ điều kiện")
    dossier = services.decide(people["chutich.lvt"], dossier, Dossier.Outcome.REFUSED, "Không đủ điều kiện.")
    dossier = services.return_result(people["tiepnhan.lvt"], dossier)
    assert not dossier.electronic_result and not dossier.result_in_store


# --- reuse ------------------------------------------------------------------------------------------------------------

def test_a_stored_document_is_reused_in_a_later_dossier(people, desk, stored):
    citizen = people["congdan"]
    document = PersonalDocument.objects.get(owner=citizen)
    second = draft(citizen, desk)
    item = second.items.get(component__name=document.component.name) if document.component else second.items.first()

    attachment = services.attach_from_store(citizen, second, item, document)
    item.refresh_from_db()
    assert item.reused and item.from_store and not item.digitised
    assert attachment.store_document == document and attachment.item == item
    assert attachment.file.name == document.file.name and attachment.sha256 == document.sha256
    assert attachment.size == len(PDF) and attachment.uploaded_by == citizen
    assert default_storage.open(attachment.file.name).read() == PDF
    with pytest.raises(DomainError) as exc:
        services.attach_from_store(citizen, second, item, document)
    assert exc.value.code == "already_attached"

    # The rest uploaded; submitted and accepted: counted as reused, from the store, and digitised; not stored twice
    for other in second.items.filter(mandatory=True).exclude(pk=item.pk):
        services.add_attachment(citizen, second, pdf("moi.pdf", OTHER_PDF), item=other)
    second = services.accept(people["tiepnhan.lvt"], services.submit(citizen, second))
    item.refresh_from_db()
    assert item.digitised and item.reused and item.from_store
    assert second.items.filter(reused=True).count() == 1
    assert PersonalDocument.objects.filter(owner=citizen, sha256=document.sha256).count() == 1


def test_another_persons_store_document_cannot_be_attached(people, desk, stored, other_citizen):
    document = PersonalDocument.objects.get(owner=people["congdan"])
    theirs = draft(other_citizen, desk)
    item = theirs.items.first()
    with pytest.raises(Forbidden):
        services.attach_from_store(other_citizen, theirs, item, document)
    item.refresh_from_db()
    assert not theirs.attachments.exists() and not item.reused and not item.from_store
    # Nor at the desk for a walk-in whose account is someone else
    officer = people["tiepnhan.lvt"]
    desk_dossier = walk_in(people, desk, id_number=other_citizen.identity_number)
    with pytest.raises(Forbidden):
        services.attach_from_store(officer, desk_dossier, desk_dossier.items.first(), document)
    # Nor without an account
    anonymous = walk_in(people, desk)
    with pytest.raises(DomainError) as exc:
        services.attach_from_store(officer, anonymous, anonymous.items.first(), document)
    assert exc.value.code == "no_applicant_account"
    assert not Attachment.objects.filter(store_document=document).exists()


def test_the_desk_reuses_a_document_for_a_citizen_with_an_account(people, desk, stored):
    citizen = people["congdan"]
    document = PersonalDocument.objects.get(owner=citizen)
    dossier = walk_in(people, desk, id_number=citizen.identity_number)
    item = dossier.items.order_by("order").first()
    services.attach_from_store(people["tiepnhan.lvt"], dossier, item, document)
    dossier = services.accept(people["tiepnhan.lvt"], dossier, digitised_items=[])
    item.refresh_from_db()
    assert item.reused and item.from_store and item.digitised  # taken from the store: digitised already


def test_removing_or_discarding_keeps_the_store_file(people, desk, stored):
    citizen = people["congdan"]
    document = PersonalDocument.objects.get(owner=citizen)
    second = draft(citizen, desk)
    item = second.items.first()
    attachment = services.attach_from_store(citizen, second, item, document)
    services.remove_attachment(citizen, attachment)
    item.refresh_from_db()
    assert not item.reused and not item.from_store
    assert default_storage.exists(document.file.name)

    services.attach_from_store(citizen, second, item, document)
    services.discard_draft(citizen, second)
    assert not Dossier.objects.filter(pk=second.pk).exists()
    document.refresh_from_db()
    assert default_storage.exists(document.file.name) and document.hidden_at is None

    # An ordinary upload removed from a draft is deleted from the storage as before
    third = draft(citizen, desk)
    upload = services.add_attachment(citizen, third, pdf("nham.pdf", OTHER_PDF), item=third.items.first())
    name = upload.file.name
    services.remove_attachment(citizen, upload)
    assert not default_storage.exists(name)


def test_store_entries_outlive_their_dossier_and_the_owner_hides_them(people, desk, stored, other_citizen):
    document = PersonalDocument.objects.get(owner=people["congdan"])
    with pytest.raises(Forbidden):
        services.hide_store_document(other_citizen, document)
    with pytest.raises(Forbidden):
        services.hide_store_document(people["tiepnhan.lvt"], document)
    services.hide_store_document(people["congdan"], document)
    document.refresh_from_db()
    assert document.hidden_at is not None and default_storage.exists(document.file.name)
    with pytest.raises(NotFound):
        services.attach_from_store(people["congdan"], draft(people["congdan"], desk), stored.items.first(), document)

    Dossier.objects.filter(pk=stored.pk).delete()  # even if a dossier row were deleted, the entry stays
    document.refresh_from_db()
    assert document.source_dossier is None and document.source_dossier_code


# --- pages ------------------------------------------------------------------------------------------------------------

def login(client, username, password=PASSWORD):
    client.logout()
    assert client.login(username=username, password=password)
    return client


def test_store_page_download_and_hide(client, people, desk, stored, other_citizen):
    document = PersonalDocument.objects.get(owner=people["congdan"])
    login(client, "congdan")
    page = client.get(reverse("onestop:citizen-store"))
    body = page.content.decode()
    assert page.status_code == 200 and document.title[:40] in body and stored.code in body
    assert "Kho giấy tờ của tôi" in body
    assert "Kho có 1 giấy tờ" in body
    searched = client.get(reverse("onestop:citizen-store"), {"q": "khong co gi nhu the"}).content.decode()
    assert "0 trên 1 giấy tờ phù hợp" in searched and document.title[:40] not in searched
    found = client.get(reverse("onestop:citizen-store"), {"q": stored.code}).content.decode()
    assert "1 trên 1 giấy tờ phù hợp" in found

    download = client.get(reverse("onestop:citizen-store-download", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "private" in download["Cache-Control"] and "no-store" in download["Cache-Control"]

    # Another citizen reaches nothing of it
    login(client, "nguoikhac", "mat-khau-rat-dai-2026")
    assert client.get(reverse("onestop:citizen-store-download", args=[document.pk])).status_code == 404
    assert client.post(reverse("onestop:citizen-store-hide", args=[document.pk])).status_code == 404
    assert document.title[:40] not in client.get(reverse("onestop:citizen-store")).content.decode()
    assert client.get("/api/me/store").json()["count"] == 0

    login(client, "congdan")
    response = client.post(reverse("onestop:citizen-store-hide", args=[document.pk]), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("onestop:citizen-store")
    document.refresh_from_db()
    assert document.hidden_at is not None
    after = client.get(reverse("onestop:citizen-store")).content.decode()
    assert "Đã xóa" in after and f'id="doc-{document.pk}"' not in after and "chưa có giấy tờ nào" in after
    assert client.get(reverse("onestop:citizen-store-download", args=[document.pk])).status_code == 404


def test_the_navigation_links_to_the_store(client, people):
    login(client, "congdan")
    body = client.get(reverse("onestop:citizen-list")).content.decode()
    assert f'<li><a href="{reverse("onestop:citizen-store")}">Kho giấy tờ của tôi</a></li>' in body


def test_the_draft_offers_the_store_and_reuses_without_upload(client, people, desk, stored):
    citizen = people["congdan"]
    document = PersonalDocument.objects.get(owner=citizen)
    second = draft(citizen, desk)
    login(client, "congdan")
    page = client.get(reverse("onestop:citizen-dossier", args=[second.pk])).content.decode()
    assert "Dùng giấy tờ trong kho" in page and "Cùng loại giấy tờ" in page
    item = second.items.get(component=document.component)

    url = reverse("onestop:citizen-use-store", args=[second.pk, item.pk])
    response = client.post(url, {"document": document.pk}, **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert "lấy từ kho giấy tờ" in fragment and "không cần tải lên lại" in fragment
    item.refresh_from_db()
    assert item.from_store and item.reused
    # Choosing nothing, or a document that is not there: a message at the component, nothing attached
    assert "Hãy chọn một giấy tờ" in client.post(url, {}, **HTMX).content.decode()
    assert "Không tìm thấy giấy tờ" in client.post(url, {"document": 999999}, **HTMX).content.decode()
    assert second.attachments.count() == 1


def test_the_desk_marks_digitised_components_on_the_page(client, people, desk):
    citizen = people["congdan"]
    officer = people["tiepnhan.lvt"]
    dossier = walk_in(people, desk, id_number=citizen.identity_number)
    first, second = dossier.items.order_by("order")[:2]
    services.add_attachment(officer, dossier, pdf("a.pdf"), item=first)
    services.add_attachment(officer, dossier, pdf("b.pdf", OTHER_PDF), item=second)
    login(client, "tiepnhan.lvt")
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "Thành phần đã số hóa" in page and f'name="digitised" value="{first.pk}" checked' in page

    response = client.post(reverse("onestop:staff-action", args=[dossier.pk, "accept"]),
                           {"expected_revision": dossier.revision, "digitised_form": "1",
                            "digitised": [str(second.pk)]})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.code and list(dossier.items.filter(digitised=True)) == [second]
    assert list(PersonalDocument.objects.values_list("name", flat=True)) == ["b.pdf"]
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "1/" in page and "thành phần đã số hóa" in page and "Kết quả điện tử" in page


def test_the_desk_attaches_from_the_applicants_store_on_the_page(client, people, desk, stored):
    citizen = people["congdan"]
    document = PersonalDocument.objects.get(owner=citizen)
    dossier = walk_in(people, desk, id_number=citizen.identity_number)
    item = dossier.items.order_by("order").first()
    login(client, "tiepnhan.lvt")
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "Dùng giấy tờ trong kho của người nộp" in page
    response = client.post(reverse("onestop:staff-action", args=[dossier.pk, "attach_from_store"]),
                           {"item": item.pk, "document": document.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.from_store and item.reused
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "Lấy từ kho dữ liệu cá nhân" in page


# --- API --------------------------------------------------------------------------------------------------------------

def test_store_api(client, people, desk, stored, other_citizen):
    document = PersonalDocument.objects.get(owner=people["congdan"])
    login(client, "congdan")
    listing = client.get("/api/me/store").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == document.pk
    assert listing["items"][0]["kind"] == "digitised" and listing["items"][0]["source_dossier_code"] == stored.code
    assert client.get("/api/me/store", {"kind": "result"}).json()["count"] == 0

    second = draft(people["congdan"], desk)
    item = second.items.first()
    url = f"/api/me/dossiers/{second.pk}/items/{item.pk}/from-store"
    response = client.post(url, {"document_id": document.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reused"] and body["from_store"] and body["files"][0]["store_document_id"] == document.pk
    again = client.post(url, {"document_id": document.pk}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_attached"
    detail = client.get(f"/api/me/dossiers/{second.pk}").json()
    assert any(i["from_store"] for i in detail["items"]) and detail["electronic_result"] is False

    # Another citizen: their own draft, congdan's document → 403, nothing attached
    login(client, "nguoikhac", "mat-khau-rat-dai-2026")
    theirs = draft(other_citizen, desk)
    their_item = theirs.items.first()
    response = client.post(f"/api/me/dossiers/{theirs.pk}/items/{their_item.pk}/from-store",
                           {"document_id": document.pk}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not theirs.attachments.exists()
    assert client.delete(f"/api/me/store/{document.pk}").status_code == 403
    # congdan's draft is not theirs at all
    assert client.post(url, {"document_id": document.pk}, content_type="application/json").status_code == 404

    login(client, "congdan")
    assert client.delete(f"/api/me/store/{document.pk}").status_code == 204
    assert client.get("/api/me/store").json()["count"] == 0


def test_staff_api_shows_the_flags(client, people, desk):
    citizen = people["congdan"]
    dossier = online_dossier(citizen, desk)
    login(client, "tiepnhan.lvt")
    response = client.post(f"/api/staff/dossiers/{dossier.pk}/actions/accept",
                           {"expected_revision": dossier.revision, "digitised_items": []},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert all(i["digitised"] for i in body["items"] if any(a["item_id"] == i["id"] for a in body["attachments"]))
    assert body["electronic_result"] is False and body["result_in_store"] is False
