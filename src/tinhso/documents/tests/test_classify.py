"""The classifier of incoming documents (``documents/classify.py``): it learns, it is calibrated, it is retrained in
the background, the registration form pre-fills only confident suggestions and records whether the clerk kept them;
and its measured accuracy on the held-back demo corpus and on the real documents of ``../shared/data``."""

import importlib
import json
import re
import zlib
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.core.testing import shared_data
from tinhso.documents import classify, evaluation, services
from tinhso.documents.models import ClassificationRecord, Classifier, Document, DocumentType, Sector

from .conftest import PASSWORD

REGISTER = reverse("documents:register-incoming")


@pytest.fixture(autouse=True)
def sectors_and_legal_types(request):
    """The rows of migration 0004 again: a transactional test elsewhere in the suite empties the tables it ends."""
    if not {"db", "transactional_db"} & set(request.fixturenames):
        return
    from django.apps import apps

    importlib.import_module("tinhso.documents.migrations.0004_sectors_legal_types").seed(apps, None)


SUGGEST = reverse("documents:suggest")


def bag(subject: str, notation: str = "", body: str = "", target: str = "type") -> Counter:
    return classify.features(notation=notation, subject=subject, body=body, target=target)


# --- the model, without a database ---------------------------------------------------------------------------------

TOY = {  # each class has its own words, shared by its subjects
    "meeting": ["Mời dự họp giao ban", "Mời dự hội nghị tổng kết", "Mời dự họp với đoàn công tác",
                "Mời dự họp trực tuyến", "Mời dự hội nghị sơ kết", "Mời dự họp bàn kế hoạch"],
    "land": ["Thu hồi đất để làm đường", "Giao đất cho hộ gia đình", "Bồi thường khi thu hồi đất",
             "Cấp giấy chứng nhận quyền sử dụng đất", "Chuyển mục đích sử dụng đất", "Đấu giá quyền sử dụng đất"],
    "school": ["Tuyển sinh học sinh vào lớp 10", "Kỳ thi tốt nghiệp cho học sinh", "Học sinh bán trú vùng cao",
               "Thư viện trường học cho học sinh", "Học sinh giỏi cấp tỉnh", "Miễn giảm học phí cho học sinh"],
}


def toy_set():
    bags, labels = [], []
    for label, subjects in TOY.items():
        for subject in subjects:
            bags.append(bag(subject, target="sector"))
            labels.append(label)
    return bags, labels


def test_a_separable_toy_set_is_learned_and_measured_by_cross_validation():
    bags, labels = toy_set()
    model, measured = classify.build(bags, labels)
    assert measured.n == 18 and measured.accuracy == 1.0
    assert model.predict(bag("Mời dự họp giao ban quý III", target="sector"))[0] == "meeting"
    assert model.predict(bag("Thu hồi đất của hộ gia đình", target="sector"))[0] == "land"
    label, confidence = model.predict(bag("Tuyển sinh học sinh lớp 10 năm học mới", target="sector"))
    assert label == "school" and confidence > 0.6
    # a text that shares nothing with the training set gets no confident answer
    assert model.predict(bag("Lorem ipsum dolor", target="sector"))[1] < 0.6


def test_confidence_is_calibrated_so_an_undecidable_text_is_not_confident():
    """The same subjects labelled half one way, half the other: the calibrated confidence stays near 1/2."""
    subjects = ["Báo cáo tình hình kinh tế xã hội", "Báo cáo công tác tháng", "Báo cáo kết quả thực hiện nhiệm vụ",
                "Báo cáo sơ kết sáu tháng", "Báo cáo tổng kết năm", "Báo cáo chuyên đề"]
    bags = [bag(s, target="sector") for s in subjects * 4]
    labels = ["finance"] * 12 + ["interior"] * 12
    model, measured = classify.build(bags, labels)
    assert measured.temperature > 1  # the raw naive Bayes scores were over-confident
    assert model.predict(bag("Báo cáo công tác tháng", target="sector"))[1] < classify.threshold()


