"""The QĐ 766 indicators as the national portal scores them (domain README §4, ``qd766-metrics.json``), and the
scoring arithmetic.

Each indicator has an id — the portal's metric code, or the formula number where the portal gives no code, exactly as
in ``qd766-metrics.json`` — and a built-in scoring rule (maximum points, threshold, whether the formula is confirmed)
in force from the decision's date. An administrator can add a newer version of any rule (``IndicatorRule``); a period
is scored with the versions in force on its last day.

``source`` says where the figures come from:

- ``facts``: the platform's own dossiers (aggregates kept up to date from the event log);
- ``catalog``: the platform's own procedure catalogue, as it is now;
- ``mixed``: both (a count of procedures that had dossiers in the period);
- ``feedback``: petitions and ratings of the ``feedback`` app;
- ``none``: data the platform cannot know (publication on the national catalogue, the national portal's
  synchronisation, VNeID): always "không có dữ liệu", never invented.

Points: ``rate × max``; with a threshold, the full maximum from the threshold up and ``rate × max / threshold`` below
it; rounded to 2 decimals (half up). A denominator of 0 gives "không có dữ liệu", not 0 points.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

#: The decision's date: the built-in rules are in force from it.
QD766_DATE = date(2022, 6, 23)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Group:
    number: int
    name: str
    max: int
    legacy_field: str


GROUPS = (
    Group(1, "Công khai, minh bạch", 18, "CKMB"),
    Group(2, "Tiến độ giải quyết", 20, "TDGQ"),
    Group(3, "Dịch vụ công trực tuyến", 12, "TTTT"),
    Group(4, "Thanh toán trực tuyến", 10, "CLGQ"),
    Group(5, "Số hóa hồ sơ", 22, "MDSH"),
    Group(6, "Mức độ hài lòng", 18, "MDHL"),
)


@dataclass(frozen=True)
class Indicator:
    id: str
    group: int
    name: str
    max: Decimal | None
    code: str | None = None
    formula_id: str | None = None
    threshold: Decimal | None = None  # percent
    confirmed: bool = True
    source: str = "facts"
    unit: str = "%"
    formula: str = ""
    note: str = ""
    #: Whether the dossiers behind the figure can be listed (those that lost points).
    drilldown: bool = False
    #: Names of the numerator and denominator, for screens and CSV.
    terms: tuple[str, str] = ("", "")


I = Indicator  # noqa: E741 — a short alias keeps the table below readable
D = Decimal

INDICATORS: tuple[Indicator, ...] = (
    # --- 1. Công khai, minh bạch (18) ------------------------------------------------------------------------------
    I("PUBLISH_ON_TIME", 1, "Tỷ lệ TTHC công bố đúng hạn", D(6), code="PUBLISH_ON_TIME", formula_id="1.1",
      source="none", formula="TTHC công bố đúng hạn / TTHC đã công bố trong kỳ; đúng hạn: ngày quyết định công bố ≤ "
      "ngày hiệu lực của văn bản quy phạm pháp luật − 5 ngày làm việc.",
      note="Nền tảng không lưu ngày quyết định công bố và ngày hiệu lực của văn bản quy định thủ tục."),
    I("PUBLIC_UPDATE_ON_TIME", 1, "Tỷ lệ TTHC được cập nhật, công khai đúng hạn trên CSDL quốc gia về TTHC", D(4),
      code="PUBLIC_UPDATE_ON_TIME", formula_id="1.2", source="none",
      formula="TTHC được công khai trên CSDL quốc gia ≤ ngày quyết định công bố + 5 ngày làm việc / TTHC phải công "
      "khai trong kỳ.",
      note="Việc công khai trên Cơ sở dữ liệu quốc gia về TTHC diễn ra ngoài nền tảng."),
    I("PUBLIC_CONTENT_FULL", 1, "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành", D(2),
      code="PUBLIC_CONTENT_FULL", formula_id="1.3", source="catalog",
      formula="TTHC có đủ tên, trình tự, cách thức, thành phần hồ sơ, thời hạn, đối tượng, cơ quan thực hiện / TTHC "
      "đang công khai (không theo kỳ).",
      note="Tính trên danh mục thủ tục của nền tảng (hiện hành), không phải trên CSDL quốc gia.",
      drilldown=True, terms=("TTHC công khai đầy đủ", "TTHC đang công khai")),
    I("DOSSIER_SYNC", 1, "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG", D(6), code="DOSSIER_SYNC", formula_id="1.4",
      source="none", formula="Hồ sơ đồng bộ có ngày tiếp nhận trong kỳ / số hồ sơ tiếp nhận.",
      note="Nền tảng chưa đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia; không biết số hồ sơ đã đồng bộ."),
    # --- 2. Tiến độ giải quyết (20) ---------------------------------------------------------------------------------
    I("2.1", 2, "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn", D(20), formula_id="2.1",
      formula="Hồ sơ đã/đang xử lý đúng hạn hoặc trong hạn / hồ sơ tiếp nhận trong kỳ. Kết thúc = lúc xử lý xong "
      "(trạng thái 9), nếu không có thì lúc trả kết quả (10), dừng hoặc rút; so với hẹn trả ban đầu cộng thời gian "
      "tạm dừng (chờ bổ sung, chờ nghĩa vụ tài chính); hồ sơ yêu cầu bổ sung quá một lần tính là quá hạn; hồ sơ "
      "chưa kết thúc so với cuối kỳ (hoặc lúc này, nếu kỳ chưa hết).",
      note="Văn bản xin lỗi, hẹn lại không làm hồ sơ hết quá hạn.",
      drilldown=True, terms=("Hồ sơ đúng hạn, trong hạn", "Hồ sơ tiếp nhận")),
    I("2.2", 2, "Thời gian giải quyết TTHC trung bình", None, formula_id="2.2", unit="ngày làm việc",
      formula="Tổng thời gian giải quyết (giờ làm việc, trừ thời gian tạm dừng, 8 giờ = 1 ngày) / số hồ sơ đã xử lý "
      "xong (trạng thái 9, 10) có ngày tiếp nhận trong kỳ. Chỉ theo dõi, không tính điểm.",
      terms=("Tổng số ngày làm việc", "Hồ sơ đã xử lý xong")),
    # --- 3. Dịch vụ công trực tuyến (12) ----------------------------------------------------------------------------
    I("3", 3, "Tỷ lệ hồ sơ trực tuyến toàn trình của TTHC đủ điều kiện toàn trình", D(12), confirmed=False,
      formula="Hồ sơ nộp trực tuyến của TTHC toàn trình, đã thanh toán trực tuyến nếu có phí / hồ sơ của TTHC đủ "
      "điều kiện toàn trình, tiếp nhận trong kỳ.",
      note="Cổng DVCQG chấm 12 điểm nhóm này theo công thức chưa xác định được; mã “3” do nền tảng đặt (tệp chỉ số "
      "không có mã). Cách chia điểm là tham số có thể sửa.",
      drilldown=True, terms=("Hồ sơ toàn trình", "Hồ sơ của TTHC toàn trình")),
    I("3.1", 3, "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến", D(0), formula_id="3.1", threshold=D(80),
      confirmed=False, source="catalog",
      formula="TTHC có DVC trực tuyến một phần hoặc toàn trình / TTHC thuộc thẩm quyền (danh mục hiện hành); "
      "≥ 80% được điểm tối đa.",
      note="Phần điểm của chỉ tiêu trong 12 điểm chưa xác định: mặc định chỉ theo dõi.",
      drilldown=True, terms=("TTHC có DVC trực tuyến", "TTHC thuộc thẩm quyền")),
    I("3.2", 3, "Tỷ lệ DVC trực tuyến có phát sinh hồ sơ", D(0), formula_id="3.2", confirmed=False, source="mixed",
      formula="TTHC có DVC trực tuyến có hồ sơ nộp trực tuyến trong kỳ / TTHC có DVC trực tuyến.",
      note="Phần điểm của chỉ tiêu trong 12 điểm chưa xác định: mặc định chỉ theo dõi.",
      drilldown=True, terms=("DVC trực tuyến có hồ sơ", "DVC trực tuyến")),
    I("3.3", 3, "Tỷ lệ hồ sơ nộp trực tuyến", D(0), formula_id="3.3", threshold=D(50), confirmed=False,
      formula="Hồ sơ nộp trực tuyến / hồ sơ tiếp nhận trong kỳ; ≥ 50% được điểm tối đa.",
      note="Cổng DVCQG còn nhân với tỷ lệ đồng bộ hồ sơ — nền tảng không biết tỷ lệ này nên không nhân. Phần "
      "điểm trong 12 điểm chưa xác định: mặc định chỉ theo dõi.",
      drilldown=True, terms=("Hồ sơ nộp trực tuyến", "Hồ sơ tiếp nhận")),
    # --- 4. Thanh toán trực tuyến (10) ------------------------------------------------------------------------------
    I("3.5", 4, "TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến", D(2), formula_id="3.5",
      threshold=D(80), source="mixed",
      formula="TTHC có hồ sơ ghi nhận phí, lệ phí khác 0 trong kỳ / TTHC có phí, lệ phí khác 0 trong danh mục; "
      "≥ 80% được điểm tối đa.",
      note="Tính trên hồ sơ của nền tảng thay cho hồ sơ đồng bộ lên Cổng DVCQG.",
      drilldown=True, terms=("TTHC có hồ sơ thu phí", "TTHC có phí, lệ phí")),
    I("3.5b", 4, "TTHC có giao dịch thanh toán trực tuyến", D(2), formula_id="3.5b", confirmed=False,
      source="mixed",
      formula="TTHC có ít nhất một hồ sơ thanh toán trực tuyến trong kỳ / TTHC có phí, lệ phí khác 0 trong danh mục.",
      note="Công thức chỉ có ở nguồn thứ cấp: là tham số, chưa xác nhận.",
      drilldown=True, terms=("TTHC có giao dịch trực tuyến", "TTHC có phí, lệ phí")),
    I("3.6", 4, "Tỷ lệ hồ sơ thanh toán trực tuyến", D(6), formula_id="3.6",
      formula="Hồ sơ thanh toán trực tuyến (qua Cổng DVCQG hoặc cổng thanh toán của tỉnh) / hồ sơ có phí, lệ phí "
      "khác 0, tiếp nhận trong kỳ.",
      drilldown=True, terms=("Hồ sơ thanh toán trực tuyến", "Hồ sơ có phí, lệ phí")),
    # --- 5. Số hóa hồ sơ (22) ---------------------------------------------------------------------------------------
    I("ORIGINAL_RESULT_AVAILABLE", 5, "Tỷ lệ hồ sơ có kết quả giải quyết điện tử", D(6),
      code="ORIGINAL_RESULT_AVAILABLE", formula_id="4.1",
      formula="Hồ sơ có tệp kết quả điện tử / hồ sơ đã xử lý xong (trạng thái 9, 10), tiếp nhận trong kỳ.",
      note="Cổng DVCQG lấy mẫu số là hồ sơ của TTHC có kết quả bằng giấy; danh mục không ghi điều này nên nền tảng "
      "dùng mọi hồ sơ đã có kết quả.",
      drilldown=True, terms=("Hồ sơ có kết quả điện tử", "Hồ sơ đã xử lý xong")),
    I("SO_HOA_GIAY_TO_GIAI_QUYET", 5, "Tỷ lệ hồ sơ thực hiện số hóa", D(4), code="SO_HOA_GIAY_TO_GIAI_QUYET",
      formula_id="4.2", threshold=D(80),
      formula="Hồ sơ có thành phần đã số hóa và có kết quả điện tử / hồ sơ tiếp nhận trong kỳ; ≥ 80% được điểm "
      "tối đa.",
      drilldown=True, terms=("Hồ sơ số hóa đủ", "Hồ sơ tiếp nhận")),
    I("ELECTRONIC_CERTIFIED_COPY", 5, "Cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính", D(2),
      code="ELECTRONIC_CERTIFIED_COPY", source="none", confirmed=False,
      note="Chưa tìm được công thức của chỉ tiêu; nền tảng không tự đặt ra."),
    I("REUSED_DIGITIZED_DATA", 5, "Tỷ lệ hồ sơ khai thác, sử dụng lại dữ liệu số hóa", D(2),
      code="REUSED_DIGITIZED_DATA", formula_id="4.3", threshold=D(80),
      formula="Hồ sơ có ít nhất một thành phần sử dụng lại dữ liệu đã số hóa / hồ sơ tiếp nhận trong kỳ; ≥ 80% "
      "được điểm tối đa.",
      drilldown=True, terms=("Hồ sơ sử dụng lại dữ liệu", "Hồ sơ tiếp nhận")),
    I("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", 5, "Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ với kho dữ liệu cá nhân",
      D(4), code="SYNCED_WITH_DVCQG_PERSONAL_STORAGE", formula_id="4.4",
      formula="Hồ sơ có thành phần lấy từ kho dữ liệu cá nhân hoặc có kết quả điện tử đưa vào kho / hồ sơ tiếp nhận "
      "trong kỳ.",
      note="Tính với kho dữ liệu cá nhân của nền tảng; kho trên Cổng DVCQG nằm ngoài nền tảng.",
      drilldown=True, terms=("Hồ sơ kết nối kho dữ liệu", "Hồ sơ tiếp nhận")),
    I("CITIZEN_DATA_CONNECTED_DOSSIER", 5, "Tỷ lệ hồ sơ sử dụng dữ liệu từ CSDL quốc gia về dân cư", D(2),
      code="CITIZEN_DATA_CONNECTED_DOSSIER", formula_id="4.5b", source="none",
      formula="Hồ sơ có tài khoản xác thực VNeID hoặc lấy dữ liệu từ CSDL quốc gia về dân cư / tổng hồ sơ.",
      note="Nền tảng chưa kết nối VNeID và CSDL quốc gia về dân cư."),
    I("CITIZEN_DATA_CONNECTED_FORMALITY", 5, "Tỷ lệ TTHC kết nối, chia sẻ dữ liệu dân cư", D(2),
      code="CITIZEN_DATA_CONNECTED_FORMALITY", formula_id="4.5a", source="none",
      formula="TTHC có hồ sơ sử dụng dữ liệu dân cư / TTHC có đối tượng là công dân.",
      note="Nền tảng chưa kết nối VNeID và CSDL quốc gia về dân cư."),
    # --- 6. Mức độ hài lòng (18) ------------------------------------------------------------------------------------
    I("PETITION_CLASSIFICATION_TTHC", 6, "Phản ánh, kiến nghị về quy định, TTHC", None,
      code="PETITION_CLASSIFICATION_TTHC", formula_id="5.1", source="feedback",
      formula="Phản ánh, kiến nghị về quy định, TTHC / tổng phản ánh, kiến nghị trong kỳ. Chỉ theo dõi.",
      terms=("PAKN về quy định, TTHC", "Tổng PAKN")),
    I("PETITION_CLASSIFICATION_STAFF", 6, "Phản ánh, kiến nghị về hành vi của cán bộ, công chức", None,
      code="PETITION_CLASSIFICATION_STAFF", formula_id="5.1", source="feedback",
      formula="Phản ánh, kiến nghị về hành vi của cán bộ, công chức / tổng phản ánh, kiến nghị trong kỳ. Chỉ theo dõi.",
      terms=("PAKN về hành vi CBCC", "Tổng PAKN")),
    I("PETITION_PROCESSING_ON_TIME", 6, "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn", D(6),
      code="PETITION_PROCESSING_ON_TIME", formula_id="5.2", source="feedback",
      formula="PAKN xử lý đúng hoặc trước hạn / PAKN thuộc thẩm quyền trong kỳ.",
      terms=("PAKN xử lý đúng hạn", "PAKN thuộc thẩm quyền")),
    I("PETITION_HANDLING_SATISFACTION", 6, "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị", D(6),
      code="PETITION_HANDLING_SATISFACTION", formula_id="5.3", source="feedback",
      formula="(PAKN − PAKN bị đánh giá không hài lòng nhiều hơn hài lòng, quá hạn hoặc bị phản ánh lại) / PAKN "
      "tiếp nhận lần đầu trong kỳ.",
      terms=("PAKN được hài lòng", "PAKN tiếp nhận")),
    I("DOSSIER_RECEIVING_SATISFACTION", 6, "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC", D(6),
      code="DOSSIER_RECEIVING_SATISFACTION", formula_id="5.4", threshold=D(90),
      formula="100% − (tỷ lệ hồ sơ quá hạn + tỷ lệ hồ sơ có phản ánh, kiến nghị hoặc đánh giá không hài lòng); "
      "≥ 90% được điểm tối đa.",
      note="Cần dữ liệu đánh giá, phản ánh của người dân (phân hệ Phản ánh, kiến nghị).",
      drilldown=True, terms=("Hồ sơ không quá hạn, không bị phản ánh", "Hồ sơ tiếp nhận")),
)
del I, D

BY_ID = {indicator.id: indicator for indicator in INDICATORS}
GROUP_BY_NUMBER = {group.number: group for group in GROUPS}


@dataclass(frozen=True)
class Rule:
    """The scoring rule of an indicator in force for a period."""

    max: Decimal | None
    threshold: Decimal | None  # percent
    confirmed: bool
    effective_from: date
    note: str = ""
    built_in: bool = True

    @property
    def scored(self) -> bool:
        return bool(self.max)


def built_in_rule(indicator: Indicator) -> Rule:
    return Rule(max=indicator.max, threshold=indicator.threshold, confirmed=indicator.confirmed,
                effective_from=QD766_DATE)


def round2(value: Fraction | Decimal | int) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def points(rate: Fraction, rule: Rule) -> Decimal | None:
    """``rate`` (0–1) scored under ``rule``; ``None`` for a monitoring-only indicator."""
    if not rule.scored:
        return None
    maximum = Fraction(rule.max)
    if rule.threshold:
        threshold = Fraction(rule.threshold) / 100
        value = maximum if rate >= threshold else rate * maximum / threshold
    else:
        value = rate * maximum
    return round2(min(value, maximum))


def percent(rate: Fraction) -> Decimal:
    return round2(rate * 100)


@dataclass
class Result:
    """An indicator's figures for one scope and period."""

    indicator: Indicator
    rule: Rule
    numerator: int | None = None
    denominator: int | None = None
    value: Decimal | None = None
    points: Decimal | None = None
    missing: str = ""  # why there is no figure ("không có dữ liệu")
    extra: dict = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.value is not None

    @property
    def lost(self) -> int:
        """How many items (dossiers, procedures) cost points: denominator − numerator."""
        if self.numerator is None or self.denominator is None:
            return 0
        return max(self.denominator - self.numerator, 0)


NO_DATA = "không có dữ liệu"


def ratio_result(indicator: Indicator, rule: Rule, numerator: int, denominator: int, *,
                 empty: str = "") -> Result:
    """A rate indicator: value in percent, points; denominator 0 ⇒ no data."""
    result = Result(indicator, rule, numerator=numerator, denominator=denominator)
    if denominator <= 0:
        result.missing = empty or "Không có hồ sơ hoặc thủ tục nào thuộc mẫu số trong kỳ."
        return result
    rate = Fraction(numerator, denominator)
    result.value = percent(rate)
    result.points = points(rate, rule)
    return result


def rate_result(indicator: Indicator, rule: Rule, rate: Fraction, numerator: int, denominator: int) -> Result:
    """An indicator whose rate is not numerator / denominator (5.4: 100% − two shares), clamped to 0–100%."""
    rate = min(max(rate, Fraction(0)), Fraction(1))
    result = Result(indicator, rule, numerator=numerator, denominator=denominator)
    result.value = percent(rate)
    result.points = points(rate, rule)
    return result


def unavailable(indicator: Indicator, rule: Rule, reason: str) -> Result:
    return Result(indicator, rule, missing=reason)
