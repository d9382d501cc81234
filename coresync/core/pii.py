"""Rewriting the encrypted rows: encrypt what was stored in the clear, re-encrypt under the newest key,
recompute the blind indexes. One routine serves the migrations that turned encryption on and
``manage.py rotate_field_keys``.

Each batch is read ``SELECT … FOR UPDATE`` and written back in the same short transaction, so a change made by
the running site between the read and the write is never overwritten. Tables that are append-only in the
database (the security log) have their append-only trigger paused for the batch: re-encrypting changes no
fact, only its ciphertext.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from django.db import connections, transaction

from . import crypto
from .fields import blind_index_fields, encrypted_fields


def personal_models(apps) -> list:
    """Every model with an encrypted field or a blind index, in a stable order."""
    found = [m for m in apps.get_models() if encrypted_fields(m) or blind_index_fields(m)]
    return sorted(found, key=lambda m: m._meta.label)


@contextmanager
def _append_only_paused(model, using: str):
    connection = connections[using]
    table = model._meta.db_table
    triggers: list[str] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s", [table, "%append_only"])
            triggers = [row[0] for row in cursor.fetchall()]
            for name in triggers:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
    try:
        yield
    finally:
        if triggers:
            with connection.cursor() as cursor:
                for name in triggers:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')


def resave_rows(model, *, using: str = "default", batch: int = 500, progress: Callable[[int, int], None] | None = None) -> int:
    """Write every row's encrypted fields under the newest key and its blind indexes under the current index key.

    Returns the number of rows rewritten; ``progress(done, total)`` is called after each batch.
    """
    encrypted, indexes = encrypted_fields(model), blind_index_fields(model)
    if not encrypted and not indexes:
        return 0
    names = [f.name for f in [*encrypted, *indexes]]
    manager = model._base_manager.db_manager(using)
    total, done, last_pk = manager.count(), 0, None
    while True:
        with transaction.atomic(using=using), _append_only_paused(model, using):
            page = manager.order_by("pk").select_for_update()
            rows = list((page.filter(pk__gt=last_pk) if last_pk is not None else page)[:batch])
            if not rows:
                break
            for row in rows:  # encrypted values are already plain here (read with any key, or stored in the clear)
                for field in indexes:
                    setattr(row, field.attname, crypto.blind_index(field.kind, getattr(row, field.source) or ""))
            manager.bulk_update(rows, names)
        done, last_pk = done + len(rows), rows[-1].pk
        if progress:
            progress(done, total)
    return done


def encrypt_existing(app_label: str, model_name: str):
    """A ``RunPython`` forward step: encrypt the rows a model already has and fill its blind indexes."""

    def forward(apps, schema_editor):
        resave_rows(apps.get_model(app_label, model_name), using=schema_editor.connection.alias)

    return forward


def decrypt_existing(app_label: str, model_name: str, columns: list[str]):
    """The ``RunPython`` backward step: write the plain values back into ``columns`` (raw SQL: the model would
    encrypt them again)."""

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        connection = schema_editor.connection
        table, quote = model._meta.db_table, connection.ops.quote_name
        with _append_only_paused(model, connection.alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT {quote('id')}, {', '.join(quote(c) for c in columns)} FROM {quote(table)}")  # noqa: S608  (names from the model, quoted)
            for pk, *values in cursor.fetchall():
                plain = [crypto.decrypt(v) if isinstance(v, str) else v for v in values]
                assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
                with connection.cursor() as writer:
                    writer.execute(f"UPDATE {quote(table)} SET {assignments} WHERE {quote('id')} = %s", [*plain, pk])  # noqa: S608  (names from the model, quoted)

    return backward
