"""``tinhso expire_payments``: close the payment orders whose validity has passed (run every few minutes by cron, or
never: a new order of the same dossier closes the old one anyway). A late notification of a payment made within the
validity is still honoured."""

from django.core.management.base import BaseCommand

from tinhso.payments import services


class Command(BaseCommand):
    help = "Đóng các đơn hàng thanh toán đã quá thời hạn."

    def handle(self, *args, **options):
        count = services.expire_stale()
        self.stdout.write(f"Đã đóng {count} đơn hàng quá hạn thanh toán.")
