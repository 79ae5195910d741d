"""Who signs: a key on a PKCS#11 token (always, outside development), or a key file (development only).

A ``DocumentSigner`` gives ``services.sign_pdf`` a pyHanko signer, the image to draw (signature or seal) and the
lock to hold while the key is used.
"""

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image

from tinhso.core.errors import DomainError

from . import images, pki
from .conf import SigningSettings, get_settings


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass
class DocumentSigner:
    """Common part: the name shown, the image drawn (None for an invisible signature) and the certificate chain."""

    display_name: str
    image_path: Path | None = None
    title: str = ""
    chain: list[x509.Certificate] = field(default_factory=list)

    def pyhanko_signer(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def lock(self):
        return contextlib.nullcontext()

    def image(self) -> Image.Image | None:
        return images.load_png(self.image_path) if self.image_path else None


_PKCS11_SIGNERS: dict[tuple[str, str, str], object] = {}


@dataclass
class TokenSigner(DocumentSigner):
    """A key on the PKCS#11 token, found by its label; the certificate is read from the token (same label/CKA_ID)."""

    key_label: str = ""
    conf: SigningSettings | None = None

    def _conf(self) -> SigningSettings:
        return self.conf or get_settings()

    def lock(self) -> threading.RLock:
        return pki.token_lock()

    def pyhanko_signer(self):
        from pyhanko.sign.pkcs11 import PKCS11Signer

        conf = self._conf()
        key = (conf.pkcs11_module, conf.token_label, self.key_label)
        with pki.token_lock():
            signer = _PKCS11_SIGNERS.get(key)
            if signer is None:
                sess = pki.session(conf)
                cert = pki.find_certificate(sess, self.key_label)
                if cert is None or not pki.has_private_key(sess, self.key_label):
                    raise DomainError(
                        "key_not_found",
                        f"Không có khóa và chứng thư số nhãn “{self.key_label}” trên thiết bị ký số "
                        f"“{conf.token_label}”.",
                    )
                signer = PKCS11Signer(
                    sess, key_label=self.key_label, signing_cert=_asn1(cert),
                    ca_chain=[_asn1(c) for c in self.chain], embed_roots=True,
                )
                _PKCS11_SIGNERS[key] = signer
            return signer


def forget_token_signers() -> None:
    """Drop cached PKCS#11 signers (after keys or certificates on the token changed)."""
    with pki.token_lock():
        _PKCS11_SIGNERS.clear()


@dataclass
class DevelopmentKeyFileSigner(DocumentSigner):
    """DEVELOPMENT ONLY: a private key in a PEM file. Never for real documents: keys belong on a token."""

    key_path: Path | None = None
    cert_path: Path | None = None
    _signer: object = None

    def pyhanko_signer(self):
        from pyhanko.sign.signers import SimpleSigner

        if self._signer is None:
            key = serialization.load_pem_private_key(Path(self.key_path).read_bytes(), password=None)
            key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            cert = pki.load_certificate(Path(self.cert_path))
            self._signer = SimpleSigner(
                signing_cert=_asn1(cert), signing_key=key_info,
                cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in [cert, *self.chain]]),
            )
        return self._signer


def demo_chain(conf: SigningSettings | None = None) -> list[x509.Certificate]:
    ca = pki.DemoCA(conf or get_settings())
    if not ca.exists():
        return []
    return [pki.load_certificate(ca.issuing_cert_path), pki.load_certificate(ca.root_cert_path)]


def for_identity(identity, conf: SigningSettings | None = None) -> TokenSigner:
    """The token signer of a ``SigningIdentity``."""
    conf = conf or get_settings()
    if identity.token_label and identity.token_label != conf.token_label:
        from dataclasses import replace

        conf = replace(conf, token_label=identity.token_label)
    image_path = None
    if identity.image:
        image_path = Path(identity.image)
        if not image_path.is_absolute():
            image_path = conf.images_dir / image_path
    return TokenSigner(
        display_name=identity.full_name, image_path=image_path, title=identity.title,
        chain=demo_chain(conf) if conf.demo else [pki.load_certificate(p) for p in conf.ca_chain],
        key_label=identity.key_label, conf=conf,
    )
