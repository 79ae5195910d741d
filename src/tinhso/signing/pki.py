"""The demo PKI and the PKCS#11 token.

Demo PKI (created by ``tinhso signing setup``, never committed): a root CA, an issuing CA below it and a time-stamping
authority, all generated with ``cryptography`` under ``DIR/pki`` (private keys mode 0600; this is a demonstration CA,
not a trust service). Each CA publishes a CRL, regenerated when it is older than a day, which the signer embeds in the
document (PAdES B-LT) and which is also served at ``CRL_URL``.

Token: a SoftHSM2 token created with ``softhsm2-util`` in a private token directory. Signing keys are generated ON the
token (non-extractable); each certificate is stored on the token as a certificate object with the same CKA_ID and
CKA_LABEL as its key, the way a real USB token or HSM holds them. A real token is used the same way: only the module
path, the token label and the PIN change (see docs/signing.md).

PKCS#11 notes: a module is initialised once per process, and SoftHSM2 reads ``SOFTHSM2_CONF`` at that moment; a token
is logged in once per process (a second login fails), so this module keeps one logged-in session per token and
serialises its use with a lock.
"""

import functools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from tinhso.core.errors import DomainError

from .conf import SigningSettings

#: RFC 9336 id-kp-documentSigning.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
DEMO_ORGANISATION = "Tỉnh Số — PKI minh họa (không có giá trị pháp lý)"
ROOT_CN = "Tỉnh Số Demo Root CA"
ISSUING_CN = "Tỉnh Số Demo CA ký số"
TSA_CN = "Tỉnh Số Demo TSA"
CRL_VALIDITY = timedelta(days=7)
CRL_REFRESH_AFTER = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 (private keys, PINs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.lru_cache(maxsize=32)
def _read_cached(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def load_certificate(path: Path) -> x509.Certificate:
    data = Path(path).read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def subject_name(common_name: str, organisation: str, *, title: str = "", locality: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(attrs)


# ---------------------------------------------------------------------------------------------------------------
# Demo certification authority
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class _Issuer:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


class DemoCA:
    """Root CA → issuing CA → end-entity certificates; the root also certifies the demo TSA."""

    def __init__(self, conf: SigningSettings):
        self.conf = conf
        self.dir = conf.pki_dir

    # paths -----------------------------------------------------------------------------------------------------
    @property
    def root_cert_path(self) -> Path:
        return self.dir / "root-ca.pem"

    @property
    def issuing_cert_path(self) -> Path:
        return self.dir / "issuing-ca.pem"

    @property
    def tsa_cert_path(self) -> Path:
        return self.dir / "tsa.pem"

    def _key_path(self, cert_path: Path) -> Path:
        return cert_path.with_suffix(".key")

    def crl_path(self, which: str) -> Path:
        return self.dir / f"{which}.crl"

    @property
    def _revoked_path(self) -> Path:
        return self.dir / "revoked.json"

    def exists(self) -> bool:
        return all(p.exists() and self._key_path(p).exists()
                   for p in (self.root_cert_path, self.issuing_cert_path, self.tsa_cert_path))

    # creation --------------------------------------------------------------------------------------------------
    def create(self) -> bool:
        """Create the root CA, the issuing CA and the TSA if missing. Returns True when something was created."""
        if self.exists():
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        now = _now() - timedelta(minutes=5)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        root_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CN),
        ])
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        root_issuer = _Issuer(root, root_key)
        issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        issuing_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, ISSUING_CN),
        ])
        issuing = self._sign(
            root_issuer, issuing_name, issuing_key.public_key(), days=1825, crl="root-ca",
            extensions=[(x509.BasicConstraints(ca=True, path_length=0), True), (_ca_key_usage(), True)],
        )
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, TSA_CN),
        ])
        tsa = self._sign(
            root_issuer, tsa_name, tsa_key.public_key(), days=1825, crl="root-ca",
            extensions=[
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (_ee_key_usage(non_repudiation=False), True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
            ],
        )
        for cert_path, cert, key in (
            (self.root_cert_path, root, root_key),
            (self.issuing_cert_path, issuing, issuing_key),
            (self.tsa_cert_path, tsa, tsa_key),
        ):
            _write_private(self._key_path(cert_path), key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        for attr in ("root", "issuing", "tsa"):
            self.__dict__.pop(attr, None)
        self.crls(force=True)
        return True

    def _sign(self, issuer: _Issuer, name: x509.Name, public_key, *, days: int, crl: str,
              extensions: list) -> x509.Certificate:
        now = _now() - timedelta(minutes=5)
        not_after = min(now + timedelta(days=days), issuer.cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(issuer.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(f"{self.conf.crl_url.rstrip('/')}/{crl}.crl")],
                relative_name=None, reasons=None, crl_issuer=None)]), critical=False)
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        return builder.sign(issuer.key, hashes.SHA256())

    # loading ---------------------------------------------------------------------------------------------------
    def _load(self, cert_path: Path) -> _Issuer:
        if not cert_path.exists():
            raise DomainError("pki_missing", "Chưa có PKI minh họa: chạy “tinhso signing setup”.")
        key = serialization.load_pem_private_key(self._key_path(cert_path).read_bytes(), password=None)
        return _Issuer(load_certificate(cert_path), key)

    @cached_property
    def root(self) -> _Issuer:
        return self._load(self.root_cert_path)

    @cached_property
    def issuing(self) -> _Issuer:
        return self._load(self.issuing_cert_path)

    @cached_property
    def tsa(self) -> _Issuer:
        return self._load(self.tsa_cert_path)

    # end-entity certificates -----------------------------------------------------------------------------------
    def issue(self, public_key, name: x509.Name, *, days: int = 730) -> x509.Certificate:
        """A signing certificate: digitalSignature + nonRepudiation, EKU documentSigning + emailProtection.

        emailProtection is there because NSS (poppler's pdfsig, Firefox, LibreOffice) verifies PDF signers with the
        S/MIME usage; documentSigning (RFC 9336) states the actual purpose.
        """
        return self._sign(
            self.issuing, name, public_key, days=days, crl="issuing-ca",
            extensions=[
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (_ee_key_usage(non_repudiation=True), True),
                (x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
            ],
        )

    # revocation ------------------------------------------------------------------------------------------------
    def _revoked(self) -> dict[str, list[int]]:
        if self._revoked_path.exists():
            return json.loads(self._revoked_path.read_text())
        return {}

    def revoke(self, cert: x509.Certificate) -> None:
        """Put ``cert`` on its issuer's next CRL (and regenerate the CRLs now)."""
        which = "root-ca" if cert.issuer == self.root.cert.subject else "issuing-ca"
        revoked = self._revoked()
        serials = set(revoked.get(which, []))
        serials.add(cert.serial_number)
        revoked[which] = sorted(serials)
        _write_public(self._revoked_path, json.dumps(revoked).encode())
        self.crls(force=True)

    def crls(self, *, force: bool = False) -> list[x509.CertificateRevocationList]:
        """The current CRLs of the root and the issuing CA, regenerated when older than a day."""
        return [x509.load_der_x509_crl(der) for der in self.crl_ders(force=force)]

    def crl_ders(self, *, force: bool = False) -> list[bytes]:
        """The current CRLs (DER); a CRL file older than a day is regenerated (checked by its modification time)."""
        result = []
        for which, issuer_attr in (("root-ca", "root"), ("issuing-ca", "issuing")):
            path = self.crl_path(which)
            try:
                age = _now().timestamp() - path.stat().st_mtime
            except FileNotFoundError:
                age = None
            if force or age is None or age > CRL_REFRESH_AFTER.total_seconds():
                issuer: _Issuer = getattr(self, issuer_attr)
                crl = self._build_crl(issuer, self._revoked().get(which, []))
                _write_public(path, crl.public_bytes(serialization.Encoding.DER))
            result.append(_read_cached(str(path), path.stat().st_mtime))
        return result

    def _build_crl(self, issuer: _Issuer, serials: list[int]) -> x509.CertificateRevocationList:
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.cert.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        )
        for serial in serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - timedelta(minutes=1))
                .build()
            )
        return builder.sign(issuer.key, hashes.SHA256())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
    )


