"""Re-encrypt every personal field under the newest ``FIELD_ENCRYPTION_KEYS`` key (and the QuickBooks tokens),
recomputing every blind index under ``FIELD_INDEX_KEY``.

Key rotation: put the new key first in ``FIELD_ENCRYPTION_KEYS`` (keep the old one after it), deploy, run this,
then drop the old key. Index-key rotation: set ``FIELD_INDEX_KEY_PREVIOUS`` to the old key and ``FIELD_INDEX_KEY``
to the new one (lookups match either meanwhile), run this with ``--reindex``, then unset the previous key.
Safe to run on a live site (rows are rewritten in short locked batches) and to run again (idempotent).
"""

from __future__ import annotations

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coresync.core import crypto
from coresync.core.pii import personal_models, resave_rows


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest FIELD_ENCRYPTION_KEYS key and recompute the blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="Rows per locked batch (default 500).")
        parser.add_argument("--reindex", action="store_true", help="Say that FIELD_INDEX_KEY changed (the indexes are always recomputed).")

    def handle(self, *args, batch: int, reindex: bool, **options):
        try:
            crypto.key_ring()
        except Exception as exc:  # a malformed key: say so before touching a row
            raise CommandError(str(exc)) from exc
        keys = len(crypto.configured_keys()) or 1
        self.stdout.write(f"Re-encrypting under key 1 of {keys}" + (" and re-indexing under the new FIELD_INDEX_KEY" if reindex else ""))
        models = personal_models(apps)
        started, rows = time.monotonic(), 0
        for position, model in enumerate(models, start=1):
            label = f"[{position}/{len(models)}] {model._meta.label}"

            def progress(done: int, total: int, label=label) -> None:
                self.stdout.write(f"\r{label}: {done:,}/{total:,} rows", ending="")
                self.stdout.flush()

            count = resave_rows(model, batch=batch, progress=progress)
            self.stdout.write(f"\r{label}: {count:,} rows" + " " * 12)
            rows += count
        rows += self._quickbooks_tokens()
        self.stdout.write(self.style.SUCCESS(f"Done: {rows:,} rows in {time.monotonic() - started:.1f} s. The older keys can now be removed."))

    def _quickbooks_tokens(self) -> int:
        from coresync.accounting.models import QuickBooksConnection
        from coresync.accounting.secrets import secret_rotate

        count = 0
        with transaction.atomic():
            for row in QuickBooksConnection.objects.select_for_update():
                row.refresh_token, row.access_token = secret_rotate(row.refresh_token), secret_rotate(row.access_token)
                row.save(update_fields=["refresh_token", "access_token", "updated_at"])
                count += 1
        self.stdout.write(f"QuickBooks connection tokens: {count} rows")
        return count
