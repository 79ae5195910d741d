"""``tinhso demo``: load the demo province into the configured database (idempotent). ``--accounts`` lists logins."""

from django.core.management.base import BaseCommand

from tinhso.core.models import Agency, User
from tinhso.demo.loader import ACCOUNTS, demo_password, load_demo


class Command(BaseCommand):
    help = "Nạp tỉnh minh họa (Lạng Sơn): đơn vị hành chính, cơ quan, tài khoản, thủ tục. Chạy lại không thay đổi gì."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", action="store_true", help="Chỉ in danh sách tài khoản minh họa.")

    def handle(self, *args, accounts: bool, **opts):
        if accounts:
            self.print_accounts()
            return
        summary = load_demo()
        changed = {k: v for k, v in summary.counts.items() if v and not k.endswith("_unchanged")}
        if changed:
            self.stdout.write("Đã nạp tỉnh minh họa Lạng Sơn: " + ", ".join(f"{k}={v}" for k, v in changed.items()))
        else:
            self.stdout.write("Tỉnh minh họa Lạng Sơn đã có sẵn; không có gì thay đổi.")

    def print_accounts(self):
        self.stdout.write(f"Tài khoản minh họa (mật khẩu: {demo_password()}):")
        names = dict(Agency.objects.values_list("code", "name"))
        for a in ACCOUNTS:
            who = a.title or User.Kind(a.kind).label
            where = f" — {names.get(a.agency, a.agency)}" if a.agency else ""
            self.stdout.write(f"  {a.username:<18} {a.full_name} ({who}){where}")
        self.stdout.write("Cổng dịch vụ công: http://127.0.0.1:8000/   Quản trị: http://127.0.0.1:8000/quan-tri/")