def _ee_key_usage(*, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=non_repudiation, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )


# ---------------------------------------------------------------------------------------------------------------
# PKCS#11 token
# ---------------------------------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_LIBS: dict[str, object] = {}
_SESSIONS: dict[tuple[str, str], object] = {}


def token_lock() -> threading.RLock:
    """Held while a token session is in use (a PKCS#11 session must not be used by two threads at once)."""
    return _LOCK


def softhsm_missing(conf: SigningSettings) -> str | None:
    """Why SoftHSM2 cannot be used here, or None."""
    if not conf.is_softhsm:
        return None
    if not Path(conf.pkcs11_module).exists():
        return f"SoftHSM2 module not found at {conf.pkcs11_module} (Debian package softhsm2)"
    if not shutil.which("softhsm2-util"):
        return "softhsm2-util not found (Debian package softhsm2)"
    return None


def write_softhsm_config(conf: SigningSettings) -> None:
    conf.tokendir.mkdir(parents=True, exist_ok=True)
    os.chmod(conf.tokendir, 0o700)
    text = (
        "# Written by tinhso signing setup: SoftHSM2 with a private token directory.\n"
        f"directories.tokendir = {conf.tokendir}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )
    if not conf.softhsm2_conf.exists() or conf.softhsm2_conf.read_text() != text:
        _write_public(conf.softhsm2_conf, text.encode())


def _softhsm_env(conf: SigningSettings) -> dict[str, str]:
    return dict(os.environ, SOFTHSM2_CONF=str(conf.softhsm2_conf))


def _activate(conf: SigningSettings) -> None:
    """Point SoftHSM2 at our configuration before the module is first loaded in this process."""
    if not conf.is_softhsm:
        return
    wanted = str(conf.softhsm2_conf)
    if conf.pkcs11_module in _LIBS and os.environ.get("SOFTHSM2_CONF") != wanted:
        raise DomainError(
            "token_config_changed",
            "Cấu hình SoftHSM2 đã thay đổi sau khi mô-đun PKCS#11 được nạp: cần khởi động lại tiến trình.",
        )
    os.environ["SOFTHSM2_CONF"] = wanted


def _lib(conf: SigningSettings):
    import pkcs11

    with _LOCK:
        lib = _LIBS.get(conf.pkcs11_module)
        if lib is None:
            _activate(conf)
            try:
                lib = pkcs11.lib(conf.pkcs11_module)
            except Exception as exc:
                raise DomainError(
                    "token_unavailable", f"Không nạp được mô-đun PKCS#11 {conf.pkcs11_module}: {exc}"
                ) from exc
            _LIBS[conf.pkcs11_module] = lib
        return lib


def token_exists(conf: SigningSettings) -> bool:
    if conf.is_softhsm and conf.pkcs11_module not in _LIBS:
        # Ask softhsm2-util rather than loading the module: loading fixes SOFTHSM2_CONF for the whole process.
        if not conf.softhsm2_conf.exists():
            return False
        out = subprocess.run(["softhsm2-util", "--show-slots"], env=_softhsm_env(conf), capture_output=True,
                             text=True, check=False).stdout
        return any(line.split(":", 1)[1].strip() == conf.token_label
                   for line in out.splitlines() if line.strip().startswith("Label:"))
    return any(slot.get_token().label == conf.token_label for slot in _lib(conf).get_slots(token_present=True))


def init_softhsm_token(conf: SigningSettings) -> bool:
    """Create the SoftHSM2 token if it does not exist (before the module is loaded). True when created."""
    missing = softhsm_missing(conf)
    if missing:
        raise DomainError("softhsm_missing", f"Không dùng được SoftHSM2: {missing}.")
    write_softhsm_config(conf)
    if token_exists(conf):
        return False
    if conf.pkcs11_module in _LIBS:
        raise DomainError(
            "token_config_changed",
            "Không tạo được thiết bị ký số mới khi mô-đun PKCS#11 đã được nạp: chạy “tinhso signing setup” riêng.",
        )
    so_pin_path = conf.dir / "so-pin"
    if not so_pin_path.exists():
        _write_private(so_pin_path, secrets.token_hex(8).encode())
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", conf.token_label,
         "--pin", conf.user_pin(), "--so-pin", so_pin_path.read_text().strip()],
        env=_softhsm_env(conf), check=True, capture_output=True, text=True,
    )
    return True


