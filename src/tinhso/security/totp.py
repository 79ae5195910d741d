"""One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), with the standard library only.

Authenticator apps (Google Authenticator, Microsoft Authenticator, FreeOTP, Aegis…) use SHA-1, 6 digits and a
30-second step; the other algorithms are here for the RFC 6238 test vectors and for operators who need them.
"""

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlencode

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
DEFAULT_DIGITS = 6
DEFAULT_PERIOD = 30
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1


def hotp(key: bytes, counter: int, *, digits: int = DEFAULT_DIGITS, algorithm: str = "SHA1") -> str:
    """The HOTP value of ``counter`` (RFC 4226 §5.3: HMAC, dynamic truncation, modulo 10^digits)."""
    if counter < 0:
        raise ValueError("counter must not be negative")
    mac = hmac.new(key, counter.to_bytes(8, "big"), ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10 ** digits).zfill(digits)


def time_step(unix_time: float, *, period: int = DEFAULT_PERIOD, t0: int = 0) -> int:
    """The TOTP counter T = floor((time - T0) / X) of RFC 6238 §4.2."""
    return int((unix_time - t0) // period)


def totp(key: bytes, unix_time: float, *, digits: int = DEFAULT_DIGITS, period: int = DEFAULT_PERIOD,
         algorithm: str = "SHA1") -> str:
    """The TOTP value at ``unix_time`` (seconds since the epoch)."""
    return hotp(key, time_step(unix_time, period=period), digits=digits, algorithm=algorithm)


def new_secret() -> str:
    """A fresh random secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_bytes(secret_b32: str) -> bytes:
    """The key of a base32 secret as people type it (spaces, lower case and missing padding tolerated)."""
    text = "".join(secret_b32.split()).upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def normalise_code(code: str) -> str:
    """What a person typed, with spaces and dashes removed ("123 456" → "123456")."""
    return "".join(ch for ch in str(code) if ch.isdigit())


def match_step(key: bytes, code: str, unix_time: float, *, window: int = 1, digits: int = DEFAULT_DIGITS,
               period: int = DEFAULT_PERIOD, algorithm: str = "SHA1") -> int | None:
    """The time step whose code equals ``code`` within ``window`` steps of now (clock drift), or ``None``.

    Every candidate is compared in constant time, so the answer's timing does not tell which step matched.
    """
    code = normalise_code(code)
    if len(code) != digits:
        return None
    now_step = time_step(unix_time, period=period)
    found = None
    for step in range(now_step - window, now_step + window + 1):
        if step >= 0 and hmac.compare_digest(hotp(key, step, digits=digits, algorithm=algorithm), code):
            found = step if found is None else found
    return found


def provisioning_uri(secret_b32: str, *, account: str, issuer: str, digits: int = DEFAULT_DIGITS,
                     period: int = DEFAULT_PERIOD, algorithm: str = "SHA1") -> str:
    """The ``otpauth://totp/…`` URI (Key URI Format) that authenticator apps read from a QR code."""
    label = quote(f"{issuer}:{account}", safe="")
    params = {"secret": secret_b32, "issuer": issuer, "algorithm": algorithm, "digits": digits, "period": period}
    return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"
