"""Fee rules: read from the national catalogue's real fee texts, validated when IT staff edit them, applied to the
quantities of a dossier on the day it was submitted; amounts in words for receipts."""

import gzip
import json
from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tinhso.catalog.parsing import parse_channels
from tinhso.core.testing import shared_data
from tinhso.payments import fees
from tinhso.payments.models import FeeRule

# Real fee cells of the catalogue (procedure code: amount in đồng, text as the portal prints it).
CERTIFIED_COPY = (2000, "2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang, tối đa thu không quá 200.000 "
                        "đồng/bản. Trang là căn cứ để thu phí được tính theo trang của bản chính.")  # 2.000942
PER_COPY = (250000, "250,000 đồng/bản")  # 1.000267
HALVED = (800000, "(áp dụng mức phí 400.000 đồng/hồ sơ kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 theo Thông tư "
                  "số 64/2025/TT-BTC)")  # 1.000688
WAIVED = (2000000, "Thiết bị 2.000.000đ/lần(Miễn kể từ ngày 07/4/2026 đến 30/6/2026 theo Thông tư 40/2026/TT-BTC)")
BUSINESS = (100000, "Phí công bố nội dung đăng ký doanh nghiệp: 100.000 đồng/lần (Thông tư số 47/2019/TT-BTC)")
IN_THOUSANDS = (45, "Từ ngày 01/7/2025 đến hết ngày 31/12/2026 áp dụng theo quy định tại Thông tư số 64/2025/TT-BTC")


def test_rules_read_from_real_fee_texts():
    assert fees.rule_from_text(*CERTIFIED_COPY) == {
        "kind": "per_page", "amount": 2000, "unit": "trang", "tiers": [{"from_page": 3, "amount": 1000}],
        "max_per_copy": 200000}
    assert fees.rule_from_text(*PER_COPY) == {"kind": "per_copy", "amount": 250000, "unit": "bản"}
    assert fees.rule_from_text(*HALVED) == {
        "kind": "fixed", "amount": 800000, "periods": [{"from": "2025-07-01", "to": "2026-12-31", "amount": 400000}]}
    assert fees.rule_from_text(*WAIVED) == {
        "kind": "fixed", "amount": 2000000, "periods": [{"from": "2026-04-07", "to": "2026-06-30", "free": True}]}
    assert fees.rule_from_text(*BUSINESS) == {"kind": "fixed", "amount": 100000}
    assert fees.rule_from_text(*IN_THOUSANDS)["kind"] == "manual"  # 45 đồng: entered in thousands, not charged
    assert fees.rule_from_text(None, "/bản", "USD")["kind"] == "manual"
    assert fees.rule_from_text(0, "")["kind"] == "free"
    assert fees.fee_label(BUSINESS[1]) == "Phí công bố nội dung đăng ký doanh nghiệp"
    assert fees.fee_label(HALVED[1]) == "Phí, lệ phí"


def line(rule, on=date(2026, 11, 23), **quantities):
    return fees.compute(rule, on=on, **quantities).amount


def test_fixed_per_copy_per_page_and_periods():
    copy = fees.rule_from_text(*CERTIFIED_COPY)
    assert line(copy, pages=1) == 2000
    assert line(copy, pages=2) == 4000
    assert line(copy, pages=10) == 4000 + 8 * 1000
    assert line(copy, pages=10, copies=3) == 3 * 12000
    assert line(copy, pages=300, copies=2) == 2 * 200000  # the cap per copy
    assert line(fees.rule_from_text(*PER_COPY), copies=4) == 1_000_000
    halved = fees.rule_from_text(*HALVED)
    assert line(halved, on=date(2025, 6, 30)) == 800000
    assert line(halved, on=date(2025, 7, 1)) == 400000
    assert line(halved, on=date(2026, 12, 31)) == 400000
    assert line(halved, on=date(2027, 1, 1)) == 800000
    waived = fees.rule_from_text(*WAIVED)
    assert line(waived, on=date(2026, 5, 1)) == 0 and line(waived, on=date(2026, 7, 1)) == 2000000
    assert line({"kind": "manual"}) is None and line({"kind": "free"}) == 0

    quote = fees.quote_lines([("Chứng thực bản sao", copy, "text"), ("Phí", fees.rule_from_text(*BUSINESS), "rule")],
                             on=date(2026, 11, 23), copies=2, pages=5)
    assert quote.total == 2 * (4000 + 3000) + 100000 and quote.complete
    assert quote.needs == {"copies", "pages"}
    assert quote.as_dict()["lines"][0]["detail"].startswith("5 trang/bản × 2 bản")
    incomplete = fees.quote_lines([("?", {"kind": "manual"}, "text")], on=date(2026, 11, 23))
    assert incomplete.total is None and not incomplete.complete
    for bad in ((0, 1), (1, 0), ("a", 1), (1001, 1)):
        with pytest.raises(fees.RuleError):
            fees.quote_lines([], on=date(2026, 11, 23), copies=bad[0], pages=bad[1])


