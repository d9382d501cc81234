"""The queue and hours sheets: a whole mirror in two requests, backoff on 429, the request budget under Sheets' quota."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from coresync.integrations.google.sheets import RequestBudget
from coresync.outbox.services import outbox_enqueue
from coresync.sheets import hours, queue
from coresync.technicians.models import WorkLog

from .conftest import HOURS_ID, QUEUE_ID

pytestmark = pytest.mark.django_db


def test_the_queue_sheet_mirrors_the_outbox_in_two_requests(fake_sheets, demo_spa):
    fake_sheets.books[QUEUE_ID] = {tab: [] for tab in queue.TABS}
    outbox_enqueue(kind="email.test", dedupe_key="waiting-1", delay=timedelta(minutes=5))

    assert queue.queue_sheet_mirror() == "written"
    assert [c.path.rsplit("/", 1)[-1] for c in fake_sheets.api_calls()] == ["values:batchClear", "values:batchUpdate"]
    pending = fake_sheets.books[QUEUE_ID]["Pending"]
    assert pending[0] == queue.TABS["Pending"] and any(row[2] == "waiting-1" for row in pending[1:])


def test_a_429_backs_off_doubling_and_sends_nothing_while_waiting(fake_sheets, demo_spa):
    fake_sheets.books[QUEUE_ID] = {tab: [] for tab in queue.TABS}
    fake_sheets.failures.append(429)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert queue.queue_sheet_mirror() == "failed"
        sent = len(fake_sheets.api_calls())
        assert queue.queue_sheet_mirror() == "backing off"  # the next minute's run does not knock
        assert len(fake_sheets.api_calls()) == sent
    fake_sheets.failures.append(429)
    with time_machine.travel(start + timedelta(seconds=queue.BACKOFF_START + 1), tick=False):
        assert queue.queue_sheet_mirror() == "failed"  # tried again after the pause; 429 again
    with time_machine.travel(start + timedelta(seconds=queue.BACKOFF_START + 60), tick=False):
        assert queue.queue_sheet_mirror() == "backing off"  # the pause doubled to 2 minutes
    with time_machine.travel(start + timedelta(seconds=3 * queue.BACKOFF_START + 2), tick=False):
        assert queue.queue_sheet_mirror() == "written"
        assert queue.queue_sheet_mirror() == "written"  # and a success clears the pause


def test_the_request_budget_keeps_under_the_quota_by_waiting():
    clock = {"now": 0.0}
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    budget = RequestBudget(limit=3, window=60, clock=lambda: clock["now"], sleep=sleep)
    for _ in range(3):
        assert budget.take() == 0
        clock["now"] += 1
    assert budget.take() == pytest.approx(57)  # the 4th waits until the first leaves the minute
    assert slept == [pytest.approx(57)]


def test_every_sheets_request_takes_from_the_budget(fake_sheets, demo_spa, monkeypatch):
    from coresync.integrations.google import sheets

    taken = []
    monkeypatch.setattr(sheets.budget, "take", lambda: taken.append(1) or 0.0)
    fake_sheets.books[QUEUE_ID] = {tab: [] for tab in queue.TABS}
    queue.queue_sheet_mirror()
    assert len(taken) == len(fake_sheets.api_calls()) == 2


def test_the_schedule_template_writes_the_four_tabs_and_headers_then_fills_them(fake_sheets, demo_spa):
    fake_sheets.books[HOURS_ID] = {"Sheet1": []}
    fake_sheets.books[QUEUE_ID] = {"Pending": []}
    technician = next(iter(demo_spa.technicians.values()))
    log = WorkLog.objects.create(technician=technician, date=timezone.localdate() - timedelta(days=1), hours=Decimal("7.50"), note="Open")
    out = StringIO()

    call_command("create_technician_schedule_template", "--fill", stdout=out)

    book = fake_sheets.books[HOURS_ID]
    assert list(book) == ["Sheet1", "Technicians", "Hours", "Bookings", "Availability"]
    for tab, header in hours.TABS.items():
        assert book[tab][0] == header
    assert [row for row in book["Hours"][1:] if row[0] == str(log.pk)] == [
        [str(log.pk), technician.display_name, log.date.isoformat(), "7.50", "pending", "Open", "", ""]
    ]
    assert any(row[1] == technician.display_name for row in book["Technicians"][1:])
    assert list(fake_sheets.books[QUEUE_ID]) == ["Pending", "Synced", "Errors"]
    assert "added Technicians, Hours, Bookings, Availability" in out.getvalue()


def test_an_edited_work_log_is_updated_in_place_not_duplicated(fake_sheets, demo_spa):
    fake_sheets.books[HOURS_ID] = {tab: [] for tab in hours.TABS}
    technician = next(iter(demo_spa.technicians.values()))
    log = WorkLog.objects.create(technician=technician, date=date.today() - timedelta(days=2), hours=Decimal("6"))
    hours.hours_sheet_mirror()
    WorkLog.objects.filter(pk=log.pk).update(hours=Decimal("8"), status="approved")
    assert hours.hours_sheet_mirror() == "written"
    rows = [row for row in fake_sheets.books[HOURS_ID]["Hours"] if row[0] == str(log.pk)]
    assert len(rows) == 1 and rows[0][3:5] == ["8.00", "approved"]
