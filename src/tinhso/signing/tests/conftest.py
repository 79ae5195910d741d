"""A real PKCS#11 token for the signing tests: SoftHSM2 in a temporary token directory, keys generated on it.

Without SoftHSM2 the tests are skipped with the reason; with ``TINHSO_REQUIRE_SIGNING=1`` (CI) they fail instead.
The module is loaded once per process (SoftHSM2 reads ``SOFTHSM2_CONF`` then), so the token lives for the session.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tinhso.signing import pki
from tinhso.signing.conf import SigningSettings, get_settings
from tinhso.signing.sample import SAMPLE_NAME, sample_document_pdf
from tinhso.signing.setup import ensure_demo_identity
from tinhso.signing.signers import TokenSigner

AGENCY_NAME = "Ủy ban nhân dân tỉnh Lạng Sơn"


def _unavailable(reason: str):
    if os.environ.get("TINHSO_REQUIRE_SIGNING") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class SigningEnv:
    conf: SigningSettings
    person: TokenSigner
    agency: TokenSigner
    root_pem: Path


@pytest.fixture(scope="session")
def signing_env(tmp_path_factory) -> SigningEnv:
    base = tmp_path_factory.mktemp("signing")
    previous = settings.TINHSO.get("SIGNING")
    settings.TINHSO["SIGNING"] = {"DIR": str(base), "TOKEN_LABEL": "tinhso-test"}
    try:
        conf = get_settings()
        missing = pki.softhsm_missing(conf)
        if missing:
            _unavailable(missing)
        pki.DemoCA(conf).create()
        pki.init_softhsm_token(conf)
        person = ensure_demo_identity(conf, label="test-person", common_name=SAMPLE_NAME, organisation=AGENCY_NAME,
                                      title="CHỦ TỊCH")
        agency = ensure_demo_identity(conf, label="test-agency", common_name=AGENCY_NAME, organisation=AGENCY_NAME,
                                      image="seal")
        yield SigningEnv(conf, person, agency, pki.DemoCA(conf).root_cert_path)
    finally:
        if previous is None:
            settings.TINHSO.pop("SIGNING", None)
        else:
            settings.TINHSO["SIGNING"] = previous


@pytest.fixture
def signing(signing_env) -> SigningEnv:
    """The session's token and identities, with its signing settings in force for this test."""
    current = settings.TINHSO.get("SIGNING")
    settings.TINHSO["SIGNING"] = {"DIR": str(signing_env.conf.dir), "TOKEN_LABEL": signing_env.conf.token_label}
    yield signing_env
    if current is None:
        settings.TINHSO.pop("SIGNING", None)
    else:
        settings.TINHSO["SIGNING"] = current


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    try:
        return sample_document_pdf()
    except OSError as exc:  # WeasyPrint without pango
        _unavailable(f"WeasyPrint cannot render here: {exc}")


@pytest.fixture(scope="session")
def nss_db(signing_env, tmp_path_factory) -> str:
    """An NSS database trusting the demo root, for poppler's pdfsig (-nssdir)."""
    if not shutil.which("certutil"):
        _unavailable("certutil not found (Debian package libnss3-tools)")
    db = tmp_path_factory.mktemp("nssdb")
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "Tinh So Demo Root CA", "-t", "C,C,C",
                    "-i", str(signing_env.root_pem)], check=True, capture_output=True)
    return f"sql:{db}"


@pytest.fixture(scope="session")
def pdfsig():
    path = shutil.which("pdfsig")
    if not path:
        _unavailable("pdfsig not found (Debian package poppler-utils)")
    return path
