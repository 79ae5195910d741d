"""Every indicator of the scoreboard worked out by hand on a small province (March 2026), thresholds at, below and
above their limit, versioned rules, and what the platform cannot know."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from tinhso.catalog.models import Channel
from tinhso.feedback import services as feedback_services
from tinhso.feedback.models import Rating
from tinhso.onestop.models import Pause, Status
from tinhso.reporting import indicators as ind
from tinhso.reporting import queries, services
from tinhso.reporting.models import IndicatorRule

from .conftest import at, make_dossier

MARCH = queries.month_period(2026, 3)
NOW = at("2026-04-15", "10:00")
D = Decimal


def march_dossiers(pv) -> dict:
    """Eight dossiers received in March 2026 (and two that must not count). Days: 2026-03-02 is a Monday; office
    hours 07:30–11:30 and 13:00–17:00 (8 hours), Saturday and Sunday off."""
    d = {}
    # D1 toàn trình, online, paid online through the national portal, finished early; both components digitised, one
    # taken from the personal store and reused; electronic result put into the store. Office time 17 h.
    d[1] = make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=at("2026-03-02", "09:00"),
                        due=at("2026-03-05", "17:00"), status=Status.RETURNED, finished=at("2026-03-04", "10:00"),
                        returned=at("2026-03-05", "08:00"), fee=8000, paid_online=1, electronic_result=True,
                        result_in_store=True, unit=pv.commune2,
                        items=[{"digitised": True, "from_store": True, "reused": True}, {"digitised": True}])
    # D2 toàn trình procedure filed at the desk, paid at the desk, finished after its appointment: late. 33 h.
    d[2] = make_dossier(pv, pv.p_full, received=at("2026-03-03", "08:00"), due=at("2026-03-06", "17:00"),
                        status=Status.DONE, finished=at("2026-03-09", "09:00"), fee=8000,
                        items=[{"digitised": True}])
    # D3 online, paid through the province's gateway; waited 8 office hours for a supplement (11/03 08:00 → 12/03
    # 08:00): its appointment moves from Fri 13/03 17:00 to Mon 16/03 17:00, so finishing 16/03 16:00 is on time.
    # 38.5 h − 8 h paused = 30.5 h.
    d[3] = make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=at("2026-03-10", "08:00"),
                        due=at("2026-03-13", "17:00"), status=Status.RETURNED, finished=at("2026-03-16", "16:00"),
                        returned=at("2026-03-16", "16:30"), supplements=1, fee=8000, paid_online=2,
                        electronic_result=True,
                        pauses=[(Pause.Reason.SUPPLEMENT, at("2026-03-11", "08:00"), at("2026-03-12", "08:00"))])
    # D4 commune procedure (một phần), online, finished before its appointment but asked to supplement twice:
    # counts as late. 17 h.
    d[4] = make_dossier(pv, pv.p_partial, channel=Channel.Kind.ONLINE, received=at("2026-03-17", "09:00"),
                        due=at("2026-03-20", "17:00"), status=Status.RETURNED, finished=at("2026-03-19", "10:00"),
                        returned=at("2026-03-19", "11:00"), supplements=2, electronic_result=True,
                        items=[{"digitised": True}])
    # D5 stopped before its appointment: ended on time, but no result (not "decided").
    d[5] = make_dossier(pv, pv.p_partial, received=at("2026-03-18", "09:00"), due=at("2026-03-25", "17:00"),
                        status=Status.STOPPED, finished=at("2026-03-20", "10:00"))
    # D6 in progress, its appointment (27/03) before the end of March: late at the end of the period.
    d[6] = make_dossier(pv, pv.p_none, received=at("2026-03-20", "10:00"), due=at("2026-03-27", "17:00"))
    # D7 by post, in progress, due in April: on time at the end of March.
    d[7] = make_dossier(pv, pv.p_none, channel=Channel.Kind.POSTAL, received=at("2026-03-30", "10:00"),
                        due=at("2026-04-06", "17:00"))
    # D8 waiting for a supplement since 26/03 09:00, before its appointment (27/03 17:00): the clock is stopped, on
    # time.
    d[8] = make_dossier(pv, pv.p_none, received=at("2026-03-25", "09:00"), due=at("2026-03-27", "17:00"),
                        status=Status.SUPPLEMENT, supplements=1,
                        pauses=[(Pause.Reason.SUPPLEMENT, at("2026-03-26", "09:00"), None)])
    # Not in March: received in February (late); and a dossier never received.
    d[9] = make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=at("2026-02-27", "09:00"),
                        due=at("2026-03-04", "17:00"), status=Status.DONE, finished=at("2026-03-10", "09:00"))
    d[10] = make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=None, status=Status.NEW)
    # The applicant of D1 was satisfied; the applicant of D2 was not.
    Rating.objects.create(dossier=d[1], value=Rating.Value.SATISFIED, channel=Rating.Channel.ACCOUNT,
                          at=at("2026-03-05", "09:00"))
    Rating.objects.create(dossier=d[2], value=Rating.Value.DISSATISFIED, channel=Rating.Channel.KIOSK,
                          at=at("2026-03-10", "09:00"))
    # Two petitions on 25/03 (answer due 15 working days later, in April): one about a procedure, one about staff.
    with feedback_services.acting_at(at("2026-03-25", "09:00")):
        for about, text in (("procedure", "Thủ tục cấp bản sao yêu cầu nhiều giấy tờ không cần thiết."),
                            ("staff", "Cán bộ tiếp nhận không hướng dẫn đầy đủ.")):
            feedback_services.submit_petition(None, feedback_services.PetitionInput(
                text=text, about=about, procedure_code=pv.p_full.code if about == "procedure" else "",
                agency_code=pv.centre.code if about == "staff" else "", name="Nguyễn Văn A", phone="0912345678"))
    return d


def figures(board) -> dict:
    return {r.indicator.id: (r.value, r.points, r.numerator, r.denominator) for r in board.results.values()}


@pytest.mark.django_db
def test_every_indicator_by_hand(province):
    march_dossiers(province)
    services.refresh()
    board = queries.scoreboard(queries.Scope(), MARCH, now=NOW)
    got = figures(board)

    # 1.3: P1 and P3 have every part; P2 lacks "đối tượng thực hiện" → 2/3 = 66.67 %, 2/3 × 2 = 1.33 points.
    assert got["PUBLIC_CONTENT_FULL"] == (D("66.67"), D("1.33"), 2, 3)
    # 2.1: ended on time D1, D3, D5; in progress on time at 31/03 24:00 D7, D8 (paused) → 5/8 = 62.5 %, × 20.
    assert got["2.1"] == (D("62.50"), D("12.50"), 5, 8)
    # 2.2: (17 + 33 + 30.5 + 17) h / 8 h / 4 decided dossiers = 3.046875 working days; monitoring only.
    assert got["2.2"][0] == D("3.05") and got["2.2"][1] is None and got["2.2"][3] == 4
    # 3 (toàn trình, unconfirmed): of the 3 dossiers of P1, D1 and D3 were filed and paid online → 2/3 × 12 = 8.
    assert got["3"] == (D("66.67"), D("8.00"), 2, 3)
    # 3.1: P1 full, P2 partial, P3 none → 2/3 (threshold 80 %: monitoring only by default).
    assert got["3.1"] == (D("66.67"), None, 2, 3)
    # 3.2: P1 and P2 offer online services; both had online dossiers in March → 100 %.
    assert got["3.2"] == (D("100.00"), None, 2, 2)
    # 3.3: D1, D3, D4 online of 8 → 37.5 %.
    assert got["3.3"] == (D("37.50"), None, 3, 8)
    # 3.5: P1 is the only procedure with a fee, and its March dossiers recorded it → 100 % ≥ 80 % → 2 points.
    assert got["3.5"] == (D("100.00"), D("2.00"), 1, 1)
    # 3.5b: P1 had online payments → 1/1 → 2 points.
    assert got["3.5b"] == (D("100.00"), D("2.00"), 1, 1)
    # 3.6: D1, D2, D3 had fees; D1 and D3 were paid online → 2/3 × 6 = 4.
    assert got["3.6"] == (D("66.67"), D("4.00"), 2, 3)
    # 4.1: decided D1, D2, D3, D4; electronic result D1, D3, D4 → 3/4 × 6 = 4.5.
    assert got["ORIGINAL_RESULT_AVAILABLE"] == (D("75.00"), D("4.50"), 3, 4)
    # 4.2: digitised components and electronic result: D1, D4 → 2/8 = 25 % < 80 % → 0.25 × 4 / 0.8 = 1.25.
    assert got["SO_HOA_GIAY_TO_GIAI_QUYET"] == (D("25.00"), D("1.25"), 2, 8)
    # 4.3: reused: D1 → 1/8 = 12.5 % → 0.125 × 2 / 0.8 = 0.3125 → 0.31.
    assert got["REUSED_DIGITIZED_DATA"] == (D("12.50"), D("0.31"), 1, 8)
    # 4.4: from the personal store / result put there: D1 → 1/8 × 4 = 0.5.
    assert got["SYNCED_WITH_DVCQG_PERSONAL_STORAGE"] == (D("12.50"), D("0.50"), 1, 8)
    # 5.1: one petition about a procedure, one about staff (monitoring).
    assert got["PETITION_CLASSIFICATION_TTHC"] == (D("50.00"), None, 1, 2)
    assert got["PETITION_CLASSIFICATION_STAFF"] == (D("50.00"), None, 1, 2)
    # 5.2, 5.3: both petitions handled, no deadline passed at the end of March, no dislike, no repeat → 6 + 6.
    assert got["PETITION_PROCESSING_ON_TIME"] == (D("100.00"), D("6.00"), 2, 2)
    assert got["PETITION_HANDLING_SATISFACTION"] == (D("100.00"), D("6.00"), 2, 2)
    # 5.4: 100 % − (3 late / 8 + 1 dissatisfied / 8) = 50 % < 90 % → 0.5 × 6 / 0.9 = 3.33.
    assert got["DOSSIER_RECEIVING_SATISFACTION"][:2] == (D("50.00"), D("3.33"))
    # What the platform cannot know: no value, no points, never zero.
    for unknown in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "DOSSIER_SYNC", "ELECTRONIC_CERTIFIED_COPY",
                    "CITIZEN_DATA_CONNECTED_DOSSIER", "CITIZEN_DATA_CONNECTED_FORMALITY"):
        result = board.results[unknown]
        assert not result.available and result.points is None and result.missing
    # Total: 1.33 + 12.5 + 8 + 2 + 2 + 4 + 4.5 + 1.25 + 0.31 + 0.5 + 6 + 6 + 3.33 = 51.72 of 78 points with data.
    assert board.points == D("51.72") and board.max_with_data == D("78") and board.max == D("100")
    assert board.counts["received"] == 8 and board.open == (3, 2)


@pytest.mark.django_db
def test_scopes_agency_commune_procedure(province):
    pv = province
    march_dossiers(pv)
    services.refresh()
    department = queries.make_scope(agency=pv.department.code)
    board = queries.scoreboard(department, MARCH, now=NOW)
    # The department handles D1, D2, D3 (P1) and D6, D7, D8 (P3): on time D1, D3, D7, D8 → 4/6.
    assert figures(board)["2.1"][2:] == (4, 6)
    # Its catalogue: P1 and P3 (complete) → 1.3 = 2/2; only P1 offers online services (3.1 = 1/2).
    assert figures(board)["PUBLIC_CONTENT_FULL"][2:] == (2, 2) and figures(board)["3.1"][2:] == (1, 2)
    # The commune of the applicant: D4 and D5 were received at the commune's desk (no address given) → 2 dossiers;
    # D1's applicant lives in the other ward.
    commune = queries.scoreboard(queries.make_scope(commune=pv.commune.code), MARCH, now=NOW)
    assert commune.counts["received"] == 2 and figures(commune)["2.1"][2:] == (1, 2)
    other = queries.scoreboard(queries.make_scope(commune=pv.commune2.code), MARCH, now=NOW)
    assert other.counts["received"] == 1
    assert not other.results["PETITION_PROCESSING_ON_TIME"].available  # petitions have no commune
    procedure = queries.scoreboard(queries.make_scope(procedure=pv.p_full.code), MARCH, now=NOW)
    assert procedure.counts["received"] == 3 and figures(procedure)["3.6"][2:] == (2, 3)
    both = queries.scoreboard(queries.make_scope(agency=pv.department.code, procedure=pv.p_none.code), MARCH,
                              now=NOW)
    assert both.counts["received"] == 3 and figures(both)["2.1"][2:] == (2, 3)


@pytest.mark.django_db
def test_period_boundaries_and_reference_time(province):
    pv = province
    march_dossiers(pv)
    services.refresh()
    # A range that cuts March: 02/03–10/03 holds D1, D2, D3 (whole days of the day rows) → on time D1, D3.
    first = queries.parse_period(start="2026-03-02", end="2026-03-10")
    assert figures(queries.scoreboard(queries.Scope(), first, now=NOW))["2.1"][2:] == (2, 3)
    # February + March as a range crossing months: D9 (late) joins → 5/9.
    both = queries.parse_period(start="2026-02-15", end="2026-03-31")
    assert figures(queries.scoreboard(queries.Scope(), both, now=NOW))["2.1"][2:] == (5, 9)
    # Seen on 27/03 at 10:00 (March not over): D6 is not yet late (due 27/03 17:00); D7 not yet received.
    early = queries.scoreboard(queries.Scope(), MARCH, now=at("2026-03-27", "10:00"))
    assert figures(early)["2.1"][2:] == (6, 8)  # the aggregates hold D7, received "later": counted, on time


@pytest.mark.django_db
def test_thresholds_at_below_and_above_the_limit_and_versioned_rules(province):
    pv = province
    # From 15/03/2026 the province gives 3.3 (online share) 4 of the 12 points, full from 50 %.
    IndicatorRule.objects.create(indicator="3.3", effective_from=date(2026, 3, 15), max_points=D(4),
                                 threshold_percent=D(50), confirmed=False, note="Thử nghiệm")
    for channel in (Channel.Kind.ONLINE, Channel.Kind.ONLINE, Channel.Kind.DIRECT, Channel.Kind.DIRECT):
        make_dossier(pv, pv.p_full, channel=channel, received=at("2026-03-02"), due=at("2026-03-05", "17:00"))
    services.refresh()

    def online(period):
        return queries.scoreboard(queries.Scope(), period, now=NOW).results["3.3"]

    at_limit = online(MARCH)  # 2/4 = 50 %: exactly the threshold → full points
    assert (at_limit.value, at_limit.points, at_limit.rule.max) == (D("50.00"), D("4.00"), D(4))
    assert not at_limit.rule.confirmed and not at_limit.rule.built_in
    make_dossier(pv, pv.p_full, received=at("2026-03-03"), due=at("2026-03-06", "17:00"))
    services.refresh()
    below = online(MARCH)  # 2/5 = 40 % → 40/50 × 4 = 3.2
    assert (below.value, below.points) == (D("40.00"), D("3.20"))
    for _ in range(2):
        make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=at("2026-03-04"),
                     due=at("2026-03-09", "17:00"))
    services.refresh()
    above = online(MARCH)  # 4/7 = 57.14 % → full
    assert (above.value, above.points) == (D("57.14"), D("4.00"))
    # February is scored with the built-in rule in force then: monitoring only.
    make_dossier(pv, pv.p_full, channel=Channel.Kind.ONLINE, received=at("2026-02-10"), due=at("2026-02-13"))
    services.refresh()
    february = online(queries.month_period(2026, 2))
    assert february.value == D("100.00") and february.points is None and february.rule.built_in


@pytest.mark.parametrize("indicator_id, threshold", [
    ("3.1", 80), ("3.3", 50), ("3.5", 80), ("SO_HOA_GIAY_TO_GIAI_QUYET", 80), ("REUSED_DIGITIZED_DATA", 80),
    ("DOSSIER_RECEIVING_SATISFACTION", 90),
])
def test_threshold_rules_of_the_portal(indicator_id, threshold):
    rule = ind.built_in_rule(ind.BY_ID[indicator_id])
    assert rule.threshold == threshold
    rule = ind.Rule(max=D(4), threshold=rule.threshold, confirmed=True, effective_from=ind.QD766_DATE)
    assert ind.points(Fraction(threshold, 100), rule) == D("4.00")  # at the limit: full
    assert ind.points(Fraction(threshold + 5, 100), rule) == D("4.00")  # above: full
    below = Fraction(threshold - 10, 100)  # below: rate × max / threshold
    assert ind.points(below, rule) == ind.round2(below * 4 / Fraction(threshold, 100))
    just_below = Fraction(threshold - 1, 100)  # one point below the limit: no longer full
    assert ind.points(just_below, rule) < D("4.00")


def test_linear_rules_round_half_up():
    rule = ind.Rule(max=D(20), threshold=None, confirmed=True, effective_from=ind.QD766_DATE)
    assert ind.points(Fraction(5, 8), rule) == D("12.50")
    assert ind.points(Fraction(1, 3), rule) == D("6.67")
    assert ind.points(Fraction(0), rule) == D("0.00") and ind.points(Fraction(1), rule) == D("20.00")
    monitor = ind.built_in_rule(ind.BY_ID["2.2"])
    assert ind.points(Fraction(1, 2), monitor) is None
    # 0.3125 × 2 / 0.8 → 0.3125 exactly → half up at the third decimal gives 0.31
    assert ind.round2(Fraction(5, 16)) == D("0.31") and ind.round2(Fraction(5, 1000)) == D("0.01")


def test_indicator_ids_follow_the_metrics_file():
    ids = [i.id for i in ind.INDICATORS]
    assert len(ids) == len(set(ids)) == 25
    assert sum(g.max for g in ind.GROUPS) == 100
    for group in ind.GROUPS:
        scored = sum((i.max or 0) for i in ind.INDICATORS if i.group == group.number)
        assert scored == group.max, group.name
    assert ind.BY_ID["2.1"].max == 20 and ind.BY_ID["3.6"].max == 6
    assert ind.BY_ID["ORIGINAL_RESULT_AVAILABLE"].formula_id == "4.1"
    unconfirmed = {i.id for i in ind.INDICATORS if not i.confirmed}
    assert {"3", "3.1", "3.2", "3.3", "3.5b", "ELECTRONIC_CERTIFIED_COPY"} <= unconfirmed


@pytest.mark.django_db
def test_nothing_received_is_no_data_not_zero(province):
    board = queries.scoreboard(queries.Scope(), MARCH, now=NOW)
    result = board.results["2.1"]
    assert not result.available and result.points is None and "Không có hồ sơ" in result.missing
    dossier_based = [r for r in board.results.values() if r.indicator.source == "facts"]
    assert dossier_based and not any(r.available for r in dossier_based)
    # Only the catalogue can be scored: 1.3 (2 of 3 procedures complete).
    assert board.points == board.results["PUBLIC_CONTENT_FULL"].points == D("1.33")
    assert timezone.is_aware(board.computed_at)
