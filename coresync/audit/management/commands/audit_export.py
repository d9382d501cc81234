"""``manage.py audit_export [--log changes|security] [--since DATE] [--until DATE] [--output FILE]``: JSON lines, oldest first."""

from __future__ import annotations

import json
import sys
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from coresync.audit.models import ChangeRecord, SecurityEvent


def _day(text: str | None, *, end: bool = False):
    if not text:
        return None
    day = parse_date(text)
    if day is None:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}")
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


class Command(BaseCommand):
    help = "Export the change history or the security log as JSON lines (for an archive or an auditor)."

    def add_arguments(self, parser):
        parser.add_argument("--log", choices=["changes", "security"], default="changes")
        parser.add_argument("--since", help="First day (YYYY-MM-DD), inclusive.")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD), inclusive.")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, log, since, until, output, **options):
        since, until = _day(since), _day(until, end=True)
        if log == "changes":
            rows = ChangeRecord.objects.select_related("content_type", "parent_type").order_by("at", "id")
            field = "at"
        else:
            rows = SecurityEvent.objects.order_by("created_at", "id")
            field = "created_at"
        if since:
            rows = rows.filter(**{f"{field}__gte": since})
        if until:
            rows = rows.filter(**{f"{field}__lte": until})
        out = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        count = 0
        try:
            for row in rows.iterator(chunk_size=2000):
                out.write(json.dumps(self._line(row), default=str) + "\n")
                count += 1
        finally:
            if output:
                out.close()
        self.stderr.write(f"{count} {log} row(s) exported.")

    @staticmethod
    def _line(row) -> dict:
        if isinstance(row, ChangeRecord):
            return {"id": row.pk, "at": row.at.isoformat(), "model": f"{row.content_type.app_label}.{row.content_type.model}",
                    "object_id": row.object_id, "action": row.action, "changes": row.changes, "actor_id": row.actor_id,
                    "actor_label": row.actor_label, "channel": row.channel, "request_id": row.request_id,
                    "parent": f"{row.parent_type.app_label}.{row.parent_type.model}:{row.parent_id}" if row.parent_type_id else ""}  # fmt: skip
        return {"id": row.pk, "at": row.created_at.isoformat(), "kind": row.kind, "actor_id": row.actor_id, "actor_label": row.actor_label,
                "ip": row.ip, "request_id": row.request_id, "detail": row.detail}  # fmt: skip
