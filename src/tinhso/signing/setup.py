"""``tinhso signing setup``: the demo PKI, the SoftHSM2 token, keys on it, certificates and images; idempotent."""

import re
import unicodedata
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import transaction

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, Membership, Role

from . import images, pki
from .conf import SigningSettings, get_settings
from .models import SigningIdentity
from .signers import TokenSigner, demo_chain, forget_token_signers


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9.]+", "-", folded.lower()).strip("-") or "x"


def ensure_demo_identity(conf: SigningSettings, *, label: str, common_name: str, organisation: str, title: str = "",
                         image: str = "signature") -> TokenSigner:
    """A key on the token with its demo certificate and image (``signature`` or ``seal``); no database needed."""
    ca = pki.DemoCA(conf)
    ca.create()
    name = pki.subject_name(common_name, organisation, title=title)
    pki.ensure_token_identity(conf, ca, label, name)
    image_path = conf.images_dir / f"{label}.png"
    if not image_path.exists():
        drawn = images.seal_image(organisation) if image == "seal" else images.signature_image(common_name)
        images.save_png(drawn, image_path)
    return TokenSigner(display_name=common_name, image_path=image_path, title=title, chain=demo_chain(conf),
                       key_label=label, conf=conf)


@dataclass
class SetupReport:
    dir: str
    softhsm2_conf: str
    pkcs11_module: str
    token_label: str
    root_ca: str
    issuing_ca: str
    tsa: str
    created: list[str] = field(default_factory=list)
    identities: list[dict] = field(default_factory=list)


def default_agency() -> Agency:
    conf = get_settings()
    if conf.default_agency:
        agency = Agency.objects.filter(code=conf.default_agency).first()
        if agency is None:
            raise DomainError("agency_not_found", f"Không có cơ quan mã {conf.default_agency} (DEFAULT_AGENCY).")
        return agency
    roots = Agency.objects.filter(parent__isnull=True, is_active=True).order_by("code")
    agency = roots.filter(kind=Agency.Kind.PROVINCIAL_COMMITTEE).first() or roots.first()
    if agency is None:
        raise DomainError("agency_missing", "Chưa có cơ quan nào: nạp dữ liệu (ví dụ “tinhso demo”) trước.")
    return agency


def _identity(conf: SigningSettings, *, agency: Agency, kind: str, user=None, title: str = "") -> SigningIdentity:
    if kind == SigningIdentity.Kind.AGENCY:
        label, common_name, image = f"coquan-{agency.code}", agency.name, "seal"
    else:
        label, common_name, image = f"canhan-{slug(user.username)}", user.full_name or user.username, "signature"
    signer = ensure_demo_identity(conf, label=label, common_name=common_name, organisation=agency.name,
                                  title=title, image=image)
    with pki.token_lock():
        cert = pki.find_certificate(pki.session(conf), label)

    identity, _created = SigningIdentity.objects.update_or_create(
        token_label="", key_label=label,
        defaults={
            "kind": kind, "agency": agency, "user": user, "full_name": common_name, "title": title,
            "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "image": signer.image_path.name, "is_active": True,
        },
    )
    return identity


def setup_demo(agency_codes: list[str] | None = None) -> SetupReport:
    """Create (or keep) the demo CA, the token and, for each agency, its seal key and its leaders' keys."""
    conf = get_settings()
    if not conf.demo:
        raise DomainError("not_demo", "Cấu hình dùng thiết bị ký số thật (DEMO = False): không tạo PKI minh họa.")
    created = []
    ca = pki.DemoCA(conf)
    if ca.create():
        created.append("demo CA")
    if conf.is_softhsm and pki.init_softhsm_token(conf):
        created.append(f"SoftHSM2 token {conf.token_label}")
    ca.crls()
    if agency_codes:
        agencies = []
        for code in agency_codes:
            agency = Agency.objects.filter(code=code).first()
            if agency is None:
                raise DomainError("agency_not_found", f"Không có cơ quan mã {code}.")
            agencies.append(agency)
    else:
        agencies = [default_agency()]
    report = SetupReport(
        dir=str(conf.dir), softhsm2_conf=str(conf.softhsm2_conf), pkcs11_module=conf.pkcs11_module,
        token_label=conf.token_label, root_ca=str(ca.root_cert_path), issuing_ca=str(ca.issuing_cert_path),
        tsa=str(ca.tsa_cert_path), created=created,
    )
    with transaction.atomic():
        for agency in agencies:
            seal = _identity(conf, agency=agency, kind=SigningIdentity.Kind.AGENCY)
            report.identities.append(_describe(seal, agency))
            leaders = (Membership.objects.filter(agency=agency, role=Role.AGENCY_LEADER, is_active=True)
                       .select_related("user").order_by("user__username"))
            for membership in leaders:
                person = _identity(conf, agency=agency, kind=SigningIdentity.Kind.PERSONAL, user=membership.user,
                                   title=(membership.title or "").upper())
                report.identities.append(_describe(person, agency))
    forget_token_signers()
    return report


def _describe(identity: SigningIdentity, agency: Agency) -> dict:
    return {
        "kind": identity.kind, "agency": agency.code, "name": identity.full_name, "title": identity.title,
        "key_label": identity.key_label, "serial": identity.serial_hex,
        "not_after": identity.not_after.isoformat() if identity.not_after else None, "image": identity.image,
    }


def register_token_identity(*, agency_code: str, key_label: str, kind: str = SigningIdentity.Kind.AGENCY,
                            username: str = "", title: str = "", image: str = "",
                            token_label: str = "") -> SigningIdentity:
    """Record a key that already sits on a (real) token: its certificate is read from the token by label.

    ``image``: the real seal or signature scan (transparent PNG); without one a stand-in is drawn.
    """
    from dataclasses import replace

    conf = get_settings()
    if token_label:
        conf = replace(conf, token_label=token_label)
    agency = Agency.objects.filter(code=agency_code).first()
    if agency is None:
        raise DomainError("agency_not_found", f"Không có cơ quan mã {agency_code}.")
    user = None
    if kind == SigningIdentity.Kind.PERSONAL:
        user = Membership.objects.filter(agency=agency, user__username=username).select_related("user").first()
        if user is None:
            raise DomainError("user_not_found", f"{agency.name} không có người dùng “{username}”.")
        user = user.user
    with pki.token_lock():
        sess = pki.session(conf)
        cert = pki.find_certificate(sess, key_label)
        if cert is None or not pki.has_private_key(sess, key_label):
            raise DomainError("key_not_found", f"Thiết bị ký số không có khóa và chứng thư nhãn “{key_label}”.")
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else key_label
    if image:
        image_name = image
    else:
        path = conf.images_dir / f"{slug(key_label)}.png"
        if not path.exists():
            drawn = images.seal_image(agency.name) if kind == SigningIdentity.Kind.AGENCY \
                else images.signature_image(common_name)
            images.save_png(drawn, path)
        image_name = path.name
    if kind == SigningIdentity.Kind.AGENCY:
        SigningIdentity.objects.filter(agency=agency, kind=kind, is_active=True).exclude(
            key_label=key_label).update(is_active=False)
    identity, _created = SigningIdentity.objects.update_or_create(
        token_label=token_label, key_label=key_label,
        defaults={
            "kind": kind, "agency": agency, "user": user, "full_name": common_name, "title": title.upper(),
            "certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode(), "image": image_name,
            "is_active": True,
        },
    )
    forget_token_signers()
    return identity