def test_features_read_the_notation_the_header_and_one_feature_for_the_sender():
    features = classify.features(notation="65/2018/NĐ-CP", subject="V/v góp ý dự thảo", sender="Bộ Tài chính",
                                 body="CHÍNH PHỦ\nNGHỊ ĐỊNH\nQuy định chi tiết", target="type")
    assert features["kh0:nd"] == classify.STRUCTURE_WEIGHT and features["kh:cp"] == classify.STRUCTURE_WEIGHT
    assert features["s0:vv"] and features["h:nghi"] and features["tg:bo_tai_chinh"] == 1
    assert "tai" not in features  # the sender's words are not counted one by one
    # without a typed notation, the "Số:" line of the file is read
    assert classify.features(body="Số: 02/2021/TT-BTC\nTHÔNG TƯ")["kh0:tt"] == 1
    assert classify.notation_codes("123/UBND-VP") == ["ubnd", "vp"]


def test_the_stored_model_gives_the_same_answers_and_an_old_format_is_ignored():
    bags, labels = toy_set()
    model, _measured = classify.build(bags, labels)
    bundle = classify.Bundle(model, None)
    again = classify.Bundle.from_bytes(bundle.to_bytes())
    probe = bag("Giao đất cho hộ gia đình", target="sector")
    (label, confidence), (label_again, confidence_again) = model.predict(probe), again.type.predict(probe)
    assert label_again == label == "land" and confidence_again == pytest.approx(confidence, rel=1e-4)
    assert again.sector is None
    old = zlib.compress(json.dumps({"format": classify.FORMAT - 1, "type": None, "sector": None}).encode())
    assert classify.Bundle.from_bytes(old) is None


def test_accuracy_on_a_held_back_fifth_of_the_synthetic_demo_corpus():
    """600 synthetic documents of the three demo agencies, 480 to train, 120 held back. Measured: type 0.992,
    sector 0.883 (the floors asserted)."""
    result = evaluation.synthetic_holdout(600)
    assert result["held_back"] == 120
    assert result["type"]["accuracy"] >= 0.99
    assert result["sector"]["accuracy"] >= 0.88


def test_accuracy_on_the_labelled_real_documents_of_shared_data():
    """The labelled documents of ../shared/data with text (5 PDFs' text layers, 6 codes, 5 edXML headers), predicted
    by a model trained on 600 synthetic documents. Measured: type 14/16 — every law, decree, circular, công văn
    right; wrong are the "Tiêu chuẩn quốc gia" (a type the platform does not have) and the edXML test message
    labelled "Thông tư" whose text says nothing of it, both below the threshold (not pre-filled). Sector (only the 6
    codes have one, mapped from their ``linhvuc``): 2/6, all six below the threshold: nothing wrong is pre-filled."""
    root = shared_data("official-docs", "labels.csv").parents[1]
    result = evaluation.shared(root, count=600)
    types = result["type"]["trained_on_synthetic"]
    assert result["type"]["n"] == 16
    full_text = [row for row in types["documents"] if row["group"] in ("pdf-text", "legal-code")
                 and row["truth"] != "Tiêu chuẩn quốc gia"]
    assert len(full_text) == 10 and all(row["predicted"] == row["truth"] for row in full_text)
    assert types["accuracy"] >= 0.875
    assert types["prefilled_right"] == types["prefilled"] >= 8  # every suggestion that would be pre-filled is right
    sectors = result["sector"]["trained_on_synthetic"]
    assert result["sector"]["n"] == 6 and sectors["accuracy"] >= 0.333
    assert sectors["prefilled_right"] == sectors["prefilled"]


# --- with the database: training, suggesting, pre-filling, recording, retraining --------------------------------

TOY_DOCUMENTS = [
    ("GM", "Tổng hợp, hành chính", "{n}/GM-UBND", "Mời dự họp giao ban công tác tháng {n}"),
    ("GM", "Tổng hợp, hành chính", "{n}/GM-UBND", "Mời dự hội nghị tổng kết công tác năm"),
    ("QĐ", "Đất đai", "{n}/QĐ-UBND", "Quyết định thu hồi đất để thực hiện dự án đường {n}"),
    ("QĐ", "Đất đai", "{n}/QĐ-UBND", "Quyết định giao đất, bồi thường giải phóng mặt bằng khu {n}"),
]


