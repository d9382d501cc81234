"""Secrets at rest (the QuickBooks tokens), under the field key ring (``FIELD_ENCRYPTION_KEYS``, ``coresync.core.crypto``).

The tokens are kept as Fernet tokens in text columns and opened only when the
connection needs them. Tokens stored before the key ring (a Fernet key derived
from ``SECRET_KEY``) still open, and ``manage.py rotate_field_keys`` re-encrypts
them under the newest key like every encrypted field.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from coresync.core import crypto

LEGACY_PURPOSE = b"coresync.accounting.tokens:"

__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt", "secret_rotate"]


@lru_cache(maxsize=4)
def _legacy(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(LEGACY_PURPOSE + secret_key.encode()).digest()))


def secret_encrypt(value: str) -> str:
    return crypto.encrypt(value)


def secret_decrypt(token: str) -> str:
    """The plain value; raises ``InvalidToken`` when no key opens it (the key ring, then the pre-ring key)."""
    if not token:
        return ""
    try:
        return crypto.key_ring().decrypt(token.encode()).decode()
    except InvalidToken:
        return _legacy(settings.SECRET_KEY).decrypt(token.encode()).decode()


def secret_rotate(token: str) -> str:
    """The same secret under the newest key."""
    return secret_encrypt(secret_decrypt(token)) if token else ""
