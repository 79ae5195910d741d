"""HOTP/TOTP against the published test vectors (RFC 4226 appendix D, RFC 6238 appendix B)."""

from urllib.parse import parse_qs, urlparse

import pytest

from tinhso.security import crypto, totp

RFC4226_KEY = b"12345678901234567890"
RFC4226_VALUES = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = b"12345678901234567890123456789012"
SEED_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"
SEEDS = {"SHA1": SEED_SHA1, "SHA256": SEED_SHA256, "SHA512": SEED_SHA512}
RFC6238_VECTORS = [  # (time, algorithm, 8-digit TOTP)
    (59, "SHA1", "94287082"), (59, "SHA256", "46119246"), (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"), (1111111109, "SHA256", "68084774"), (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"), (1111111111, "SHA256", "67062674"), (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"), (1234567890, "SHA256", "91819424"), (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"), (2000000000, "SHA256", "90698825"), (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"), (20000000000, "SHA256", "77737706"), (20000000000, "SHA512", "47863826"),
]


@pytest.mark.parametrize("counter,expected", list(enumerate(RFC4226_VALUES)))
def test_hotp_rfc4226_vectors(counter, expected):
    assert totp.hotp(RFC4226_KEY, counter) == expected


@pytest.mark.parametrize("unix_time,algorithm,expected", RFC6238_VECTORS)
def test_totp_rfc6238_vectors(unix_time, algorithm, expected):
    assert totp.totp(SEEDS[algorithm], unix_time, digits=8, algorithm=algorithm) == expected


def test_match_step_accepts_one_step_of_drift_and_no_more():
    key = totp.secret_bytes(totp.new_secret())
    now = 1_772_416_800  # 02/03/2026 09:00 in Hà Nội
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.hotp(key, step + offset)
        assert totp.match_step(key, code, now) == step + offset
    assert totp.match_step(key, totp.hotp(key, step + 2), now) is None
    assert totp.match_step(key, totp.hotp(key, step - 2), now) is None


def test_codes_typed_with_spaces_are_accepted_and_wrong_lengths_refused():
    key = totp.secret_bytes("JBSWY3DPEHPK3PXP")
    code = totp.totp(key, 1_772_416_800)
    assert totp.match_step(key, f"{code[:3]} {code[3:]}", 1_772_416_800) is not None
    assert totp.match_step(key, code[:5], 1_772_416_800) is None
    assert totp.match_step(key, "", 1_772_416_800) is None


def test_secret_round_trip_and_lower_case_input():
    secret = totp.new_secret()
    assert len(totp.secret_bytes(secret)) == totp.SECRET_BYTES
    assert totp.secret_bytes(secret.lower()) == totp.secret_bytes(secret)


def test_provisioning_uri_is_read_back_by_its_parts():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="tiếp.nhận", issuer="Tỉnh Số Lạng Sơn")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert query["secret"] == ["JBSWY3DPEHPK3PXP"]
    assert query["issuer"] == ["Tỉnh Số Lạng Sơn"]
    assert query["digits"] == ["6"] and query["period"] == ["30"] and query["algorithm"] == ["SHA1"]
    assert " " not in uri


def test_secret_encryption_survives_key_rotation_with_fallback(settings):
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in token
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        crypto.decrypt(token)


def test_recovery_code_hash_ignores_dashes_and_case():
    code = crypto.new_recovery_code()
    assert len(code) == 19 and code.count("-") == 3
    assert crypto.hash_recovery_code(code.upper().replace("-", " ")) == crypto.hash_recovery_code(code)
