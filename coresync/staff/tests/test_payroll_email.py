"""Thursday 18:00: the manager gets last week's payroll once, through the outbox, however often beat runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from coresync.celery import collect_beat_schedule
from coresync.notifications.models import EmailLog
from coresync.outbox.services import outbox_deliver, outbox_due
from coresync.staff import payroll_mail
from coresync.technicians.services import worklog_create, worklog_review

pytestmark = pytest.mark.django_db


def test_the_beat_entry_is_thursday_18_00():
    entry = collect_beat_schedule()["staff-payroll-email"]
    assert entry["task"] == "staff.payroll_email"
    assert entry["schedule"].day_of_week == {4} and entry["schedule"].hour == {18} and entry["schedule"].minute == {0}


@override_settings(MANAGER_EMAIL="owner@example.test")
def test_last_weeks_payroll_is_mailed_once(demo_spa):
    technician = demo_spa.tech.technician
    log = worklog_create(technician=technician, day=date(2030, 6, 4), hours="7.5", today=date(2030, 6, 13))
    worklog_review(worklog=log, actor=demo_spa.manager, approve=True)
    thursday = date(2030, 6, 13)
    assert payroll_mail.payroll_email_enqueue(today=thursday) == "2030-W23"
    assert payroll_mail.payroll_email_enqueue(today=thursday) == "2030-W23"  # beat twice: still one message
    from django.utils import timezone

    for key in outbox_due(now=timezone.now()):
        outbox_deliver(key)
    mail = EmailLog.objects.get(kind="payroll_report")
    amount = (Decimal("7.5") * technician.hourly_rate).quantize(Decimal("0.01"))
    assert mail.recipient == "owner@example.test" and "2030-W23" in mail.subject
    assert f"{technician.display_name}: 7.50 h" in mail.body_text and f"${amount:,}" in mail.body_text
    assert "payroll.csv?week=2030-W23" in mail.body_text
