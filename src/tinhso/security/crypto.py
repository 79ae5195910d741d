"""Encryption of TOTP secrets at rest and hashing of recovery codes.

Secrets are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from ``SECRET_KEY``; keys
derived from ``SECRET_KEY_FALLBACKS`` still decrypt, so a rotated ``SECRET_KEY`` keeps working as long as the old one
stays in the fallbacks. A database dump alone therefore does not reveal anyone's second factor.
"""

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed without confusion


def _fernet_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"tinhso.security.totp-secret:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The clear text; ``ValueError`` when no current or fallback key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise ValueError("undecryptable TOTP secret (SECRET_KEY changed without SECRET_KEY_FALLBACKS?)") from exc


def new_recovery_code() -> str:
    """16 characters from a 31-letter alphabet (about 79 bits), shown as four groups: ``abcd-efgh-jkmn-pqrs``."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code: with ~79 bits of randomness a fast hash cannot be reversed by guessing."""
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_recovery_code(code)) == 16
