"""``tinhso documents train|evaluate|demo``: the classifier of incoming documents and the demo documents.

- ``train [--agency CODE …] [--province]``: retrain the models (every agency with confirmed documents and the
  province's when nothing is named); prints one JSON object with each model's cross-validated accuracy and the
  measured acceptance of the suggestions.
- ``evaluate [--data DIR] [--count N] [--agency CODE]``: accuracy on a held-back 20 % of the synthetic demo corpus,
  on the labelled real documents of ``../shared/data`` (trained on the synthetic corpus, and leave-one-out), and,
  with ``--agency``, on a held-back 20 % of that agency's documents in the database. JSON.
- ``demo [--count N] [--seed S] [--if-empty]``: register a year of demo incoming documents for the demo agencies
  and train their models (``documents.demo``).
"""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from tinhso.core.models import Agency


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” không phải là số nguyên.") from exc
    if number < 1:
        raise CommandError("Giá trị phải lớn hơn 0.")
    return number


def _default_data() -> Path:
    """``TINHSO_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("TINHSO_SHARED_DATA", Path(__file__).resolve().parents[5].parent / "shared" / "data"))


class Command(BaseCommand):
    help = "Phân loại văn bản đến (huấn luyện, đo độ chính xác) và văn bản minh họa."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{train,evaluate,demo}")
        train = actions.add_parser("train", help="Huấn luyện lại mô hình phân loại; in độ chính xác (JSON).")
        train.add_argument("--agency", action="append", default=[], help="Mã định danh cơ quan (lặp lại được).")
        train.add_argument("--province", action="store_true", help="Mô hình chung của tỉnh.")
        evaluate = actions.add_parser("evaluate", help="Đo độ chính xác trên dữ liệu giữ lại và dữ liệu thật (JSON).")
        evaluate.add_argument("--data", default=None, help="Thư mục dữ liệu dùng chung (mặc định ../shared/data).")
        evaluate.add_argument("--count", type=_positive, default=1000, help="Số văn bản tổng hợp (mặc định 1000).")
        evaluate.add_argument("--agency", action="append", default=[],
                              help="Đo thêm trên 20 %% văn bản giữ lại của cơ quan này trong cơ sở dữ liệu.")
        demo = actions.add_parser("demo", help="Nạp văn bản đến minh họa cho các cơ quan minh họa rồi huấn luyện.")
        demo.add_argument("--count", type=_positive, default=1000, help="Số văn bản (mặc định 1000).")
        demo.add_argument("--seed", type=int, default=1, help="Hạt giống ngẫu nhiên (mặc định 1).")
        demo.add_argument("--if-empty", action="store_true",
                          help="Chỉ nạp khi các cơ quan minh họa chưa có văn bản đến.")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "train":
            return self.train(opts["agency"], opts["province"])
        if action == "evaluate":
            return self.evaluate(opts)
        return self.demo(opts)

    def _agencies(self, codes: list[str]) -> list[Agency]:
        found = []
        for code in codes:
            agency = Agency.objects.filter(code=code).first()
            if agency is None:
                raise CommandError(f"Không có cơ quan mã {code}.")
            found.append(agency)
        return found

    def _emit(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False))

    def train(self, codes: list[str], province: bool) -> None:
        from tinhso.documents import classify

        agencies = self._agencies(codes)
        if not agencies and not province:
            ids = classify.confirmed_documents(None).values_list("agency_id", flat=True).distinct()
            agencies = list(Agency.objects.filter(pk__in=ids).order_by("code"))
            province = True
        reports = [classify.train(agency) for agency in agencies]
        if province:
            reports.append(classify.train(None))
        self._emit({"models": reports, "acceptance": classify.acceptance()})

    def evaluate(self, opts) -> None:
        from tinhso.documents import evaluation

        out = {"synthetic_holdout": evaluation.synthetic_holdout(opts["count"])}
        root = Path(opts["data"]) if opts["data"] else _default_data()
        if (root / "official-docs" / "labels.csv").exists():
            out["shared"] = evaluation.shared(root, count=opts["count"])
        else:
            out["shared"] = {"skipped": f"{root}/official-docs/labels.csv not found"}
        out["database_holdout"] = [evaluation.database_holdout(a) for a in self._agencies(opts["agency"])]
        self._emit(out)

    def demo(self, opts) -> None:
        from tinhso.documents import demo

        if opts["if_empty"] and demo.has_documents():
            self.stdout.write("Đã có văn bản đến minh họa; bỏ qua.")
            return
        # Retraining is done once at the end, not queued every 50 documents during the load.
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
            result = demo.load(opts["count"], seed=opts["seed"])
        self._emit(result.as_dict())