def session(conf: SigningSettings):
    """The process's logged-in read-write session on the configured token (use it under ``token_lock()``)."""
    import pkcs11

    key = (conf.pkcs11_module, conf.token_label)
    with _LOCK:
        existing = _SESSIONS.get(key)
        if existing is not None:
            return existing
        lib = _lib(conf)
        try:
            token = lib.get_token(token_label=conf.token_label)
        except (pkcs11.NoSuchToken, pkcs11.MultipleTokensReturned) as exc:
            raise DomainError(
                "token_not_found", f"Không tìm thấy thiết bị ký số có nhãn “{conf.token_label}”."
            ) from exc
        try:
            opened = token.open(rw=True, user_pin=conf.user_pin())
        except pkcs11.PinIncorrect as exc:
            raise DomainError("token_pin_incorrect", "Mã PIN của thiết bị ký số không đúng.") from exc
        except pkcs11.UserAlreadyLoggedIn:
            opened = token.open(rw=True)
        _SESSIONS[key] = opened
        return opened


def find_certificate(sess, label: str) -> x509.Certificate | None:
    from pkcs11 import Attribute, ObjectClass

    for obj in sess.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}):
        return x509.load_der_x509_certificate(bytes(obj[Attribute.VALUE]))
    return None


def has_private_key(sess, label: str) -> bool:
    from pkcs11 import Attribute, ObjectClass

    return any(True for _ in sess.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}))


