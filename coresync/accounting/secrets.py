"""Secrets at rest (the QuickBooks tokens): one small pair of functions, so a later key ring replaces only this file.

The key is derived from ``SECRET_KEY`` (SHA-256 of a purpose string and the key,
as a Fernet key). Rotating ``SECRET_KEY`` therefore needs a reconnect
(``manage.py quickbooks_connect``); ``FIELD_ENCRYPTION_KEYS`` (a later issue)
will bring a ``MultiFernet`` key ring here.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PURPOSE = b"coresync.accounting.tokens:"

__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt"]


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(PURPOSE + secret_key.encode()).digest()))


def secret_encrypt(value: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(value.encode()).decode() if value else ""


def secret_decrypt(token: str) -> str:
    """The plain value; raises ``InvalidToken`` when it was encrypted under another key."""
    return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode() if token else ""
