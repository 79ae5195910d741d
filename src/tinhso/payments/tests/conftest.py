"""Fixtures of the payment tests: the demo province, a submitted online dossier whose procedure has a fee, and the
sandbox protocol driven from the tests (the tests carry the provider's server-to-server notification themselves,
with the parameters the sandbox gateway signed: the real protocol, another transport)."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tinhso.core.models import Agency, Membership, User
from tinhso.onestop import services as onestop
from tinhso.payments import services
from tinhso.payments.providers import sandbox

PASSWORD = "tinhso-demo-2026"
#: Đăng ký thành lập công ty TNHH một thành viên: online (toàn trình) at the provincial centre, fee 100.000 đồng
#: ("Phí công bố nội dung đăng ký doanh nghiệp: 100.000 đồng/lần").
PROCEDURE = "2.001583"
FEE = 100_000
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")
IPN_URL = "/api/payments/ipn/sandbox"
RETURN_URL = "http://testserver/thanh-toan/ket-qua/sandbox/"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The gateway's own HTTP notification is switched off here: the tests deliver it through the test client.
    settings.TINHSO = {**settings.TINHSO, "PAYMENT": {**settings.TINHSO["PAYMENT"], "SANDBOX_SEND_IPN": False,
                                                      "SANDBOX_ENABLED": True, "PROVIDER": "sandbox"}}


@pytest.fixture
def demo(db):
    call_command("demo")


@pytest.fixture
def people(demo):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def centre(demo):
    return Agency.objects.get(code="000.00.20.H37")


def upload(name="giay-to.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def submitted(applicant, centre, code=PROCEDURE):
    dossier = onestop.create_dossier(applicant, procedure_code=code, channel_kind="online", receiving_agency=centre)
    for item in dossier.items.filter(mandatory=True):
        onestop.add_attachment(applicant, dossier, upload(), item=item)
    return onestop.submit(applicant, dossier)


@pytest.fixture
def dossier(people, centre):
    return submitted(people["congdan"], centre)


def login(client, user):
    client.logout()
    client.force_login(user)
    return client


def start(user, dossier, purpose="fee", **kwargs):
    return services.start_payment(user, dossier, purpose=purpose, return_url=RETURN_URL, client_ip="127.0.0.1",
                                  **kwargs)


def gateway_request(url: str) -> sandbox.PayRequest:
    """What the sandbox gateway reads from the pay URL the platform redirected to (signature checked)."""
    return sandbox.Gateway().check(dict(parse_qsl(urlsplit(url).query)))


def gateway_pays(url: str, action="pay", **kwargs):
    """The citizen pays (or cancels) at the sandbox gateway: the gateway's ledger line with its signed callback."""
    return sandbox.Gateway().complete(gateway_request(url), action=action, bank_code="TSBANK", **kwargs)


def resign(params: dict, **changes) -> dict:
    """A callback changed and signed again with the merchant's secret (what only the real gateway could do)."""
    data = {k: v for k, v in params.items() if k != sandbox.HASH_FIELD}
    data.update(changes)
    return sandbox.signed(data, sandbox.config()["SECRET"])


def ipn(client, params: dict):
    return client.post(IPN_URL, params)


def step_actor(dossier):
    """Someone who may act on the dossier's current step (its role at its agency)."""
    step = dossier.current_step
    membership = Membership.objects.filter(role=step.role, agency=step.agency, is_active=True).select_related(
        "user").first()
    assert membership is not None, f"no {step.role} at {step.agency}"
    return membership.user


def return_url(txn) -> str:
    """The platform's return URL with the gateway's signed parameters (where the browser comes back to)."""
    return reverse("payments:return", args=["sandbox"]) + "?" + sandbox.Gateway().return_url(txn).split("?", 1)[1]
