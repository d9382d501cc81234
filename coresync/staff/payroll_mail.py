"""The manager's payroll e-mail, Thursday 18:00 (beat, spa zone): the last complete ISO week, once per week.

The beat task writes an outbox row keyed by the week (running twice, or on two
beat processes, makes one row); the handler composes the figures at delivery
and sends them through the e-mail log, itself once per key.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from coresync.core.formatting import format_money
from coresync.notifications.emails import ComposedEmail
from coresync.notifications.models import EmailKind
from coresync.notifications.services import message_email_send
from coresync.outbox.services import outbox_enqueue
from coresync.technicians.services import Payroll, parse_week, payroll_csv, payroll_for_week, week_label

KIND = EmailKind.PAYROLL_REPORT


def last_complete_week(today: date) -> date:
    """The Monday of the ISO week before the one ``today`` is in."""
    return today - timedelta(days=today.weekday() + 7)


def payroll_email_enqueue(*, today: date | None = None) -> str:
    week = week_label(last_complete_week(today or timezone.localdate()))
    with transaction.atomic():
        outbox_enqueue(kind="staff.payroll_email", dedupe_key=f"payroll:{week}", payload={"week": week})
    return week


def compose_payroll(payroll: Payroll, *, to: str, csv_url: str) -> ComposedEmail:
    subject = f"Payroll {payroll.week}: {format_money(payroll.total, 'USD')} for {payroll.total_hours} approved hours"
    rows = [{"name": r.name, "hours": r.hours, "rate": format_money(r.rate, "USD"), "amount": format_money(r.amount, "USD"),
             "line": f"{format_money(r.amount, 'USD')}\n{r.hours} h × {format_money(r.rate, 'USD')}"} for r in payroll.rows]
    context = {"payroll": payroll, "rows": rows, "total": format_money(payroll.total, "USD"),
               "total_line": f"{format_money(payroll.total, 'USD')}\n{payroll.total_hours} approved hours", "csv_url": csv_url,
               "csv": payroll_csv(payroll), "subject": subject, "site_url": settings.SITE_URL, "kind": KIND,
               "place": {"name": "CoreSync Spa"}, "preheader": f"Approved hours × rate, week {payroll.week}."}
    return ComposedEmail(
        kind=KIND, to=to, subject=subject,
        text=render_to_string("emails/payroll_report.txt", context).strip() + "\n",
        html=render_to_string("emails/payroll_report.html", context),
    )


def payroll_email_send(*, week: str, dedupe_key: str):
    payroll = payroll_for_week(monday=parse_week(week))
    composed = compose_payroll(payroll, to=settings.MANAGER_EMAIL,
                               csv_url=f"{settings.SITE_URL}/api/v1/manager/payroll.csv?week={payroll.week}")
    return message_email_send(dedupe_key=dedupe_key, composed=composed)


def sample_payroll_email() -> ComposedEmail:
    """The payroll e-mail from sample figures (the manager's preview, the screenshot test)."""
    from decimal import Decimal

    from coresync.technicians.services import PayrollRow

    payroll = Payroll(week="2031-W45", rows=[
        PayrollRow(technician_id=3, name="Daniel Cho", hours=Decimal("31.50"), rate=Decimal("36.00"), amount=Decimal("1134.00")),
        PayrollRow(technician_id=1, name="Maya Rivera", hours=Decimal("37.50"), rate=Decimal("38.00"), amount=Decimal("1425.00")),
    ])
    return compose_payroll(payroll, to=settings.MANAGER_EMAIL, csv_url=f"{settings.SITE_URL}/api/v1/manager/payroll.csv?week=2031-W45")
