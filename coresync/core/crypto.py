"""Personal data at rest: the key ring that encrypts it and the keyed blind index that finds it.

* ``FIELD_ENCRYPTION_KEYS`` — Fernet keys, newest first (comma-separated). The newest encrypts; every key
  decrypts, so a new key is put in front, ``manage.py rotate_field_keys`` re-encrypts every row, and then
  the old key is dropped. ``cryptography``'s ``MultiFernet`` does the work (AES-128-CBC + HMAC-SHA256,
  a random IV per value, a timestamp): nothing here is home-made.
* ``FIELD_INDEX_KEY`` — the HMAC-SHA256 key of the blind indexes: an e-mail address (lower-cased) or a
  phone number (its digits) becomes a keyed digest that equality lookups compare, so "find the bookings of
  this e-mail" needs no plaintext in the database. ``FIELD_INDEX_KEY_PREVIOUS`` keeps lookups working while
  ``rotate_field_keys --reindex`` recomputes them under a new key.

Without the settings (development, tests, ``make run``) both keys are derived from ``SECRET_KEY``; the
production checks (``coresync.E018``/``E019``) refuse that, because rotating ``SECRET_KEY`` would then make
the data unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "InvalidToken",
    "blind_index",
    "blind_indexes",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "key_ring",
    "normalise",
    "rotate",
]

# Every Fernet token is URL-safe base64 of a 0x80 version byte and a 64-bit timestamp: it starts so.
TOKEN_PREFIX = "gAAAAA"
_NON_DIGITS = re.compile(r"\D+")


def _derived(purpose: bytes) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(purpose + settings.SECRET_KEY.encode()).digest())


def configured_keys() -> list[str]:
    return [k.strip() for k in (getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []) if k.strip()]


@lru_cache(maxsize=1)
def key_ring() -> MultiFernet:
    keys = configured_keys() or [_derived(b"coresync.fields:").decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:  # not 32 bytes of URL-safe base64
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key: {exc}") from exc


@lru_cache(maxsize=1)
def _index_keys() -> tuple[bytes, ...]:
    current = getattr(settings, "FIELD_INDEX_KEY", "") or ""
    previous = getattr(settings, "FIELD_INDEX_KEY_PREVIOUS", "") or ""
    keys = [current.encode() if current else _derived(b"coresync.blind-index:")]
    if previous:
        keys.append(previous.encode())
    return tuple(keys)


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY", "FIELD_INDEX_KEY_PREVIOUS", "SECRET_KEY"}:
        key_ring.cache_clear()
        _index_keys.cache_clear()


def is_encrypted(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def encrypt(value: str) -> str:
    return key_ring().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    """The plain text. A value written before encryption (no token prefix) is returned as it is, so the
    migration that encrypts existing rows, and a half-rotated table, read cleanly. Raises ``InvalidToken``
    when no key of the ring opens it."""
    if not value or not is_encrypted(value):
        return value
    return key_ring().decrypt(value.encode()).decode()


def rotate(value: str) -> str:
    """The same plain text under the newest key (a plaintext leftover is encrypted)."""
    if not value:
        return value
    return key_ring().rotate(value.encode()).decode() if is_encrypted(value) else encrypt(value)


def normalise(kind: str, value: str) -> str:
    """What two spellings of one address share: e-mail lower-cased and trimmed, phone digits only (the last
    ten, so +1 555 010 0101 and (555) 010-0101 are one number)."""
    value = (value or "").strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return _NON_DIGITS.sub("", value)[-10:]
    return value


def _digest(key: bytes, kind: str, normalised: str) -> str:
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def blind_index(kind: str, value: str) -> str:
    """The keyed digest an equality lookup compares; empty for an empty value (nothing to find)."""
    normalised = normalise(kind, value)
    return _digest(_index_keys()[0], kind, normalised) if normalised else ""


def blind_indexes(kind: str, value: str) -> list[str]:
    """The digests under the current and (while re-indexing) the previous index key."""
    normalised = normalise(kind, value)
    return [_digest(key, kind, normalised) for key in _index_keys()] if normalised else [""]
