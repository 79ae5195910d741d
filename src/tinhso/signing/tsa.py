"""The DEMO time-stamping authority (RFC 3161), for PAdES B-T and above without an outside service.

It answers time-stamp requests with a token signed by the demo TSA certificate (EKU timeStamping, issued by the demo
root). The signer calls it in-process (``DemoTimeStampAuthority`` is a pyHanko ``TimeStamper``); ``views.timestamp``
serves the same answer over HTTP (``application/timestamp-query``) for other clients. Its clock is this server's clock.
A real deployment uses an accredited TSA instead (see docs/signing.md).
"""

import hashlib
import secrets
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.sign.timestamps.api import TimeStamper

#: A private-arc policy identifier for the demo TSA's tokens (UUID-based OID 2.25.x, no registration needed).
DEMO_POLICY = "2.25.220841936283465712946237741287712431133"

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class DemoTimeStampAuthority(TimeStamper):
    """Issues RFC 3161 time-stamp tokens with an RSA key held in memory (demo only)."""

    def __init__(self, cert: x509.Certificate, key: rsa.RSAPrivateKey, chain: list[x509.Certificate] = ()):
        super().__init__(include_nonce=True)
        # DER kept as bytes and parsed afresh for each token: asn1crypto re-encodes values it has parsed, which is
        # slow for certificates; freshly loaded values are copied as they are.
        self._cert_der = cert.public_bytes(serialization.Encoding.DER)
        self._chain_der = [c.public_bytes(serialization.Encoding.DER) for c in chain]
        self._issuer_der = cert.issuer.public_bytes()
        self._subject_der = cert.subject.public_bytes()
        self._serial = cert.serial_number
        self._cert_hash = hashlib.sha256(self._cert_der).digest()
        self._key = key

    def certificates_der(self) -> list[bytes]:
        return [self._cert_der, *self._chain_der]

    def respond(self, request: tsp.TimeStampReq, *, now: datetime | None = None) -> tsp.TimeStampResp:
        """The response to ``request``: granted with a token, or rejected for an unsupported hash."""
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm not in _HASHES or len(imprint["hashed_message"].native) != _HASHES[algorithm].digest_size:
            return tsp.TimeStampResp({"status": {"status": "rejection", "fail_info": {"bad_alg"}}})
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": DEMO_POLICY,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(64),
            "gen_time": core.GeneralizedTime(now),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName({"directory_name": asn1_x509.Name.load(self._subject_der)}),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"].native
        content = tsp.TSTInfo(info).dump()
        signed_attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(now)})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{"certs": [{
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": self._cert_hash,
                "issuer_serial": {
                    "issuer": [asn1_x509.GeneralName({"directory_name": asn1_x509.Name.load(self._issuer_der)})],
                    "serial_number": self._serial,
                },
            }]}]}),
        ])
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": asn1_x509.Name.load(self._issuer_der),
                                                 "serial_number": self._serial}},
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
        })
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(content)},
            "signer_infos": [signer_info],
        }
        if request["cert_req"].native:  # RFC 3161 §2.4.1: certificates only when asked for
            signed_data["certificates"] = [asn1_x509.Certificate.load(d) for d in (self._cert_der, *self._chain_der)]
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.respond(req)
