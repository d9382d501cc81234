"""The accounting e-mails to the manager and the owner: the reconcile report, a disconnected company, a missing mapping.

Composed here from plain facts (``*_compose`` are pure: the golden test renders
them), sent once per dedupe key through the e-mail log
(``notifications.services.message_email_send``), which retries the mail provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string

from coresync.core.formatting import format_money
from coresync.notifications.emails import ComposedEmail
from coresync.notifications.services import message_email_send

RECONCILE_REPORT, DISCONNECTED, MAPPING_MISSING = "reconcile_report", "quickbooks_disconnected", "mapping_missing"


@dataclass(frozen=True)
class DiscrepancyLine:
    kind: str
    receipt: str
    expected: str
    actual: str


@dataclass(frozen=True)
class ReportFacts:
    to: str
    day: str
    provider: str
    payments_checked: int
    receipts_checked: int
    lines: tuple[DiscrepancyLine, ...] = field(default_factory=tuple)
    admin_url: str = ""


def _compose(kind: str, *, to: str, subject: str, context: dict) -> ComposedEmail:
    context.update(subject=subject, site_url=settings.SITE_URL)
    return ComposedEmail(kind=kind, to=to, subject=subject,
                         text=re.sub(r"\n{3,}", "\n\n", render_to_string(f"accounting/emails/{kind}.txt", context)).strip() + "\n",
                         html=render_to_string(f"accounting/emails/{kind}.html", context))


def reconcile_report_compose(facts: ReportFacts) -> ComposedEmail:
    count = len(facts.lines)
    subject = (f"Books reconciled for {facts.day}: everything matches" if not count
               else f"Books for {facts.day}: {count} difference{'s' if count != 1 else ''} to check")
    return _compose(RECONCILE_REPORT, to=facts.to, subject=subject, context={"report": facts, "count": count})


def disconnected_compose(*, to: str, realm_id: str, error: str) -> ComposedEmail:
    return _compose(DISCONNECTED, to=to, subject="QuickBooks is disconnected: receipts are waiting",
                    context={"realm_id": realm_id, "error": error, "command": "python manage.py quickbooks_connect"})


def mapping_missing_compose(*, to: str, name: str, admin_url: str) -> ComposedEmail:
    return _compose(MAPPING_MISSING, to=to, subject=f"QuickBooks: “{name}” has no item mapping yet",
                    context={"name": name, "admin_url": admin_url})


def _amount(value, tax) -> str:
    return "—" if value is None else f"{format_money(value)} (tax {format_money(tax or 0)})"


def report_facts(report) -> ReportFacts:
    lines = tuple(DiscrepancyLine(kind=row.get_kind_display(), receipt=f"{row.receipt_kind} {row.doc_number} (payment {row.payment_ref})",
                                  expected=_amount(row.expected_total, row.expected_tax), actual=_amount(row.actual_total, row.actual_tax))
                  for row in report.discrepancies.all())
    return ReportFacts(to=settings.MANAGER_EMAIL, day=report.day.isoformat(), provider=report.provider,
                       payments_checked=report.payments_checked, receipts_checked=report.receipts_checked, lines=lines,
                       admin_url=f"{settings.SITE_URL}/admin/accounting/reconcilereport/{report.pk}/change/")


def accounting_email_send(*, dedupe_key: str, kind: str, report_id: int | None = None, connection_id: int | None = None,
                          name: str = "") -> None:
    from .models import QuickBooksConnection, ReconcileReport

    if kind == RECONCILE_REPORT:
        composed = reconcile_report_compose(report_facts(ReconcileReport.objects.get(pk=report_id)))
    elif kind == DISCONNECTED:
        row = QuickBooksConnection.objects.get(pk=connection_id)
        composed = disconnected_compose(to=settings.QUICKBOOKS_OWNER_EMAIL or settings.MANAGER_EMAIL, realm_id=row.realm_id,
                                        error=row.last_error)
    else:
        composed = mapping_missing_compose(to=settings.MANAGER_EMAIL, name=name,
                                           admin_url=f"{settings.SITE_URL}/admin/accounting/itemmapping/add/")
    message_email_send(dedupe_key=dedupe_key, composed=composed)
