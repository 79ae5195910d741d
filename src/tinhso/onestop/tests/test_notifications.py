"""Notifications sent to a real SMTP server (aiosmtpd on 127.0.0.1) while dossiers go through the services."""

import email
import email.policy
import socket
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from tinhso.onestop import notifications, services
from tinhso.onestop.models import NotificationTemplate, OutboundMessage

from .conftest import pdf
from .test_lifecycle import online_dossier

APPLICANT = "congdan@example.vn"
SPECIALIST = "congchuc.lvt@demo.langson.gov.vn"
LEADER = "chutich.lvt@demo.langson.gov.vn"


class Inbox:
    """The aiosmtpd handler: keeps every message it accepts, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def subjects(self, address: str) -> list[str]:
        return [subject(m) for m in self.to(address)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "Một cửa điện tử <khong-tra-loi@langson.gov.vn>"
    settings.TINHSO = {**settings.TINHSO, "SITE_URL": "https://dichvucong.langson.gov.vn/"}
    return settings


@pytest.fixture
def smtp(mail_settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mail_settings.EMAIL_PORT = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Service calls queue notifications with transaction.on_commit; run them as a commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def subject(message) -> str:
    """The decoded subject. Django folds a long encoded subject onto a continuation line; unfolding leaves a space."""
    return str(message["Subject"]).strip()


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def local(moment) -> str:
    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")


def sms_for(dossier, kind) -> OutboundMessage:
    return OutboundMessage.objects.get(dossier=dossier, kind=kind, channel=OutboundMessage.Channel.SMS)


# --- the applicant ------------------------------------------------------------------------------------------------

def test_applicant_is_told_of_submission_acceptance_and_supplement(people, desk, smtp, run_on_commit):
    dossier = run_on_commit(online_dossier, people, desk)
    dossier = run_on_commit(services.accept, people["tiepnhan.lvt"], dossier)
    run_on_commit(services.request_supplement, people["congchuc.lvt"], dossier,
                  ["Bản sao giấy chứng sinh bị mờ, không đọc được", "Tờ khai thiếu chữ ký của người đi khai"],
                  "Giấy tờ chưa hợp lệ")

    code = dossier.code
    subjects = smtp.subjects(APPLICANT)
    assert len(subjects) == 3
    assert subjects[0].startswith("Đã nhận hồ sơ trực tuyến: ")
    assert subjects[1] == f"Hồ sơ {code} đã được tiếp nhận"
    assert subjects[2] == f"Yêu cầu bổ sung hồ sơ {code}"
    applicant_envelopes = [env for env in smtp.envelopes if APPLICANT in env[1]]
    assert applicant_envelopes and all(env == ("khong-tra-loi@langson.gov.vn", [APPLICANT])
                                       for env in applicant_envelopes)
    # Acceptance also tells the staff of the first processing step that a dossier is waiting
    assert any(env[1] != [APPLICANT] for env in smtp.envelopes)

    accepted, supplement = smtp.to(APPLICANT)[1:]
    text = body(accepted)
    assert text.startswith("Kính gửi Hoàng Văn Minh,")
    assert f"Mã hồ sơ: {code}" in text
    assert f"Ngày hẹn trả kết quả: {local(dossier.due_at)}" in text
    assert notifications.lookup_url(dossier) in text
    assert notifications.lookup_url(dossier).startswith("https://dichvucong.langson.gov.vn/")
    assert notifications.lookup_url(dossier).endswith(f"?ma={code}&khoa={dossier.lookup_secret}")
    assert dossier.procedure_version.name in text
    assert accepted["Message-ID"] and accepted["Auto-Submitted"] == "auto-generated"

    text = body(supplement)
    request = dossier.supplement_requests.get()
    assert "1. Bản sao giấy chứng sinh bị mờ, không đọc được\n2. Tờ khai thiếu chữ ký của người đi khai" in text
    assert "Lý do: Giấy tờ chưa hợp lệ" in text
    assert f"Hạn bổ sung: trước {local(request.wait_until)}" in text

    sms = sms_for(dossier, "accepted")
    assert sms.state == OutboundMessage.State.SENT and sms.recipient == "0912345678"
    assert sms.provider_reference.startswith("sandbox-")
    assert sms.body.startswith(f"Hồ sơ {code} đã được tiếp nhận. Tra cứu: https://")
    sent = OutboundMessage.objects.filter(dossier=dossier, channel=OutboundMessage.Channel.EMAIL, recipient=APPLICANT)
    assert sorted(sent.values_list("kind", "state", "recipient")) == [
        ("accepted", "sent", APPLICANT), ("submitted", "sent", APPLICANT), ("supplement_requested", "sent", APPLICANT)]
    assert sent.get(kind="accepted").provider_reference == accepted["Message-ID"]


def test_staff_hear_of_their_steps_and_the_applicant_of_the_result(people, desk, smtp, run_on_commit):
    dossier = services.accept(people["tiepnhan.lvt"], online_dossier(people, desk))  # notifications not run
    specialist, leader = people["congchuc.lvt"], people["chutich.lvt"]
    dossier = run_on_commit(services.assign, specialist, dossier, specialist)
    dossier = run_on_commit(services.forward, specialist, dossier, note="Đủ điều kiện")
    services.attach_result(leader, dossier, pdf("trich-luc.pdf"))
    dossier = run_on_commit(services.decide, leader, dossier, "approved")
    dossier = run_on_commit(services.return_result, people["tiepnhan.lvt"], dossier)

    code = dossier.code
    assert smtp.subjects(SPECIALIST) == [f"Anh/Chị được giao xử lý hồ sơ {code}"]
    assert "Kính gửi Lương Văn Tùng," in body(smtp.to(SPECIALIST)[0])
    step = dossier.steps.get(order=3)
    assert smtp.subjects(LEADER) == [f"Hồ sơ {code} chờ xử lý: {step.name}"]
    assert f"Hạn xử lý bước này: {local(step.due_at)}" in body(smtp.to(LEADER)[0])
    assert smtp.subjects(APPLICANT) == [f"Hồ sơ {code} đã có kết quả giải quyết", f"Đã trả kết quả hồ sơ {code}"]
    done, returned = smtp.to(APPLICANT)
    assert "nhận bản điện tử của kết quả trên tài khoản" in body(done)
    assert f"đã được trả vào lúc {local(dossier.returned_at)}" in body(returned)
    assert OutboundMessage.objects.filter(dossier=dossier, kind="done", channel="sms", state="sent").exists()
    assert not OutboundMessage.objects.filter(dossier=dossier, kind="assigned", channel="sms").exists()


def test_overdue_goes_to_the_step_holders_and_the_agency_heads(people, desk, smtp):
    dossier = services.accept(people["tiepnhan.lvt"], online_dossier(people, desk))
    result = services.sweep_deadlines(now=dossier.due_at + timedelta(hours=1))  # enqueued at once, not on commit
    assert result.overdue == 1
    assert smtp.subjects(SPECIALIST) == [f"Hồ sơ {dossier.code} đã quá hạn giải quyết"]
    assert smtp.subjects(LEADER) == [f"Hồ sơ {dossier.code} đã quá hạn giải quyết"]
    assert smtp.to(APPLICANT) == []
    assert f"({local(dossier.due_at)})" in body(smtp.to(LEADER)[0])
    services.sweep_deadlines(now=dossier.due_at + timedelta(hours=2))  # the next run: no second reminder yet
    assert len(smtp.messages) == 2


# --- templates ----------------------------------------------------------------------------------------------------

def test_an_edited_template_replaces_the_default(people, desk, smtp, run_on_commit):
    NotificationTemplate.objects.create(
        kind="accepted", subject="[Sở Tư pháp] Tiếp nhận hồ sơ {{ dossier.code }}",
        body="Kính gửi {{ recipient_name }},\nhẹn trả ngày {{ dossier.due_at|date:'d/m/Y H:i' }}.\n{{ lookup_url }}",
        sms="Hồ sơ {{ dossier.code }} đã tiếp nhận, hẹn trả {{ dossier.due_at|date:'d/m/Y' }}.",
    )
    NotificationTemplate.objects.create(kind="submitted", subject="Không dùng", body="Không dùng", is_active=False)
    NotificationTemplate.objects.create(kind="supplement_requested", subject="{% if %}", body="{{ dossier.code ")
    dossier = run_on_commit(online_dossier, people, desk)
    dossier = run_on_commit(services.accept, people["tiepnhan.lvt"], dossier)
    run_on_commit(services.request_supplement, people["congchuc.lvt"], dossier, ["Thiếu bản sao"])

    code = dossier.code
    submitted, accepted, supplement = smtp.to(APPLICANT)
    assert subject(submitted).startswith("Đã nhận hồ sơ trực tuyến")  # the inactive row is ignored
    assert subject(accepted) == f"[Sở Tư pháp] Tiếp nhận hồ sơ {code}"
    assert body(accepted) == (f"Kính gửi Hoàng Văn Minh,\nhẹn trả ngày {local(dossier.due_at)}.\n"
                              f"{notifications.lookup_url(dossier)}\n")
    assert sms_for(dossier, "accepted").body == f"Hồ sơ {code} đã tiếp nhận, hẹn trả {local(dossier.due_at)[:10]}."
    assert subject(supplement) == f"Yêu cầu bổ sung hồ sơ {code}"  # a broken row falls back to the default


def test_every_kind_has_a_default_text(people, desk, mail_settings):
    dossier = services.accept(people["tiepnhan.lvt"], online_dossier(people, desk))
    services.request_supplement(people["congchuc.lvt"], dossier, ["Bản chụp căn cước"])
    dossier.refresh_from_db()
    extra = {"reason": "Hồ sơ chưa đủ điều kiện", "amount": 1500000, "user_id": people["congchuc.lvt"].pk}
    for kind in sorted(notifications.KINDS):
        message = notifications.render(kind, notifications.build_context(dossier, extra))
        text = f"{message.subject}\n{message.body}\n{message.sms}"
        assert message.subject and message.body.startswith("Kính gửi "), kind
        assert "None" not in text and "{{" not in text and "{%" not in text, kind
        if kind not in ("submitted", "refused"):  # both happen before the dossier has a code
            assert dossier.code in message.subject, kind
    payment = notifications.render("payment_requested", notifications.build_context(dossier, extra))
    assert "1.500.000 đồng" in payment.body


# --- failures -----------------------------------------------------------------------------------------------------

def test_a_failing_smtp_server_is_recorded_and_nothing_raises(people, desk, mail_settings, run_on_commit):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        mail_settings.EMAIL_PORT = sock.getsockname()[1]
    dossier = run_on_commit(services.accept, people["tiepnhan.lvt"], online_dossier(people, desk))
    assert dossier.code

    failed = OutboundMessage.objects.get(dossier=dossier, kind="accepted", channel=OutboundMessage.Channel.EMAIL)
    assert failed.state == OutboundMessage.State.FAILED and failed.recipient == APPLICANT
    assert "Connection" in failed.error or "refused" in failed.error.lower()
    assert failed.subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"
    assert sms_for(dossier, "accepted").state == OutboundMessage.State.SENT  # the SMS still went out


class UnreachableSmsProvider:
    """An SMS gateway that cannot be reached."""

    def send(self, phone: str, text: str) -> str:
        raise ConnectionError("Cổng SMS không phản hồi")


def test_sms_failures_and_missing_addresses_are_recorded(people, desk, smtp, mail_settings, run_on_commit):
    mail_settings.TINHSO = {**mail_settings.TINHSO,
                            "SMS_PROVIDER": "tinhso.onestop.tests.test_notifications.UnreachableSmsProvider"}
    dossier = run_on_commit(services.accept, people["tiepnhan.lvt"], online_dossier(people, desk))
    sms = sms_for(dossier, "accepted")
    assert sms.state == OutboundMessage.State.FAILED and "Cổng SMS không phản hồi" in sms.error
    assert smtp.subjects(APPLICANT) == [f"Hồ sơ {dossier.code} đã được tiếp nhận"]  # the e-mail did not wait on it

    type(dossier).objects.filter(pk=dossier.pk).update(applicant_email="", applicant_phone="")
    notifications.send_dossier_notification(dossier.pk, "apology", {"reason": "Cần xác minh thêm"})
    skipped = OutboundMessage.objects.filter(dossier=dossier, kind="apology")
    assert sorted(skipped.values_list("channel", "state")) == [("email", "skipped"), ("sms", "skipped")]
    assert all("Hoàng Văn Minh" in m.error for m in skipped)

    type(dossier).objects.filter(pk=dossier.pk).update(applicant_phone="09-xin-goi")
    notifications.send_dossier_notification(dossier.pk, "stopped", {"reason": "Quá hạn bổ sung"})
    assert sms_for(dossier, "stopped").state == OutboundMessage.State.FAILED


def test_unknown_dossier_or_kind_sends_nothing_and_does_not_raise(people, desk, smtp):
    dossier = online_dossier(people, desk)
    notifications.send_dossier_notification(999_999, "accepted", {})
    notifications.send_dossier_notification(dossier.pk, "no_such_kind", {})
    assert smtp.messages == [] and not OutboundMessage.objects.exists()


def test_the_sandbox_provider_is_the_default():
    provider = notifications.get_sms_provider()
    assert isinstance(provider, notifications.SandboxSmsProvider)
    assert isinstance(provider, notifications.SmsProvider)
    assert notifications.normalise_phone("0912 345.678") == "0912345678"
    assert notifications.normalise_phone("+84 (912) 345-678") == "+84912345678"
    assert notifications.normalise_phone("gọi tôi") == ""
