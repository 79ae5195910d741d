"""``tinhso signing setup [--agency CODE …]``: demo CA, SoftHSM2 token, keys on it, certificates, images."""

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.errors import DomainError
from tinhso.signing.setup import register_token_identity, setup_demo


class Command(BaseCommand):
    help = "Chuẩn bị ký số: PKI minh họa, thiết bị ký số SoftHSM2, khóa và chứng thư số (chạy lại không sao)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{setup,register}")
        setup = actions.add_parser("setup", help="Tạo PKI minh họa, thiết bị ký số, khóa và chứng thư (idempotent).")
        setup.add_argument("--agency", action="append", default=None,
                           help="Mã định danh cơ quan (lặp lại được); mặc định cơ quan gốc của hệ thống.")
        setup.add_argument("--json", action="store_true", help="In kết quả dạng JSON.")
        register = actions.add_parser("register", help="Đăng ký một khóa đã có trên thiết bị ký số (thật).")
        register.add_argument("--agency", required=True, help="Mã định danh cơ quan.")
        register.add_argument("--key-label", required=True,
                              help="Nhãn (CKA_LABEL) của khóa và chứng thư trên thiết bị.")
        register.add_argument("--token-label", default="", help="Nhãn thiết bị; mặc định TOKEN_LABEL của cấu hình.")
        register.add_argument("--kind", choices=["agency", "personal"], default="agency")
        register.add_argument("--user", default="", help="Tên đăng nhập người ký (với --kind personal).")
        register.add_argument("--title", default="", help="Chức vụ như trên văn bản, ví dụ “Chủ tịch”.")
        register.add_argument("--image", default="", help="Ảnh con dấu/chữ ký thật (PNG nền trong suốt).")

    def handle(self, *args, **opts):
        if opts["action"] == "register":
            try:
                identity = register_token_identity(
                    agency_code=opts["agency"], key_label=opts["key_label"], kind=opts["kind"],
                    username=opts["user"], title=opts["title"], image=opts["image"], token_label=opts["token_label"],
                )
            except DomainError as exc:
                raise CommandError(f"{exc.message} [{exc.code}]") from exc
            self.stdout.write(f"Đã đăng ký {identity}: khóa “{identity.key_label}”, số hiệu {identity.serial_hex}, "
                              f"hết hạn {identity.not_after:%d/%m/%Y}.")
            return
        try:
            report = setup_demo(opts["agency"])
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(asdict(report), ensure_ascii=False, indent=2))
            return
        out = self.stdout
        out.write("Ký số — PKI minh họa (không có giá trị pháp lý) và thiết bị ký số SoftHSM2")
        out.write(f"  Thư mục riêng:       {report.dir}")
        out.write(f"  Mô-đun PKCS#11:      {report.pkcs11_module}")
        out.write(f"  SOFTHSM2_CONF:       {report.softhsm2_conf}")
        out.write(f"  Nhãn thiết bị:       {report.token_label}")
        out.write(f"  CA gốc minh họa:     {report.root_ca}")
        out.write(f"  CA cấp chứng thư:    {report.issuing_ca}")
        out.write(f"  TSA minh họa:        {report.tsa}")
        out.write("  Mới tạo:             " + (", ".join(report.created) if report.created else "không (đã có sẵn)"))
        for ident in report.identities:
            kind = "Con dấu cơ quan" if ident["kind"] == "agency" else "Chữ ký cá nhân"
            title = f" — {ident['title']}" if ident["title"] else ""
            out.write(f"  {kind}: {ident['name']}{title} [{ident['agency']}] khóa “{ident['key_label']}”, "
                      f"số hiệu {ident['serial']}, hết hạn {ident['not_after']}")