def generate_key_on_token(sess, label: str, key_id: bytes) -> rsa.RSAPublicKey:
    """An RSA-2048 key pair generated on the token; the private key is sensitive and never leaves it."""
    from pkcs11 import Attribute, KeyType

    public, _private = sess.generate_keypair(
        KeyType.RSA, 2048, id=key_id, label=label, store=True,
        private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.PRIVATE: True},
    )
    modulus = int.from_bytes(bytes(public[Attribute.MODULUS]), "big")
    exponent = int.from_bytes(bytes(public[Attribute.PUBLIC_EXPONENT]), "big")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def store_certificate(sess, cert: x509.Certificate, label: str, key_id: bytes) -> None:
    """Store ``cert`` on the token (CKA_TOKEN) with the key's CKA_ID and CKA_LABEL, replacing an older one."""
    from asn1crypto import core as asn1_core
    from pkcs11 import Attribute, CertificateType, ObjectClass

    for obj in list(sess.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label})):
        obj.destroy()
    sess.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: False,
        Attribute.LABEL: label,
        Attribute.ID: key_id,
        Attribute.SUBJECT: cert.subject.public_bytes(),
        Attribute.ISSUER: cert.issuer.public_bytes(),
        Attribute.SERIAL_NUMBER: asn1_core.Integer(cert.serial_number).dump(),
        Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
    })


def key_id_of(sess, label: str) -> bytes:
    from pkcs11 import Attribute, ObjectClass

    for obj in sess.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}):
        return bytes(obj[Attribute.ID])
    raise DomainError("key_not_found", f"Không có khóa bí mật nhãn “{label}” trên thiết bị ký số.")


def ensure_token_identity(conf: SigningSettings, ca: DemoCA, label: str, name: x509.Name) -> x509.Certificate:
    """A key pair on the token and its certificate from the demo CA, both under ``label``; idempotent."""
    with _LOCK:
        sess = session(conf)
        cert = find_certificate(sess, label)
        if cert is not None and has_private_key(sess, label):
            return cert
        key_id = secrets.token_bytes(8)
        public_key = generate_key_on_token(sess, label, key_id)
        cert = ca.issue(public_key, name)
        store_certificate(sess, cert, label, key_id)
        return cert
