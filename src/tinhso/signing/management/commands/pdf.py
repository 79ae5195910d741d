"""``tinhso pdf sign IN OUT [--agency CODE] [--kind …]`` and ``tinhso pdf verify FILE`` (JSON; exit 0/1/2)."""

import json
import sys
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency
from tinhso.core.workcalendar import TZ
from tinhso.signing import services
from tinhso.signing.models import SigningIdentity
from tinhso.signing.setup import default_agency
from tinhso.signing.signers import for_identity

#: Exit codes of ``pdf verify``.
VALID, NOT_VALID, UNREADABLE = 0, 1, 2


def _box(text: str) -> tuple[int, float, float, float, float]:
    try:
        page, x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise CommandError(f"--box “{text}”: cần 5 số TRANG,X0,Y0,X1,Y1 (điểm, gốc ở góc dưới trái).") from exc
    return int(page), x0, y0, x1, y1


class Command(BaseCommand):
    help = "Ký số và kiểm tra chữ ký số tệp PDF (PAdES, bố cục theo NĐ 30/2020 Phụ lục I)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sign,verify}")
        sign = actions.add_parser("sign", help="Ký một tệp PDF.")
        sign.add_argument("input", help="Tệp PDF cần ký.")
        sign.add_argument("output", help="Tệp PDF đã ký (ghi đè nếu có).")
        sign.add_argument("--agency", help="Mã định danh cơ quan ký; mặc định cơ quan gốc của hệ thống.")
        sign.add_argument("--kind", choices=services.KINDS, default="agency",
                          help="personal: chữ ký người có thẩm quyền; agency: con dấu cơ quan (mặc định); "
                               "attachment: tài liệu kèm theo (không hình ảnh, ghi số ký hiệu và thời gian).")
        sign.add_argument("--notation", default="", help="Số, ký hiệu văn bản, ví dụ 135/KH-UBND (bắt buộc với "
                                                         "attachment).")
        sign.add_argument("--user", help="Tên đăng nhập người ký (personal); mặc định lãnh đạo đã có chứng thư.")
        sign.add_argument("--title", default="", help="Dòng chức vụ trên văn bản (mặc định theo chứng thư).")
        sign.add_argument("--name", default="", help="Họ tên người ký như trên văn bản (mặc định theo chứng thư).")
        sign.add_argument("--box", type=_box, help="Vị trí ảnh chữ ký: TRANG,X0,Y0,X1,Y1 (điểm), thay cho dò chữ.")
        sign.add_argument("--level", choices=services.LEVELS, default=services.DEFAULT_LEVEL, help="Mức PAdES.")
        sign.add_argument("--time", help="Thời điểm ký ISO 8601 (mặc định: bây giờ, giờ Việt Nam).")
        verify = actions.add_parser("verify", help="Kiểm tra chữ ký số của một tệp PDF; in kết quả JSON.")
        verify.add_argument("file", help="Tệp PDF cần kiểm tra.")
        verify.add_argument("--trusted-root", action="append", default=None,
                            help="Chứng thư gốc tin cậy (PEM/DER), có thể lặp lại; mặc định theo cấu hình.")

    def handle(self, *args, **opts):
        if opts["action"] == "sign":
            self._sign(opts)
        else:
            code = self._verify(opts)
            if code != VALID:
                sys.exit(code)

    # -----------------------------------------------------------------------------------------------------------
    def _identity(self, agency: Agency, kind: str, username: str | None) -> SigningIdentity:
        identities = SigningIdentity.objects.filter(agency=agency, is_active=True)
        if kind == "personal":
            identities = identities.filter(kind=SigningIdentity.Kind.PERSONAL)
            if username:
                identities = identities.filter(user__username=username)
        else:
            identities = identities.filter(kind=SigningIdentity.Kind.AGENCY)
        identity = identities.order_by("full_name").first()
        if identity is None:
            who = f"người dùng {username}" if username else ("lãnh đạo" if kind == "personal" else "cơ quan")
            raise CommandError(f"{agency.name}: chưa có chứng thư số của {who}; chạy “tinhso signing setup "
                               f"--agency {agency.code}” (PKI minh họa) hoặc đăng ký thiết bị ký số.")
        return identity

    def _sign(self, opts) -> None:
        try:
            if opts["agency"]:
                agency = Agency.objects.filter(code=opts["agency"]).first()
                if agency is None:
                    raise CommandError(f"Không có cơ quan mã {opts['agency']}.")
            else:
                agency = default_agency()
            when = None
            if opts["time"]:
                try:
                    when = datetime.fromisoformat(opts["time"])
                except ValueError as exc:
                    raise CommandError(f"Thời điểm “{opts['time']}” không đúng ISO 8601.") from exc
                if when.tzinfo is None:
                    when = when.replace(tzinfo=TZ)
            identity = self._identity(agency, opts["kind"], opts["user"])
            try:
                data = Path(opts["input"]).read_bytes()
            except OSError as exc:
                raise CommandError(f"Không đọc được tệp {opts['input']}: {exc.strerror}.") from exc
            title, name = opts["title"], opts["name"]
            if opts["kind"] == "agency" and not (title and name):
                # The seal goes over the signer's image; when the signer has not signed yet, find their lines.
                leader = SigningIdentity.objects.filter(agency=agency, kind=SigningIdentity.Kind.PERSONAL,
                                                        is_active=True).order_by("full_name").first()
                if leader is not None:
                    title, name = title or leader.title, name or leader.full_name
            signed = services.sign_pdf(
                data, signer=for_identity(identity), kind=opts["kind"], title=title, name=name,
                notation=opts["notation"], signing_time=when, box=opts["box"], level=opts["level"],
            )
        except DomainError as exc:
            hint = ""
            if exc.code in ("signature_position_missing", "signature_position_not_found"):
                hint = " Dùng --title và --name (như trên văn bản) hoặc --box."
            raise CommandError(f"{exc.message}{hint} [{exc.code}]") from exc
        Path(opts["output"]).write_bytes(signed)
        self.stdout.write(f"Đã ký ({opts['kind']}, PAdES {opts['level']}) bằng chứng thư của {identity.full_name}: "
                          f"{opts['output']}")

    def _verify(self, opts) -> int:
        try:
            data = Path(opts["file"]).read_bytes()
        except OSError as exc:
            payload = {"valid": False, "error": "file_unreadable",
                       "message": f"Không đọc được tệp {opts['file']}: {exc.strerror}.", "signatures": []}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return UNREADABLE
        try:
            result = services.verify_pdf(data, trusted_roots=opts["trusted_root"])
        except DomainError as exc:  # e.g. an unreadable trust anchor given on the command line
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        except OSError as exc:
            raise CommandError(f"Không đọc được chứng thư gốc: {exc}.") from exc
        self.stdout.write(result.to_json(indent=2))
        if result.valid:
            return VALID
        return UNREADABLE if result.error in ("pdf_invalid", "pdf_encrypted") else NOT_VALID
