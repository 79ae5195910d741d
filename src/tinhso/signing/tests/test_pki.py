"""The demo PKI, the token objects, the images and the demo TSA."""

import hashlib

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tinhso.signing import images, pki, services
from tinhso.signing.pki import DOCUMENT_SIGNING


def test_keys_are_generated_on_the_token_and_never_leave_it(signing):
    from pkcs11 import Attribute, ObjectClass

    with pki.token_lock():
        sess = pki.session(signing.conf)
        keys = list(sess.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: "test-person"}))
        certs = list(sess.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: "test-person"}))
        assert len(keys) == 1 and len(certs) == 1
        key, cert_obj = keys[0], certs[0]
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE] and key[Attribute.TOKEN]
        assert cert_obj[Attribute.TOKEN] and bytes(cert_obj[Attribute.ID]) == bytes(key[Attribute.ID])
        cert = pki.find_certificate(sess, "test-person")
    assert bytes(cert_obj[Attribute.SUBJECT]) == cert.subject.public_bytes()


def test_certificate_profile_and_chain(signing):
    ca = pki.DemoCA(signing.conf)
    with pki.token_lock():
        cert = pki.find_certificate(pki.session(signing.conf), "test-person")
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COUNTRY_NAME] == "VN"
    assert subject[NameOID.ORGANIZATION_NAME] == "Ủy ban nhân dân tỉnh Lạng Sơn"
    assert subject[NameOID.COMMON_NAME] == "Nông Đức Thắng"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in eku and ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuing, root = ca.issuing.cert, ca.root.cert
    cert.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    tsa = pki.load_certificate(ca.tsa_cert_path)
    tsa_eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_eku.critical and list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    for crl in ca.crls():
        assert crl.is_signature_valid((root if crl.issuer == root.subject else issuing).public_key())
    assert (ca.dir / "root-ca.key").stat().st_mode & 0o077 == 0  # private keys: owner only


def _pixels(image) -> list[tuple[int, ...]]:
    data = image.tobytes()
    return [tuple(data[i:i + 4]) for i in range(0, len(data), 4)]


def test_images_match_appendix_i():
    seal = images.seal_image("Ủy ban nhân dân tỉnh Lạng Sơn", dpi=300)
    assert abs(seal.width / 300 * 25.4 - images.SEAL_DIAMETER_MM) < 0.2 and seal.mode == "RGBA"
    assert seal.getpixel((0, 0))[3] == 0  # transparent corner
    red = [p for p in _pixels(seal) if p[3] > 128]
    assert red and all(p[:3] == images.RED for p in red)
    signature = images.signature_image("Nông Đức Thắng")
    inked = [p for p in _pixels(signature) if p[3] > 128]
    assert inked and all(p[:3] == images.BLUE for p in inked) and signature.getpixel((0, 0))[3] == 0
    assert images.find_font("LiberationSerif-Regular.ttf").name == "LiberationSerif-Regular.ttf"


def test_demo_tsa_answers_rfc_3161(signing):
    authority = services.demo_timestamper(signing.conf)
    digest = hashlib.sha256(b"van ban").digest()
    request = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                       "hashed_message": digest},
                                "nonce": 12345, "cert_req": True})
    response = authority.respond(request)
    assert response["status"]["status"].native == "granted"
    signed_data = response["time_stamp_token"]["content"]
    info = signed_data["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest and info["nonce"].native == 12345
    tsa_cert = x509.load_der_x509_certificate(signed_data["certificates"][0].chosen.dump())
    signer_info = signed_data["signer_infos"][0]
    signed_attrs = b"\x31" + signer_info["signed_attrs"].dump()[1:]  # signed as a SET OF, stored as [0]
    tsa_cert.public_key().verify(signer_info["signature"].native, signed_attrs, padding.PKCS1v15(),
                                 tsa_cert.signature_hash_algorithm)
    bad = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                   "hashed_message": b"short"}})
    assert authority.respond(bad)["status"]["status"].native == "rejection"
    without_certs = tsp.TimeStampReq({"version": "v1", "message_imprint": request["message_imprint"]})
    assert not authority.respond(without_certs)["time_stamp_token"]["content"]["certificates"]


def test_crl_and_tsa_over_http(signing, rf):
    from tinhso.signing import views

    response = views.crl(rf.get("/ky-so/crl/issuing-ca.crl"), "issuing-ca")
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.issuer == pki.DemoCA(signing.conf).issuing.cert.subject
    query = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                     "hashed_message": b"\x01" * 32},
                              "cert_req": True}).dump()
    response = views.timestamp(rf.post("/ky-so/tsa", query, content_type="application/timestamp-query"))
    assert response["Content-Type"] == "application/timestamp-reply"
    assert tsp.TimeStampResp.load(response.content)["status"]["status"].native == "granted"
    assert views.timestamp(rf.post("/ky-so/tsa", b"junk", content_type="application/timestamp-query")).status_code \
        == 400
