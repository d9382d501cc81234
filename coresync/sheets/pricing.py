"""Prices from the owner's pricing sheet: one ``batch_get``, the importer's all-or-nothing check, a kept version.

A bad sheet (a typo, a missing tab, a renamed column) or Google saying 429 keeps the
last good prices; the manager is told once when the sync starts failing and not on
each 5-minute run after that (``integrations.health``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from coresync.audit.context import Channel, audit_context
from coresync.catalog.models import AddOn, Price, Service
from coresync.catalog.pricing_import import SERVICE_COLUMNS, ImportReport, pricing_import
from coresync.core.errors import ProviderError
from coresync.integrations.google import sheets
from coresync.integrations.health import sync_failed, sync_succeeded
from coresync.integrations.models import PriceVersion
from coresync.memberships.models import MembershipTier
from coresync.memberships.pricing_tab import TIER_COLUMNS, TIERS_TAB
from coresync.outbox.services import outbox_enqueue

logger = logging.getLogger(__name__)
PRICE_TABS = ("Massages", "Facials", "Barber", "Mani_Pedi")
PRICING_TABS = (*PRICE_TABS, TIERS_TAB)
HEALTH_NAME = "pricing_sheet"


@dataclass
class PricingSyncResult:
    ok: bool
    changes: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: PriceVersion | None = None
    report: ImportReport | None = None


def rows_to_tabs(values: dict[str, list[list[str]]]) -> tuple[dict[str, list[dict]], list[str]]:
    """Sheets' ``[[header…], [cells…]]`` per tab → the importer's ``{tab: [row dict]}``; plus what is missing."""
    tabs: dict[str, list[dict]] = {}
    errors: list[str] = []
    for tab in PRICING_TABS:
        rows = values.get(tab) or []
        if not rows:
            errors.append(f"{tab}: the tab is missing or empty.")
            continue
        header = [str(cell).strip() for cell in rows[0]]
        expected = TIER_COLUMNS if tab == TIERS_TAB else SERVICE_COLUMNS
        missing = [column for column in expected if column not in header]
        if missing:
            errors.append(f"{tab}: missing column(s) {', '.join(missing)}.")
            continue
        tabs[tab] = [
            {name: (str(row[i]).strip() if i < len(row) else "") for i, name in enumerate(header) if name}
            for row in rows[1:] if any(str(cell).strip() for cell in row)
        ]
    return tabs, errors


def price_snapshot() -> dict[str, str]:
    """Every price, duration and tier price as ``{"<item> · <column>": "<value>"}`` (a few queries)."""
    snapshot: dict[str, str] = {}
    for price in Price.objects.select_related("service", "addon"):
        item = price.service.name if price.service_id else f"{price.addon.name} (add-on)"
        snapshot[f"{item} · {price.column}"] = f"{price.amount:.2f}"
    for name, minutes in Service.objects.values_list("name", "duration_minutes"):
        snapshot[f"{name} · minutes"] = str(minutes)
    for name, minutes in AddOn.objects.values_list("name", "extra_minutes"):
        snapshot[f"{name} (add-on) · minutes"] = str(minutes)
    for tier in MembershipTier.objects.all():
        snapshot[f"{tier.name} (tier) · monthly"] = f"{Decimal(tier.monthly_price):.2f}"
        snapshot[f"{tier.name} (tier) · benefits"] = tier.benefits.strip()
    return snapshot


def snapshot_diff(before: dict[str, str], after: dict[str, str]) -> list[dict]:
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            item, _, column = key.rpartition(" · ")
            changes.append({"item": item, "column": column, "old": before.get(key), "new": after.get(key)})
    return changes


def pricing_apply(tabs: dict[str, list[dict]], *, source: str, actor: str, dry_run: bool = False) -> PricingSyncResult:
    """Validate and (unless ``dry_run``) write; an accepted change is kept as a ``PriceVersion``."""
    if source == "admin":  # a person in the admin: the request's audit context says who
        return _pricing_apply(tabs, source=source, actor=actor, dry_run=dry_run)
    with audit_context(channel=Channel.SHEET if "sheet" in source else Channel.SYSTEM, actor_label=source[:120]):
        return _pricing_apply(tabs, source=source, actor=actor, dry_run=dry_run)


def _pricing_apply(tabs: dict[str, list[dict]], *, source: str, actor: str, dry_run: bool) -> PricingSyncResult:
    with transaction.atomic():
        before = price_snapshot()
        report = pricing_import(tabs)
        if not report.ok:
            return PricingSyncResult(ok=False, errors=report.errors, report=report)
        after = price_snapshot()
        changes = snapshot_diff(before, after)
        version = None
        if changes and not dry_run:
            summary = f"{len(changes)} change(s) from the {source}: " + "; ".join(
                f"{c['item']} {c['column']} {c['old']} → {c['new']}" for c in changes[:3]
            ) + ("…" if len(changes) > 3 else "")
            version = PriceVersion.objects.create(source=source, actor=actor[:200], summary=summary[:300], changes=changes, snapshot=after)
        if dry_run:
            transaction.set_rollback(True)
    return PricingSyncResult(ok=True, changes=changes, version=version, report=report)


def pricing_sheet_sync(*, actor: str = "schedule", dry_run: bool = False) -> PricingSyncResult:
    """Read the pricing sheet now and apply it, or keep the last good prices and tell the manager (once)."""
    if not settings.GOOGLE_SHEETS_PRICING_ID:
        return PricingSyncResult(ok=False, errors=["GOOGLE_SHEETS_PRICING_ID is not set."])
    try:
        values = sheets.tabs_read(settings.GOOGLE_SHEETS_PRICING_ID, list(PRICING_TABS))
    except ProviderError as error:
        why = "Google asked us to slow down (429); the next run tries again" if error.status == 429 else str(error)
        return _failed([why])
    tabs, errors = rows_to_tabs(values)
    if errors:
        return _failed(errors)
    result = pricing_apply(tabs, source="pricing sheet", actor=actor, dry_run=dry_run)
    if not result.ok:
        return _failed(result.errors)
    if not dry_run:
        sync_succeeded(HEALTH_NAME)
    return result


def _failed(errors: list[str]) -> PricingSyncResult:
    logger.warning("pricing sheet not applied (last good prices kept): %s", "; ".join(errors)[:500])
    health = sync_failed(HEALTH_NAME, "\n".join(errors))
    if health is not None:
        outbox_enqueue(
            kind="email.sync_notice",
            dedupe_key=f"sync-failing:{HEALTH_NAME}:{health.failing_since.isoformat()}",
            payload={
                "title": "The pricing sheet could not be applied; the last good prices stay live",
                "lines": ["Nothing changed in CoreSync. Fix the sheet and it is picked up within 5 minutes:", *errors[:20]],
                "link": f"https://docs.google.com/spreadsheets/d/{settings.GOOGLE_SHEETS_PRICING_ID}/edit",
                "link_label": "Open the pricing sheet",
            },
        )
    return PricingSyncResult(ok=False, errors=errors)
