"""The same notification delivered several times at once (a provider retrying while the first delivery is still
being processed): one confirms, the others answer "already confirmed"; the dossier is paid once.

Runs on both databases; on PostgreSQL the row lock on the payment (SELECT … FOR UPDATE) is what is being tested.
"""


import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, AuditEvent, User
from tinhso.core.testing import run_parallel
from tinhso.onestop.models import Dossier, DossierEvent
from tinhso.payments import services
from tinhso.payments.models import Payment, PaymentCallback, PaymentState

from .conftest import gateway_pays, start, submitted

pytestmark = pytest.mark.django_db(transaction=True)




def test_parallel_duplicate_notifications_confirm_once():
    call_command("demo")
    citizen = User.objects.get(username="congdan")
    dossier = submitted(citizen, Agency.objects.get(code="000.00.20.H37"))
    callback = gateway_pays(start(citizen, dossier).url).callback
    results = run_parallel([lambda: services.handle_callback("sandbox", callback).code for _ in range(4)])
    assert sorted(results) == ["already_confirmed"] * 3 + ["confirmed"], results
    assert Payment.objects.get().state == PaymentState.PAID
    assert DossierEvent.objects.filter(dossier=dossier, action="paid_online").count() == 1
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1
    assert PaymentCallback.objects.filter(outcome="accepted").count() == 1
    assert Dossier.objects.get(pk=dossier.pk).payment_state == "paid"