@pytest.mark.parametrize("rule, message", [
    ([], "đối tượng JSON"),
    ({"kind": "fixed"}, "Thiếu “amount”"),
    ({"kind": "weekly", "amount": 1}, "“kind” phải là"),
    ({"kind": "fixed", "amount": "100.000"}, "số nguyên"),
    ({"kind": "fixed", "amount": -5}, "từ 0 đến"),
    ({"kind": "fixed", "amount": 5, "tiers": []}, "chỉ dùng cho kind “per_page”"),
    ({"kind": "per_page", "amount": 5, "tiers": [{"from_page": 1, "amount": 1}]}, "tăng dần"),
    ({"kind": "per_page", "amount": 5, "tiers": [{"from_page": 3}]}, "hai trường"),
    ({"kind": "fixed", "amount": 5, "periods": [{"from": "2026-01-01", "to": "2025-01-01", "amount": 1}]},
     "trước ngày bắt đầu"),
    ({"kind": "fixed", "amount": 5, "periods": [{"from": "01/01/2026", "to": "2026-02-01", "free": True}]},
     "NNNN-TT-NN"),
    ({"kind": "fixed", "amount": 5, "periods": [{"from": "2026-01-01", "to": "2026-02-01"}]}, "“free”: true"),
    ({"kind": "fixed", "amount": 5, "colour": "red"}, "không được hỗ trợ: colour"),
])
def test_invalid_rules_are_refused_with_a_message(rule, message):
    with pytest.raises(fees.RuleError) as refused:
        fees.validate_rule(rule)
    assert message in str(refused.value)


def test_every_fee_of_the_national_catalogue_reads_as_a_valid_rule():
    path = shared_data("tthc-catalogue", "procedures.jsonl.gz")
    kinds, periods = Counter(), 0
    with gzip.open(path, "rt", encoding="utf-8") as source:
        for raw in source:
            record = json.loads(raw)
            channels, _problems = parse_channels(record.get("cach_thuc_thuc_hien") or "")
            for channel in channels:
                for fee in channel.fees:
                    rule = fees.validate_rule(fees.rule_from_text(fee.amount, fee.text, fee.currency))
                    kinds[rule["kind"]] += 1
                    periods += "periods" in rule
                    if rule["kind"] != "manual":
                        assert fees.compute(rule, on=date(2026, 11, 23), copies=2, pages=3).amount >= 0
    assert kinds["fixed"] > 500 and kinds["per_page"] >= 1 and kinds["per_copy"] >= 1 and kinds["manual"] > 0
    assert periods > 50  # the temporary rates of TT 64/2025 and TT 40/2026


def test_a_rule_saved_in_the_back_office_replaces_the_parsed_one(db):
    from django.core.management import call_command

    from tinhso.catalog.models import Procedure

    call_command("demo")
    channel = Procedure.objects.get(code="2.001583").current.channel("online")
    assert fees.quote_channel(channel, on=date(2026, 11, 23)).total == 100000
    fee = channel.fees.get()
    rule = FeeRule(fee=fee, rule={"kind": "per_copy", "amount": 50000})
    rule.full_clean()
    rule.save()
    channel = Procedure.objects.get(code="2.001583").current.channel("online")
    quote = fees.quote_channel(channel, on=date(2026, 11, 23), copies=3)
    assert quote.total == 150000 and quote.lines[0].source == "rule"
    FeeRule.objects.filter(pk=rule.pk).update(is_active=False)
    assert fees.quote_channel(Procedure.objects.get(code="2.001583").current.channel("online"),
                              on=date(2026, 11, 23)).total == 100000
    with pytest.raises(ValidationError) as refused:
        FeeRule(fee=fee, rule={"kind": "per_copy"}).full_clean()
    assert "amount" in str(refused.value)


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm lẻ năm đồng"),
    (1005, "Một nghìn không trăm lẻ năm đồng"),
    (100000, "Một trăm nghìn đồng"),
    # as the catalogue writes them next to the figures
    (65000000, "Sáu mươi lăm triệu đồng"),  # "65.000.000 đồng (sáu mươi lăm triệu đồng)"
    (35000000, "Ba mươi lăm triệu đồng"),  # "35.000.000 đồng (ba mươi lăm triệu đồng)"
    (1500000, "Một triệu năm trăm nghìn đồng"),  # "1.500.000 đồng (Một triệu năm trăm nghìn đồng)"
    (4500000, "Bốn triệu năm trăm nghìn đồng"),  # "4.500.000 (bốn triệu năm trăm nghìn) đồng"
    (2000500, "Hai triệu năm trăm đồng"),
    (1_000_000_000, "Một tỷ đồng"),
])
def test_amounts_in_words(amount, words):
    assert fees.amount_in_words(amount) == words
