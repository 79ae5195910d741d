"""``tinhso exchange …``: operate the exchange between platforms (liên thông văn bản).

``deliver`` sends the due outbox messages (retries with backoff, dead letters after too many attempts) and prints a
JSON summary; run it from cron or with ``--loop`` (several at once are safe). ``add-peer`` registers or changes a
peer platform; ``peers`` lists the peers with their outbox counts.
"""

import json
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from tinhso.core.errors import DomainError
from tinhso.exchange import services
from tinhso.exchange.models import OutboxMessage, Peer


class Command(BaseCommand):
    help = "Liên thông văn bản: deliver (gửi gói tin đến hạn), add-peer (đăng ký nền tảng), peers (danh sách)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{deliver,add-peer,peers}")
        deliver = actions.add_parser("deliver", help="Gửi các gói tin đến hạn trong hộp thư đi.")
        deliver.add_argument("--limit", type=int, default=50, help="Số gói tin mỗi lượt (mặc định 50).")
        deliver.add_argument("--loop", action="store_true", help="Chạy liên tục, mỗi --interval giây một lần.")
        deliver.add_argument("--interval", type=float, default=30.0)
        peer = actions.add_parser("add-peer", help="Đăng ký (hoặc sửa, theo --inbound-key) một nền tảng liên thông.")
        peer.add_argument("--name", required=True)
        peer.add_argument("--url", required=True, help="Địa chỉ nền tảng, ví dụ https://vanban.caobang.gov.vn")
        peer.add_argument("--organ-ids", required=True,
                          help="Mã định danh các cơ quan nền tảng đó phục vụ, cách nhau bằng dấu phẩy.")
        peer.add_argument("--inbound-key", required=True, help="Mã khóa nền tảng đó dùng khi gửi đến đây.")
        peer.add_argument("--outbound-key", required=True, help="Mã khóa nền tảng này dùng khi gửi đến đó.")
        peer.add_argument("--secret-env", required=True,
                          help="Tên biến môi trường chứa khóa bí mật dùng chung (ít nhất 32 ký tự).")
        peer.add_argument("--inactive", action="store_true")
        actions.add_parser("peers", help="Liệt kê các nền tảng và số gói tin theo tình trạng.")

    def handle(self, *args, action, **options):
        if action == "deliver":
            return self._deliver(options)
        if action == "add-peer":
            try:
                peer = services.save_peer(
                    None, name=options["name"], base_url=options["url"], organ_ids=options["organ_ids"],
                    inbound_key_id=options["inbound_key"], outbound_key_id=options["outbound_key"],
                    secret_env=options["secret_env"], is_active=not options["inactive"])
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from exc
            self.stdout.write(json.dumps({"peer": peer.pk, "name": peer.name, "endpoint": peer.endpoint_url,
                                          "organ_ids": peer.organ_id_list}, ensure_ascii=False))
            return None
        states = [s for s, _label in OutboxMessage.State.choices]
        rows = Peer.objects.annotate(**{s: Count("outbox", filter=Q(outbox__state=s)) for s in states})
        for peer in rows.order_by("name"):
            self.stdout.write(json.dumps({"name": peer.name, "endpoint": peer.endpoint_url, "active": peer.is_active,
                                          "organ_ids": peer.organ_id_list,
                                          "outbox": {s: getattr(peer, s) for s in states}}, ensure_ascii=False))
        return None

    def _deliver(self, options):
        stop = {"now": False}
        if options["loop"]:
            signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while True:
            report = services.deliver_due(limit=max(1, options["limit"]))
            if report.sent or report.failed or report.dead or not options["loop"]:
                self.stdout.write(json.dumps(report.as_dict()))
            if not options["loop"] or stop["now"]:
                return
            time.sleep(max(1.0, options["interval"]))
