"""``tinhso signing setup``, ``tinhso pdf sign`` and ``tinhso pdf verify`` (JSON, exit codes 0/1/2)."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tinhso.core.models import Agency, Membership, Role, User
from tinhso.signing.models import SigningIdentity
from tinhso.signing.sample import SAMPLE_NAME, sample_document_pdf


@pytest.fixture
def province(db):
    agency = Agency.objects.create(code="000.00.00.H99", name="Ủy ban nhân dân tỉnh Thử Nghiệm", short_name="UBND",
                                   kind=Agency.Kind.PROVINCIAL_COMMITTEE)
    leader = User.objects.create(username="chutich.thunghiem", full_name=SAMPLE_NAME)
    Membership.objects.create(user=leader, agency=agency, role=Role.AGENCY_LEADER, title="Chủ tịch")
    return agency


def _setup(*args) -> dict:
    out = StringIO()
    call_command("signing", "setup", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_setup_is_idempotent(signing, province):
    first = _setup()
    assert [i["kind"] for i in first["identities"]] == ["agency", "personal"]
    assert first["identities"][1]["title"] == "CHỦ TỊCH"
    assert Path(first["root_ca"]).exists() and first["token_label"] == "tinhso-test"
    again = _setup("--agency", province.code)
    assert again["created"] == []
    assert [i["serial"] for i in again["identities"]] == [i["serial"] for i in first["identities"]]
    assert SigningIdentity.objects.filter(agency=province, is_active=True).count() == 2
    out = StringIO()
    call_command("signing", "setup", stdout=out)
    assert "CA gốc minh họa" in out.getvalue() and "Con dấu cơ quan" in out.getvalue()


def test_sign_and_verify_commands(signing, province, sample_pdf, tmp_path):
    _setup()
    source, personal, both = tmp_path / "in.pdf", tmp_path / "p.pdf", tmp_path / "pa.pdf"
    source.write_bytes(sample_pdf)
    call_command("pdf", "sign", str(source), str(personal), "--kind", "personal", stdout=StringIO())
    call_command("pdf", "sign", str(personal), str(both), stdout=StringIO())  # default: the root agency's seal
    out = StringIO()
    call_command("pdf", "verify", str(both), stdout=out)
    report = json.loads(out.getvalue())
    assert report["valid"] is True and report["error"] is None
    assert [s["signer_name"] for s in report["signatures"]] == [SAMPLE_NAME, province.name]
    assert all(s["pades_level"] == "B-LT" and s["signing_time"].endswith("+07:00") for s in report["signatures"])

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(both.read_bytes())
    data[10] ^= 1
    tampered.write_bytes(bytes(data))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("pdf", "verify", str(tampered), stdout=out)
    assert exit_.value.code == 1 and json.loads(out.getvalue())["valid"] is False

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("pdf", "verify", str(junk), stdout=out)
    assert exit_.value.code == 2 and json.loads(out.getvalue())["error"] == "pdf_invalid"

    attachment = tmp_path / "att.pdf"
    call_command("pdf", "sign", str(source), str(attachment), "--kind", "attachment", "--notation", "135/KH-UBND",
                 "--time", "2026-05-12T09:30:15", stdout=StringIO())
    out = StringIO()
    call_command("pdf", "verify", str(attachment), stdout=out)
    assert json.loads(out.getvalue())["signatures"][0]["claimed_time"] == "2026-05-12T09:30:15+07:00"


def test_sign_command_errors(signing, province, tmp_path):
    with pytest.raises(CommandError, match="chưa có chứng thư số"):
        call_command("pdf", "sign", str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf"))
    _setup()
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("pdf", "sign", str(tmp_path / "missing.pdf"), str(tmp_path / "b.pdf"))
    with pytest.raises(CommandError, match="Không có cơ quan mã"):
        call_command("pdf", "sign", "a.pdf", "b.pdf", "--agency", "000.00.00.X00")


def test_verify_in_a_real_process(signing, tmp_path):
    """The console command: JSON on stdout and the exit status 0 / 1 / 2."""
    signed = tmp_path / "signed.pdf"
    from tinhso.signing import services

    signed.write_bytes(services.sign_pdf(sample_document_pdf(), signer=signing.agency, kind="attachment",
                                         notation="01/TB-UBND"))
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(sample_document_pdf())
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tinhso.settings.test", TINHSO_VAR_DIR=str(tmp_path / "var"))
    tinhso = Path(sys.executable).parent / "tinhso"
    codes = {}
    for name, path in (("signed", signed), ("unsigned", unsigned), ("missing", tmp_path / "nope.pdf")):
        run = subprocess.run([str(tinhso), "pdf", "verify", str(path), "--trusted-root", str(signing.root_pem)],
                             env=env, capture_output=True, text=True, timeout=120)
        codes[name] = (run.returncode, json.loads(run.stdout)["error"])
    assert codes == {"signed": (0, None), "unsigned": (1, "no_signature"), "missing": (2, "file_unreadable")}


def test_register_a_key_already_on_the_token(signing, province, sample_pdf, tmp_path):
    """The way a real token is plugged in: the key and certificate are on it already; the platform records them."""
    from tinhso.signing import pki

    pki.ensure_token_identity(signing.conf, pki.DemoCA(signing.conf), "so-tu-phap-2026",
                              pki.subject_name(province.name, province.name))
    out = StringIO()
    call_command("signing", "register", "--agency", province.code, "--key-label", "so-tu-phap-2026", stdout=out)
    assert "Đã đăng ký" in out.getvalue()
    identity = SigningIdentity.objects.get(key_label="so-tu-phap-2026")
    assert identity.kind == "agency" and identity.full_name == province.name and identity.image
    source, signed = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(sample_pdf)
    call_command("pdf", "sign", str(source), str(signed), "--kind", "attachment", "--notation", "02/TB-UBND",
                 stdout=StringIO())
    out = StringIO()
    call_command("pdf", "verify", str(signed), stdout=out)
    assert json.loads(out.getvalue())["valid"] is True
    with pytest.raises(CommandError, match="không có khóa"):
        call_command("signing", "register", "--agency", province.code, "--key-label", "khong-co")
