"""Rating a dossier: once, after the result, only by its applicant (account), with its lookup secret (lookup page,
kiosk) or on the desk's kiosk opened by the desk's officer; every rating is an event on the dossier."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import AuditEvent
from tinhso.feedback import queries, services
from tinhso.feedback.models import Rating
from tinhso.onestop import services as onestop
from tinhso.onestop.models import DossierEvent, Status

from .conftest import accepted, returned, submitted


def rated_events(dossier):
    return DossierEvent.objects.filter(dossier=dossier, action="rated")


def test_the_applicant_rates_a_returned_dossier_once(people, desk):
    dossier = returned(people, desk)
    rating = services.rate_as_applicant(people["congdan"], dossier.pk, "satisfied", "  Nhanh, chu đáo.  ")
    assert (rating.value, rating.channel, rating.rater, rating.comment) == (
        "satisfied", "account", people["congdan"], "Nhanh, chu đáo.")
    event = rated_events(dossier).get()
    assert event.data["rating"] == "satisfied" and event.data["channel"] == "account" and not event.public
    assert AuditEvent.objects.filter(action="feedback.rated", object_id=str(rating.pk)).count() == 1

    with pytest.raises(DomainError) as exc:
        services.rate_as_applicant(people["congdan"], dossier.pk, "dissatisfied")
    assert exc.value.code == "already_rated" and exc.value.status == 409
    assert "chỉ được đánh giá một lần" in exc.value.message
    with pytest.raises(DomainError) as exc:  # nor from the lookup page
        services.rate_by_lookup(dossier.code, dossier.lookup_secret, "neutral")
    assert exc.value.code == "already_rated"
    assert Rating.objects.get(dossier=dossier).value == "satisfied"
    assert rated_events(dossier).count() == 1


def test_not_before_the_result(people, desk):
    dossier = accepted(people, desk)
    assert dossier.status == Status.ACCEPTED
    with pytest.raises(DomainError) as exc:
        services.rate_as_applicant(people["congdan"], dossier.pk, "satisfied")
    assert exc.value.code == "not_finished" and "chưa có kết quả" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.rate_by_lookup(dossier.code, dossier.lookup_secret, "satisfied")
    assert exc.value.code == "not_finished"
    assert not Rating.objects.exists() and not rated_events(dossier).exists()


def test_a_refusal_at_reception_can_be_rated_but_not_a_withdrawal(people, desk):
    refused = onestop.refuse(people["tiepnhan.lvt"], submitted(people, desk), "Không thuộc thẩm quyền")
    services.rate_as_applicant(people["congdan"], refused.pk, "dissatisfied", "Không được hướng dẫn nơi nộp.")
    withdrawn = onestop.withdraw(people["congdan"], accepted(people, desk), "Không còn nhu cầu")
    with pytest.raises(DomainError) as exc:
        services.rate_as_applicant(people["congdan"], withdrawn.pk, "neutral")
    assert exc.value.code == "not_finished"


def test_someone_elses_dossier(people, desk):
    dossier = returned(people, desk)
    with pytest.raises(Forbidden):
        services.rate_as_applicant(people["doanhnghiep"], dossier.pk, "dissatisfied")
    with pytest.raises(Forbidden):
        services.rate_as_applicant(people["tiepnhan.lvt"], dossier.pk, "satisfied")
    with pytest.raises(NotFound) as exc:
        services.rate_by_lookup(dossier.code, "ZZZZZZ", "dissatisfied")
    assert exc.value.code == "dossier_not_found"
    with pytest.raises(NotFound):
        services.rate_by_lookup("000.01.31.H37-990101-9999", dossier.lookup_secret, "dissatisfied")
    # The lookup also opens with the phone's last four digits; rating needs the printed secret.
    assert dossier.applicant_phone.endswith("5678")
    with pytest.raises(DomainError) as exc:
        services.rate_by_lookup(dossier.code, "5678", "dissatisfied")
    assert exc.value.code == "secret_required"
    assert not Rating.objects.exists()


def test_rating_from_the_lookup_page(people, desk, client):
    dossier = returned(people, desk)
    page = client.get(reverse("onestop:lookup"), {"ma": dossier.code, "khoa": dossier.lookup_secret})
    html = page.content.decode()
    assert page.status_code == 200 and "Đánh giá việc giải quyết hồ sơ" in html and 'name="value"' in html
    assert 'name="secret"' not in html  # the secret was typed already

    by_phone = client.get(reverse("onestop:lookup"), {"ma": dossier.code, "khoa": "5678"}).content.decode()
    assert 'name="secret"' in by_phone  # looked up with the phone: the form asks for the secret

    missing = client.post(reverse("feedback:rate-lookup"), {"ma": dossier.code, "khoa": dossier.lookup_secret},
                          follow=True)
    assert "Hãy chọn một mức" in missing.content.decode() and not Rating.objects.exists()

    response = client.post(reverse("feedback:rate-lookup"), {"ma": dossier.code, "khoa": dossier.lookup_secret,
                                                             "value": "neutral", "comment": "Chờ hơi lâu."},
                           follow=True)
    html = response.content.decode()
    assert "Cảm ơn bạn đã đánh giá" in html and "Người nộp đã đánh giá" in html and "Bình thường" in html
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.channel, rating.rater, rating.comment) == ("lookup", None, "Chờ hơi lâu.")

    again = client.post(reverse("feedback:rate-lookup"), {"ma": dossier.code, "khoa": dossier.lookup_secret,
                                                          "value": "dissatisfied"}, follow=True)
    assert "chỉ được đánh giá một lần" in again.content.decode()
    assert Rating.objects.count() == 1 and rated_events(dossier).count() == 1


def test_account_page_panel_and_someone_else(people, desk, client):
    dossier = returned(people, desk)
    client.force_login(people["congdan"])
    page = client.get(reverse("onestop:citizen-dossier", args=[dossier.pk])).content.decode()
    assert f'action="{reverse("feedback:rate-account", args=[dossier.pk])}"' in page

    client.force_login(people["doanhnghiep"])
    refused = client.post(reverse("feedback:rate-account", args=[dossier.pk]), {"value": "dissatisfied"})
    assert refused.status_code == 403 and "chính mình nộp" in refused.content.decode()
    assert not Rating.objects.exists()

    client.force_login(people["congdan"])
    done = client.post(reverse("feedback:rate-account", args=[dossier.pk]), {"value": "satisfied"}, follow=True)
    assert "Bạn đã đánh giá" in done.content.decode()
    assert Rating.objects.get().channel == "account"


def test_kiosk_opened_by_the_desk_officer(people, desk, client):
    dossier = returned(people, desk)
    with pytest.raises(Forbidden):  # the province centre's officer does not serve this commune's desk
        services.rate_at_kiosk(people["tiepnhan"], dossier.pk, "satisfied")
    with pytest.raises(Forbidden):
        services.rate_at_kiosk(people["congdan"], dossier.pk, "satisfied")

    officer = people["tiepnhan.lvt"]
    client.force_login(officer)
    staff_page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    kiosk_url = reverse("feedback:kiosk-dossier", args=[dossier.pk])
    assert kiosk_url in staff_page and "Chưa đánh giá" in staff_page
    start = client.get(reverse("feedback:kiosk")).content.decode()
    assert kiosk_url in start  # returned today at this desk, not rated yet
    screen = client.get(kiosk_url).content.decode()
    assert screen.count('class="fb-kiosk-btn') == 3 and dossier.code in screen
    done = client.post(kiosk_url, {"value": "satisfied"})
    assert done.status_code == 302 and done["Location"] == reverse("feedback:kiosk-thanks")
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.channel, rating.opened_by, rating.rater) == ("kiosk", officer, None)
    assert kiosk_url not in client.get(reverse("feedback:kiosk")).content.decode()
    staff_page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "Hài lòng" in staff_page and kiosk_url not in staff_page

    client.force_login(people["tiepnhan"])
    assert client.get(kiosk_url).status_code == 404


def test_kiosk_with_code_and_secret(people, desk, client):
    dossier = returned(people, desk)
    wrong = client.post(reverse("feedback:kiosk"), {"ma": dossier.code, "khoa": "5678"})
    assert wrong.status_code == 400 and "Không tìm thấy hồ sơ" in wrong.content.decode()
    screen = client.post(reverse("feedback:kiosk"), {"ma": dossier.code, "khoa": dossier.lookup_secret.lower()})
    assert screen.status_code == 200 and screen.content.decode().count('class="fb-kiosk-btn') == 3
    done = client.post(reverse("feedback:kiosk-rate"), {"ma": dossier.code, "khoa": dossier.lookup_secret,
                                                        "value": "dissatisfied", "comment": "Đông, chờ lâu."})
    assert done.status_code == 302
    assert Rating.objects.get(dossier=dossier).channel == "kiosk"
    again = client.post(reverse("feedback:kiosk"), {"ma": dossier.code, "khoa": dossier.lookup_secret})
    assert again.status_code == 400 and "đã được đánh giá" in again.content.decode()


def test_rating_api(people, desk, client):
    dossier = returned(people, desk)
    url = "/api/feedback/ratings"
    bad = client.post(url, {"code": dossier.code, "secret": "ABCDEF", "value": "satisfied"},
                      content_type="application/json")
    assert bad.status_code == 404 and bad.json()["code"] == "dossier_not_found"
    empty = client.post(url, {"code": dossier.code, "secret": dossier.lookup_secret, "value": ""},
                        content_type="application/json")
    assert empty.status_code == 400 and empty.json()["code"] == "value_required"
    ok = client.post(url, {"code": dossier.code, "secret": dossier.lookup_secret, "value": "satisfied"},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["value"] == "satisfied" and ok.json()["channel"] == "lookup"
    twice = client.post(url, {"code": dossier.code, "secret": dossier.lookup_secret, "value": "satisfied"},
                        content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_rated"
    client.force_login(people["congdan"])
    mine = client.get(f"/api/feedback/me/dossiers/{dossier.pk}/rating")
    assert mine.status_code == 200 and mine.json()["dossier_code"] == dossier.code


def test_scoreboard_reads(people, desk):
    first, second = returned(people, desk), returned(people, desk)
    services.rate_as_applicant(people["congdan"], first.pk, "dissatisfied")
    rows = queries.ratings()
    assert [(r.dossier_id, r.value, r.channel) for r in rows] == [(first.pk, "dissatisfied", "account")]
    assert rows[0].procedure_code == "1.001193" and rows[0].receiving_agency_id == desk.pk
    assert queries.rating_values([first.pk, second.pk]) == {first.pk: "dissatisfied"}
    assert queries.dossiers_with_complaint([first.pk, second.pk]) == {first.pk}
    assert queries.ratings(agency_ids=[people["tiepnhan"].memberships.get().agency_id]) == []


@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_record_one(people, desk):
    dossier = returned(people, desk)
    barrier = threading.Barrier(2)
    results = []

    def rate(value):
        try:
            barrier.wait(timeout=10)
            results.append(services.rate_by_lookup(dossier.code, dossier.lookup_secret, value))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(v,)) for v in ("satisfied", "dissatisfied")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(results) == 2 and len(errors) == 1, results
    assert isinstance(errors[0], DomainError) and errors[0].code == "already_rated"
    assert Rating.objects.filter(dossier=dossier).count() == 1 and rated_events(dossier).count() == 1