def register_toys(clerk, agency, count: int, start: int = 1) -> list[Document]:
    types = {t.abbreviation: t for t in DocumentType.objects.exclude(abbreviation=None)}
    sectors = {s.name: s for s in Sector.objects.all()}
    out = []
    for n in range(start, start + count):
        abbreviation, sector, notation, subject = TOY_DOCUMENTS[n % len(TOY_DOCUMENTS)]
        fields = services.IncomingFields(subject=subject.format(n=n), sender_name="Ủy ban nhân dân tỉnh Lạng Sơn",
                                         notation=notation.format(n=n), document_type=types[abbreviation],
                                         sector=sectors[sector])
        out.append(services.register_incoming(clerk, agency, fields))
    return out


@pytest.fixture
def small_models(settings):
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_MIN_AGENCY_SAMPLES": 5, "CLASSIFY_RETRAIN_EVERY": 1000}


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_training_on_the_agency_documents_and_suggesting(people, agencies, small_models):
    stp, sxd = agencies["000.00.03.H37"], agencies["000.00.07.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    assert classify.suggest(stp, subject="Mời dự họp giao ban").type is None  # nothing trained yet

    report = classify.train(stp)
    row = Classifier.objects.get(agency=stp)
    assert (row.version, row.sample_count, row.type_samples, row.sector_samples) == (1, 12, 12, 12)
    assert report["type_accuracy"] == 1.0 and report["sector_accuracy"] == 1.0 and row.trained_at is not None
    assert row.evaluation["type"]["n"] == 12

    suggestion = classify.suggest(stp, notation="77/GM-UBND", subject="Mời dự họp giao ban công tác")
    assert suggestion.type.value.abbreviation == "GM" and suggestion.sector.value.name == "Tổng hợp, hành chính"
    assert suggestion.scope == "agency" and suggestion.version == 1
    assert suggestion.type.prefill == (suggestion.type.confidence >= classify.threshold())

    # Sở Xây dựng has no documents: no suggestion until the province's model exists, then the province's
    assert classify.suggest(sxd, subject="Quyết định thu hồi đất").type is None
    classify.train(None)
    fallback = classify.suggest(sxd, notation="9/QĐ-UBND", subject="Quyết định thu hồi đất để thực hiện dự án")
    assert fallback.scope == "province" and fallback.type.value.abbreviation == "QĐ"
    assert fallback.sector.value.name == "Đất đai"
    # retraining makes a new version
    assert classify.train(stp)["version"] == 2


@pytest.mark.django_db
def test_threshold_decides_what_the_form_prefills(client, people, agencies, settings, small_models):
    stp = agencies["000.00.03.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    classify.train(stp)
    qd, land = DocumentType.objects.get(abbreviation="QĐ"), Sector.objects.get(name="Đất đai")
    form = {"agency": stp.pk, "sender_name": "Ủy ban nhân dân tỉnh Lạng Sơn", "notation": "88/QĐ-UBND",
            "subject": "Quyết định thu hồi đất để thực hiện dự án đường 88", "urgency": "0", "secrecy": "0"}
    login(client, "vanthu.stp")

    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 0.5}
    html = client.post(SUGGEST, form).content.decode()
    assert f'<option value="{qd.pk}" selected>' in html and f'<option value="{land.pk}" selected>' in html
    assert "Gợi ý tự động (độ tin cậy" in html
    assert f'name="suggested_type" value="{qd.pk}"' in html and 'name="type_prefilled" value="1"' in html

    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 1.01}  # nothing can reach it
    html = client.post(SUGGEST, form).content.decode()
    assert " selected>" not in html.split('id="f-type"')[1].split("</select>")[0]
    assert "Gợi ý tự động" not in html and "Chưa điền sẵn: gợi ý chưa đủ tin cậy" in html

    # without JavaScript: the "Gợi ý" button posts the whole form, which comes back pre-filled, nothing registered
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 0.5}
    page = client.post(REGISTER, {**form, "goi-y": "1"})
    assert page.status_code == 200 and f'<option value="{qd.pk}" selected>' in page.text
    assert Document.objects.filter(notation="88/QĐ-UBND").count() == 0
    # a choice the clerk made is never replaced by a suggestion
    chosen = DocumentType.objects.get(abbreviation="TB")
    html = client.post(SUGGEST, {**form, "document_type": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in html and f'<option value="{qd.pk}" selected>' not in html


@pytest.mark.django_db
def test_registration_records_whether_the_suggestion_was_kept(client, people, agencies, settings, small_models):
    stp = agencies["000.00.03.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    classify.train(stp)
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 0.5}
    login(client, "vanthu.stp")
    form = {"agency": stp.pk, "sender_name": "Ủy ban nhân dân tỉnh Lạng Sơn", "notation": "91/QĐ-UBND",
            "subject": "Quyết định thu hồi đất để thực hiện dự án đường 91", "urgency": "0", "secrecy": "0",
            "copies": "1"}
    fragment = client.post(SUGGEST, form).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', fragment))
    selected = dict(re.findall(r'<select id="f-(type|sector)"[^>]*>.*?<option value="(\d+)" selected>',
                               fragment.replace("\n", " ")))
    assert hidden["type_prefilled"] == hidden["sector_prefilled"] == "1"
    # the clerk keeps the type, changes the sector
    other_sector = Sector.objects.get(name="Xây dựng, quy hoạch")
    response = client.post(REGISTER, {**form, **hidden, "document_type": selected["type"], "sector": other_sector.pk})
    assert response.status_code == 302
    document = Document.objects.get(notation="91/QĐ-UBND")
    assert document.sector == other_sector and document.document_type.abbreviation == "QĐ"
    record = document.classification
    assert record.type_prefilled and record.type_accepted is True
    assert record.sector_prefilled and record.sector_accepted is False
    assert record.suggested_sector.name == "Đất đai" and record.classifier_version == 1
    measured = classify.acceptance(stp)
    assert measured["type"]["prefilled"] >= 1 and measured["type"]["prefilled_kept"] >= 1
    assert measured["sector"]["prefilled_kept"] < measured["sector"]["prefilled"]

    # registered without a suggestion shown (the API, a form without JavaScript): computed, not pre-filled
    plain = register_toys(people["vanthu.stp"], stp, 1, start=200)[0]
    record = ClassificationRecord.objects.get(document=plain)
    assert record.type_prefilled is False and record.type_accepted is True


@pytest.mark.django_db
def test_a_document_delivered_on_the_platform_is_confirmed_with_the_suggested_sector(client, people, agencies,
                                                                                    settings, small_models):
    stp = agencies["000.00.03.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    classify.train(stp)
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 0.5}
    decision, land = DocumentType.objects.get(abbreviation="QĐ"), Sector.objects.get(name="Đất đai")
    delivered = Document.objects.create(  # as services.deliver leaves it in the recipient's box
        direction="in", status="to_register", agency=stp, document_type=decision, notation="45/QĐ-UBND",
        subject="Quyết định thu hồi đất để thực hiện dự án đường 45", sender_name="Ủy ban nhân dân tỉnh Lạng Sơn",
        received_at=timezone.now())
    login(client, "vanthu.stp")
    page = client.get(reverse("documents:document", args=[delivered.pk])).content.decode()
    confirm_form = page.split(reverse("documents:action", args=[delivered.pk, "confirm"]))[1].split("</form>")[0]
    assert f'<option value="{decision.pk}" selected>' in confirm_form  # the sender's type
    assert f'<option value="{land.pk}" selected>' in confirm_form and "Gợi ý tự động" in confirm_form
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm_form))
    response = client.post(reverse("documents:action", args=[delivered.pk, "confirm"]),
                           {**hidden, "document_type": decision.pk, "sector": land.pk})
    assert response.status_code == 302
    delivered.refresh_from_db()
    assert delivered.status == "registered" and delivered.arrival_number and delivered.sector == land
    record = delivered.classification
    assert record.sector_prefilled and record.sector_accepted is True


