"""Signing configuration: ``settings.TINHSO["SIGNING"]``, read on every call (tests and benchmarks override it).

Keys (all optional):

``DIR``
    Private folder for the demo PKI, the SoftHSM2 token store and the generated images. Default ``VAR_DIR/signing``.
``PKCS11_MODULE``
    The PKCS#11 module of the token. Default Debian's SoftHSM2, ``/usr/lib/softhsm/libsofthsm2.so``.
``SOFTHSM2_CONF``
    SoftHSM2 configuration file (only when the module is SoftHSM2). Default ``DIR/softhsm2.conf``, whose token
    directory is ``DIR/tokens``; ``tinhso signing setup`` writes both.
``TOKEN_LABEL``
    Label of the token holding the keys. Default ``tinhso``.
``PIN_ENV``
    Environment variable holding the user PIN. Default ``TINHSO_TOKEN_PIN``.
``DEMO``
    ``True`` (default): the installation uses the demo PKI, and the demo PIN applies when the environment has none.
    ``False``: a real token; the PIN must come from the environment and ``signing setup`` creates nothing.
``TRUSTED_ROOTS``
    Extra trust anchors for verification (paths of PEM or DER certificates), e.g. the national root CA.
``CA_CHAIN``
    With a real token: the issuing CA certificates of the signing certificates (paths), embedded in signatures.
``TSA_URL``
    With a real token: the RFC 3161 time-stamping service (B-T and above). The demo uses its own demo TSA.
``DEFAULT_AGENCY``
    Code of the agency that signs when none is given. Default: the root of the agency tree.
``CRL_URL``
    Base URL written in the certificates' CRL distribution points. Default ``http://localhost:8000/ky-so/crl/``.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tinhso.core.errors import DomainError

SOFTHSM2_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
#: Development-only PIN of the demo token, used when ``DEMO`` is on and the environment sets none.
DEMO_PIN = "246810"


@dataclass(frozen=True)
class SigningSettings:
    dir: Path
    pkcs11_module: str
    softhsm2_conf: Path
    token_label: str
    pin_env: str
    demo: bool
    trusted_roots: tuple[Path, ...] = field(default_factory=tuple)
    ca_chain: tuple[Path, ...] = field(default_factory=tuple)
    tsa_url: str = ""
    default_agency: str | None = None
    crl_url: str = "http://localhost:8000/ky-so/crl/"

    @property
    def is_softhsm(self) -> bool:
        return "softhsm" in os.path.basename(self.pkcs11_module).lower()

    @property
    def tokendir(self) -> Path:
        return self.dir / "tokens"

    @property
    def pki_dir(self) -> Path:
        return self.dir / "pki"

    @property
    def images_dir(self) -> Path:
        return self.dir / "images"

    def user_pin(self) -> str:
        pin = os.environ.get(self.pin_env, "")
        if pin:
            return pin
        if self.demo:
            return DEMO_PIN
        raise DomainError(
            "token_pin_missing",
            f"Chưa có mã PIN của thiết bị ký số: đặt biến môi trường {self.pin_env}.",
        )


def get_settings() -> SigningSettings:
    raw = dict(getattr(settings, "TINHSO", {}).get("SIGNING", {}) or {})
    base = Path(raw.get("DIR") or Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "signing")
    return SigningSettings(
        dir=base,
        pkcs11_module=raw.get("PKCS11_MODULE") or SOFTHSM2_MODULE,
        softhsm2_conf=Path(raw.get("SOFTHSM2_CONF") or base / "softhsm2.conf"),
        token_label=raw.get("TOKEN_LABEL") or "tinhso",
        pin_env=raw.get("PIN_ENV") or "TINHSO_TOKEN_PIN",
        demo=bool(raw.get("DEMO", True)),
        trusted_roots=tuple(Path(p) for p in raw.get("TRUSTED_ROOTS", ())),
        ca_chain=tuple(Path(p) for p in raw.get("CA_CHAIN", ())),
        tsa_url=raw.get("TSA_URL") or "",
        default_agency=raw.get("DEFAULT_AGENCY") or None,
        crl_url=raw.get("CRL_URL") or "http://localhost:8000/ky-so/crl/",
    )
