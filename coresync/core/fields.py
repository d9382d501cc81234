"""Model fields that keep personal data encrypted at rest, and the blind index that finds it.

``EncryptedCharField``/``EncryptedEmailField``/``EncryptedTextField`` hold plain text in Python and a Fernet
token in the database (``coresync.core.crypto``). A field given ``blind_index="<companion>"`` is found by
equality through that companion ``BlindIndexField`` (a keyed HMAC of the normalised value):

    customer_email = EncryptedEmailField(blind_index="customer_email_bidx")
    customer_email_bidx = BlindIndexField(source="customer_email", kind="email", db_index=True)

    Booking.objects.filter(customer_email__iexact="Ana@Example.com")   # WHERE customer_email_bidx IN (…)

``exact``, ``iexact`` and ``in`` are answered from the index (e-mails compare case-insensitively, phones
by their digits); ``isnull`` works as usual; any other lookup (``contains``, ordering by the value in SQL)
is refused with a ``FieldError`` rather than silently comparing ciphertext. The companion is computed on
every save, ``update_fields`` included (``BlindIndexedModel``); a ``QuerySet.update`` of an indexed field
passes its values through ``with_blind_indexes``.
"""

from __future__ import annotations

import json

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import IsNull, Lookup

from . import crypto


class _BlindLookup(Lookup):
    """``<field> = value`` answered as ``<field>_bidx IN (digest under each index key)``."""

    prepare_rhs = False
    can_use_none_as_rhs = False

    def _values(self) -> list:
        return [self.rhs]

    def as_sql(self, compiler, connection):
        if not isinstance(self.lhs, Col) or hasattr(self.rhs, "resolve_expression"):
            raise FieldError(f"An encrypted field is compared with a literal value only (got {self.rhs!r}).")
        field = self.lhs.target
        companion = field.model._meta.get_field(field.blind_index)
        lhs_sql, lhs_params = compiler.compile(Col(self.lhs.alias, companion))
        digests = sorted({d for value in self._values() for d in crypto.blind_indexes(field.index_kind, str(value))})
        if not digests:
            return "1 = 0", []
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(digests))})", [*lhs_params, *digests]


class BlindExact(_BlindLookup):
    lookup_name = "exact"


class BlindIExact(_BlindLookup):
    lookup_name = "iexact"


class BlindIn(_BlindLookup):
    lookup_name = "in"

    def _values(self) -> list:
        return list(self.rhs)


_BLIND = {cls.lookup_name: cls for cls in (BlindExact, BlindIExact, BlindIn)}


class EmptyExact(Lookup):
    """``<field> = ''`` on an encrypted field without an index: an empty value is stored empty."""

    lookup_name = "exact"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if self.rhs != "":
            raise FieldError("This encrypted field has no blind index: it can be compared with '' only.")
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        return f"{lhs_sql} = %s", [*lhs_params, ""]


class EncryptedMixin:
    """Plain text in Python, a Fernet token in a text column. ``blind_index`` names the companion field
    that answers equality lookups; ``index_kind`` (``email``/``phone``) how values are normalised."""

    def __init__(self, *args, blind_index: str | None = None, index_kind: str = "email", **kwargs):
        self.blind_index, self.index_kind = blind_index, index_kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
            kwargs["index_kind"] = self.index_kind
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"  # a token is longer than the plain value's max_length, which still validates input

    def from_db_value(self, value, expression, connection):
        return None if value is None else crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if isinstance(value, str) and value else value

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if self.blind_index and lookup_name in _BLIND:
            return _BLIND[lookup_name]
        return EmptyExact if lookup_name == "exact" else None

    def get_transform(self, lookup_name):
        return None


class EncryptedCharField(EncryptedMixin, models.CharField):
    pass


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    pass


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON document (a chat turn's reply, what the parser understood) stored as one encrypted text."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else None

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else None
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), default=str)

    def formfield(self, **kwargs):
        from django import forms

        return forms.JSONField(**kwargs)


class BlindIndexField(models.CharField):
    """The keyed digest of ``source`` (``crypto.blind_index``), recomputed whenever the model is saved."""

    def __init__(self, *args, source: str, kind: str = "email", **kwargs):
        self.source, self.kind = source, kind
        kwargs.update(max_length=64, editable=False, blank=True, default="")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "editable", "blank", "default"):
            kwargs.pop(key, None)
        kwargs.update(source=self.source, kind=self.kind)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(self.kind, getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def blind_index_fields(model) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def encrypted_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def with_blind_indexes(model, values: dict) -> dict:
    """``values`` for ``QuerySet.update`` plus the companions of the indexed fields among them."""
    extra = {f.name: crypto.blind_index(f.kind, values[f.source] or "") for f in blind_index_fields(model) if f.source in values}
    return {**values, **extra}


class BlindIndexedModel(models.Model):
    """Saves the blind indexes beside their source fields, also under ``save(update_fields=[...])``."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            companions = {f.name for f in blind_index_fields(type(self)) if f.source in set(update_fields)}
            kwargs["update_fields"] = [*update_fields, *sorted(companions - set(update_fields))]
        return super().save(*args, **kwargs)