@pytest.mark.django_db
def test_another_agency_clerk_gets_no_suggestion(client, people, agencies, small_models, settings):
    stp = agencies["000.00.03.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    classify.train(stp)
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_THRESHOLD": 0.0}
    login(client, "vanthu.sxd")
    html = client.post(SUGGEST, {"agency": stp.pk, "subject": "Quyết định thu hồi đất", "notation": "5/QĐ-UBND",
                                 "sender_name": "UBND"}).content.decode()
    assert " selected>" not in html and "Gợi ý tự động" not in html
    with pytest.raises(DomainError):
        classify.suggest_for_clerk(people["vanthu.sxd"], stp, subject="Quyết định thu hồi đất")


@pytest.mark.django_db
def test_retraining_is_queued_after_every_n_confirmed_documents(people, agencies, settings,
                                                                django_capture_on_commit_callbacks):
    """With ``CLASSIFY_RETRAIN_EVERY`` = 4 the task runs (immediate backend in tests) once the 4th document is
    committed, for the agency and the province; the counter starts again."""
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_RETRAIN_EVERY": 4, "CLASSIFY_MIN_AGENCY_SAMPLES": 2}
    stp = agencies["000.00.03.H37"]
    for n in range(1, 4):
        with django_capture_on_commit_callbacks(execute=True):
            register_toys(people["vanthu.stp"], stp, 1, start=n)
    assert Classifier.objects.get(agency=stp).version == 0
    assert Classifier.objects.get(agency=stp).confirmed_since == 3
    with django_capture_on_commit_callbacks(execute=True):
        register_toys(people["vanthu.stp"], stp, 1, start=4)
    own, province = Classifier.objects.get(agency=stp), Classifier.objects.get(agency__isnull=True)
    assert own.version == 1 and own.sample_count == 4 and own.confirmed_since == 0 and not own.retrain_queued
    assert province.version == 1 and province.sample_count == 4
    with django_capture_on_commit_callbacks(execute=True):
        register_toys(people["vanthu.stp"], stp, 1, start=5)
    assert Classifier.objects.get(agency=stp).version == 1  # not yet: 1 of 4


@pytest.mark.django_db
def test_train_command_prints_the_measured_accuracy(people, agencies, small_models):
    stp = agencies["000.00.03.H37"]
    register_toys(people["vanthu.stp"], stp, 12)
    out = StringIO()
    call_command("documents", "train", "--agency", stp.code, stdout=out)
    data = json.loads(out.getvalue())
    assert data["models"][0]["agency"] == stp.code and data["models"][0]["type_accuracy"] == 1.0
    assert set(data["acceptance"]) == {"type", "sector"}
    out = StringIO()
    call_command("documents", "train", stdout=out)  # every agency with documents, and the province
    assert [m["agency"] for m in json.loads(out.getvalue())["models"]] == [stp.code, None]


@pytest.mark.django_db
def test_laws_decrees_and_circulars_are_received_never_drafted(client, people, agencies):
    decree = DocumentType.objects.get(name="Nghị định")
    assert decree.is_incoming_only
    with pytest.raises(DomainError) as refused:
        services.create_draft(people["chuyenvien.stp"], agencies["000.00.03.H37"], decree, "Dự thảo")
    assert refused.value.code == "type_incoming_only"
    login(client, "chuyenvien.stp")
    option = f'<option value="{decree.pk}"'
    page = client.get(reverse("documents:create-draft")).content.decode()
    assert option not in page and 'name="sector"' in page
    login(client, "vanthu.stp")
    assert option in client.get(REGISTER).content.decode()


@pytest.mark.django_db
def test_demo_documents_are_registered_and_the_models_trained(demo):
    from tinhso.documents import demo as demo_documents

    result = demo_documents.load(24, seed=3)
    assert result.registered == {"000.00.00.H37": 12, "000.00.04.H37": 6, "000.00.31.H37": 6}
    assert not result.skipped and len(result.models) == 4
    incoming = Document.objects.filter(agency__code="000.00.00.H37").order_by("received_at")
    numbers = list(incoming.values_list("arrival_number", flat=True))
    assert numbers == sorted(numbers) and incoming.exclude(sector=None).count() == 12
    assert Classifier.objects.get(agency__isnull=True).sample_count == 24
    assert demo_documents.has_documents()
