"""``tinhso edxml parse FILE`` and ``tinhso edxml build-status …``: read and write edXML packages (QCVN 102:2016).

``parse`` prints the package's header as JSON, or exits with status 2 and the precise reason on stderr.
``build-status`` writes a status package (01 đã đến … 16 từ chối cập nhật) answering a document, to stdout or a file.
"""

import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tinhso.exchange.edxml import (
    DEFAULT_LIMITS,
    TIMESTAMP_FORMAT,
    VIETNAM,
    EdxmlError,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    build_status,
    parse,
    split_document_id,
    summary,
)

EXIT_REFUSED = 2


def _refuse(error: EdxmlError) -> CommandError:
    where = f" (dòng {error.line}, cột {error.column})" if error.line and "dòng" not in error.message else ""
    return CommandError(f"{error.code}: {error.message}{where}", returncode=EXIT_REFUSED)


class Command(BaseCommand):
    help = ("Đọc và lập gói tin edXML (QCVN 102:2016): parse FILE in phần đầu dạng JSON; "
            "build-status lập gói trạng thái.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{parse,build-status}")
        read = actions.add_parser("parse", help="Đọc gói tin edXML và in phần đầu dạng JSON.")
        read.add_argument("file", type=Path)
        status = actions.add_parser("build-status", help="Lập gói tin trạng thái trả lời một văn bản.")
        status.add_argument("--response-for", required=True, metavar="DOCID",
                            help="DocumentId của văn bản được trả lời (OrganId,yyyy/MM/dd,số/ký hiệu).")
        status.add_argument("--from", dest="sender", required=True, metavar="ORGANID",
                            help="Mã định danh của cơ quan gửi trạng thái.")
        status.add_argument("--organ-name", default="", help="Tên cơ quan gửi trạng thái.")
        status.add_argument("--code", required=True, help="Mã trạng thái: 01, 02, 03, 04, 05, 06, 13, 15, 16.")
        status.add_argument("--description", default="", help="Mô tả; bắt buộc (lý do) với 02 và 16.")
        status.add_argument("--timestamp", help="Thời điểm yyyy/MM/dd HH:mm:ss (giờ Việt Nam); mặc định: bây giờ.")
        status.add_argument("--staff", default="", help="Cán bộ xử lý.")
        status.add_argument("--department", default="", help="Đơn vị của cán bộ xử lý.")
        status.add_argument("--output", "-o", type=Path, help="Ghi ra tệp thay vì in ra màn hình.")

    def handle(self, *args, action: str, **opts):
        if action == "parse":
            self._parse(opts["file"])
        else:
            self._build_status(opts)

    def _parse(self, file: Path) -> None:
        try:
            with file.open("rb") as fh:
                data = fh.read(DEFAULT_LIMITS.max_message_bytes + 1)  # parse() refuses what is over the limit
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc.strerror or exc}", returncode=EXIT_REFUSED) from exc
        try:
            message = parse(data)
        except EdxmlError as exc:
            raise _refuse(exc) from exc
        self.stdout.write(json.dumps(summary(message), ensure_ascii=False, indent=2))

    def _build_status(self, opts: dict) -> None:
        doc_id = opts["response_for"].strip()
        parts = split_document_id(doc_id)
        if opts["timestamp"]:
            try:
                when = datetime.strptime(opts["timestamp"], TIMESTAMP_FORMAT)
            except ValueError as exc:
                raise CommandError(f"bad_date: --timestamp “{opts['timestamp']}” không đúng dạng yyyy/MM/dd HH:mm:ss.",
                                   returncode=EXIT_REFUSED) from exc
        else:
            when = datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)
        staff = None
        if opts["staff"] or opts["department"]:
            staff = StaffInfo(department=opts["department"], staff=opts["staff"])
        message = StatusMessage(
            response_for=ResponseFor(
                document_id=doc_id,
                organ_id=parts.organ_id if parts else "",
                code=f"{parts.code_number}/{parts.code_notation}" if parts else "",
                promulgation_date=parts.date if parts else None,
            ),
            sender=Organization(organ_id=opts["sender"].strip(), organ_name=opts["organ_name"]),
            status_code=opts["code"].strip().zfill(2),
            timestamp=when,
            description=opts["description"].strip(),
            staff=staff,
        )
        try:
            data = build_status(message)
        except EdxmlError as exc:
            raise _refuse(exc) from exc
        if opts["output"]:
            opts["output"].write_bytes(data)
            self.stderr.write(f"Đã ghi gói trạng thái {message.status_code} vào {opts['output']}.")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
