"""``tinhso simulate_feedback [--share 0.7] [--petitions 40] [--seed 1] [--if-empty]``: demo ratings and petitions.

Rates about 70 % of the returned dossiers (run ``tinhso simulate`` first) and files a few dozen petitions in every
state, through the service layer. Prints one JSON line: ``{"ratings": …, "petitions": …, "by_state": {…}, …}``.
"""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.workcalendar import TZ
from tinhso.feedback.models import Petition, Rating
from tinhso.feedback.simulation import simulate


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” không phải là số.") from exc
    if not 0 <= share <= 1:
        raise CommandError("Tỷ lệ phải từ 0 đến 1.")
    return share


class Command(BaseCommand):
    help = ("Mô phỏng đánh giá hồ sơ đã trả kết quả và phản ánh, kiến nghị ở mọi trạng thái trên dữ liệu minh họa "
            "(chạy sau “tinhso simulate”).")

    def add_arguments(self, parser):
        parser.add_argument("--share", type=_share, default=0.7, help="Tỷ lệ hồ sơ đã trả kết quả được đánh giá.")
        parser.add_argument("--petitions", type=int, default=40, help="Số phản ánh, kiến nghị (mặc định 40).")
        parser.add_argument("--days", type=int, default=60, help="Trải trong khoảng bấy nhiêu ngày làm việc gần đây.")
        parser.add_argument("--seed", type=int, default=1, help="Hạt giống ngẫu nhiên (mặc định 1).")
        parser.add_argument("--until", help="Thời điểm hiện tại của mô phỏng, ISO 8601 (mặc định: bây giờ).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Chỉ chạy khi chưa có đánh giá hay phản ánh nào (dùng cho make run).")

    def handle(self, *args, share: float, petitions: int, days: int, seed: int, until: str | None,
               if_empty: bool = False, **opts):
        if if_empty and (Rating.objects.exists() or Petition.objects.exists()):
            self.stdout.write("Đã có đánh giá, phản ánh; bỏ qua mô phỏng.")
            return
        if petitions < 0 or days < 1:
            raise CommandError("Số phản ánh không được âm và số ngày phải lớn hơn 0.")
        present = None
        if until:
            try:
                present = datetime.fromisoformat(until)
            except ValueError as exc:
                raise CommandError(f"Thời điểm “{until}” không đúng ISO 8601 (ví dụ 2026-03-20T17:00).") from exc
            present = present if present.tzinfo else present.replace(tzinfo=TZ)
        result = simulate(seed=seed, share=share, petitions=petitions, days=days, until=present)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
