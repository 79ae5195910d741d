"""``tinhso scoreboard --from DATE --to DATE [--agency CODE] [--commune CODE] [--procedure CODE] [--json]``: the QĐ 766
scoreboard of a period, and ``tinhso scoreboard refresh [--full]``: bring its figures up to date.

With ``--json`` one JSON object: ``{"from", "to", "scope", "points", "max_with_data", "max", "indicators": [{"id",
"code", "formula_id", "value", "points", "max", "numerator", "denominator", "available", "confirmed"}, …]}`` where
``id`` is the metric code, or the formula number when the national portal gives no code (as in qd766-metrics.json);
``value`` is a percentage (2.2: working days) as a string with 2 decimals, ``null`` when there is no data.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tinhso.core.errors import DomainError
from tinhso.reporting import queries, services


class Command(BaseCommand):
    help = "Bảng chỉ số QĐ 766 của một kỳ; “refresh” cập nhật số liệu từ nhật ký hồ sơ."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["show", "refresh"], default="show",
                            help="show (mặc định): in bảng chỉ số; refresh: cập nhật số liệu.")
        parser.add_argument("--from", dest="start", help="Từ ngày (yyyy-mm-dd hoặc dd/mm/yyyy).")
        parser.add_argument("--to", dest="end", help="Đến ngày (mặc định hôm nay).")
        parser.add_argument("--agency", help="Mã định danh cơ quan (kể cả các đơn vị trực thuộc).")
        parser.add_argument("--commune", help="Mã xã, phường (mã thống kê).")
        parser.add_argument("--procedure", help="Mã thủ tục, ví dụ 1.001193.")
        parser.add_argument("--json", action="store_true", help="In JSON cho máy đọc.")
        parser.add_argument("--full", action="store_true", help="refresh: tính lại toàn bộ từ hồ sơ.")
        parser.add_argument("--no-refresh", action="store_true", help="show: không cập nhật số liệu trước khi in.")

    def handle(self, *args, action: str, **opts):
        if action == "refresh":
            result = services.rebuild() if opts["full"] else services.refresh()
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        try:
            period = queries.parse_period(start=opts["start"] or f"{timezone.localdate().year}-01-01", end=opts["end"])
            scope = queries.make_scope(opts["agency"], opts["commune"], opts["procedure"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not opts["no_refresh"]:
            services.refresh()
        board = queries.scoreboard(scope, period, now=timezone.now())
        if opts["json"]:
            self.stdout.write(json.dumps(_as_json(board), ensure_ascii=False))
            return
        self.stdout.write(f"Chỉ số QĐ 766 — {scope.label} — {period.label}")
        for group in board.groups:
            self.stdout.write(f"\n{group.group.number}. {group.group.name}: {group.points} / {group.max} điểm")
            for r in group.results:
                value = f"{r.value}{'' if r.indicator.unit != '%' else '%'}" if r.available else "không có dữ liệu"
                points = f"{r.points}/{r.rule.max}" if r.points is not None else (
                    f"–/{r.rule.max}" if r.rule.max else "theo dõi")
                flag = "" if r.rule.confirmed else " (chưa xác nhận)"
                self.stdout.write(f"  {r.indicator.id:<36} {value:>18}  {points:>12}{flag}")
        self.stdout.write(f"\nTổng: {board.points} / {board.max_with_data} điểm có dữ liệu (tối đa {board.max}).")


def _as_json(board) -> dict:
    out = board.as_dict()
    return {
        "from": out["period"]["from"], "to": out["period"]["to"], "scope": out["scope"], "points": out["points"],
        "max_with_data": out["max_with_data"], "max": out["max"], "refreshed_at": out["refreshed_at"],
        "indicators": [{k: i[k] for k in ("id", "code", "formula_id", "name", "value", "points", "max", "numerator",
                                          "denominator", "available", "confirmed")}
                       for g in out["groups"] for i in g["indicators"]],
    }
