"""Hours: logging (0 < h ≤ 16, not future, one per date, own only), edits while pending, review, payroll in Decimal."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from coresync.technicians.models import WorkLog
from coresync.technicians.services import payroll_for_week, worklog_create, worklog_review
from coresync.technicians.tests.factories import TechnicianFactory

pytestmark = pytest.mark.django_db
TODAY = date(2030, 6, 5)  # a Wednesday


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel("2030-06-05 15:00 -04:00", tick=False):
        yield


def _post(client, **body):
    return client.post("/api/v1/technicians/me/worklogs/", body, format="json")


def test_a_technician_logs_7_5_hours_and_sees_them_pending(demo_spa, client_for):
    response = _post(client_for(demo_spa.tech), date="2030-06-04", hours="7.5", note="late client")
    assert response.status_code == 201
    body = response.json()
    assert body["hours"] == "7.50" and body["status"] == "pending" and body["date"] == "2030-06-04"
    log = WorkLog.objects.get(pk=body["id"])
    assert log.technician.user == demo_spa.tech and log.hours == Decimal("7.50")
    assert log.history[0]["action"] == "logged"
    me = client_for(demo_spa.tech).get("/api/v1/technicians/me/").json()
    assert me["week_hours"] == "7.50" and me["name"] and "skills" in me


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"date": "2030-06-04", "hours": "0"}, 400, "validation_error"),
        ({"date": "2030-06-04", "hours": "-2"}, 400, "validation_error"),
        ({"date": "2030-06-04", "hours": "16.01"}, 400, "validation_error"),
        ({"date": "2030-06-04", "hours": "NaN"}, 400, "validation_error"),
        ({"date": "2030-06-04", "hours": "seven"}, 400, "validation_error"),
        ({"date": "2030-06-06", "hours": "4"}, 400, "validation_error"),  # tomorrow
        ({"date": "not-a-date", "hours": "4"}, 400, "validation_error"),
    ],
)
def test_bad_hours_are_refused_in_the_spec_shape(demo_spa, client_for, body, status, code):
    response = _post(client_for(demo_spa.tech), **body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not WorkLog.objects.exists()


def test_sixteen_hours_is_the_most(demo_spa, client_for):
    assert _post(client_for(demo_spa.tech), date="2030-06-04", hours="16").status_code == 201


def test_twice_for_a_date_is_409(demo_spa, client_for):
    client = client_for(demo_spa.tech)
    assert _post(client, date="2030-06-04", hours="4").status_code == 201
    second = _post(client, date="2030-06-04", hours="5")
    assert second.status_code == 409 and second.json()["error"]["code"] == "worklog_exists"
    assert WorkLog.objects.get().hours == Decimal("4.00")


def test_on_another_technicians_behalf_is_403(demo_spa, client_for):
    other = next(t for t in demo_spa.technicians.values() if t.user_id != demo_spa.tech.pk)
    response = _post(client_for(demo_spa.tech), date="2030-06-04", hours="4", technician=other.pk)
    assert response.status_code == 403
    mine = WorkLog.objects.create(technician=other, date=TODAY, hours=Decimal("3"))
    edit = client_for(demo_spa.tech).patch(f"/api/v1/technicians/me/worklogs/{mine.pk}/", {"hours": "9"}, format="json")
    assert edit.status_code == 403
    mine.refresh_from_db()
    assert mine.hours == Decimal("3.00")


def test_edits_only_while_pending(demo_spa, client_for):
    client = client_for(demo_spa.tech)
    log_id = _post(client, date="2030-06-04", hours="4").json()["id"]
    assert client.patch(f"/api/v1/technicians/me/worklogs/{log_id}/", {"hours": "6"}, format="json").json()["hours"] == "6.00"
    manager = client_for(demo_spa.manager)
    approved = manager.post(f"/api/v1/manager/worklogs/{log_id}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    late = client.patch(f"/api/v1/technicians/me/worklogs/{log_id}/", {"hours": "8"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "worklog_locked"
    log = WorkLog.objects.get(pk=log_id)
    assert log.hours == Decimal("6.00") and log.reviewed_by == demo_spa.manager
    assert [entry["action"] for entry in log.history] == ["logged", "edited", "approved"]


def test_a_rejection_needs_a_reason_and_is_audited(demo_spa, client_for):
    log_id = _post(client_for(demo_spa.tech), date="2030-06-04", hours="4").json()["id"]
    manager = client_for(demo_spa.manager)
    assert manager.post(f"/api/v1/manager/worklogs/{log_id}/reject/", {}, format="json").status_code == 400
    rejected = manager.post(f"/api/v1/manager/worklogs/{log_id}/reject/", {"reason": "You were off that day"}, format="json")
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "You were off that day"
    assert rejected.json()["history"][-1]["by"] == demo_spa.manager.email
    pending = manager.get("/api/v1/manager/worklogs/?status=pending").json()["worklogs"]
    assert log_id not in [w["id"] for w in pending]
    assert manager.get("/api/v1/manager/worklogs/?status=nonsense").status_code == 400


def test_payroll_is_approved_hours_times_rate_in_decimal(demo_spa, client_for):
    a = TechnicianFactory(location=demo_spa.location, display_name="Aa Payroll", hourly_rate=Decimal("33.33"))
    b = TechnicianFactory(location=demo_spa.location, display_name="Ab Payroll", hourly_rate=Decimal("25.10"))
    monday = date(2030, 6, 3)
    for technician, day, hours in [(a, 0, "7.25"), (a, 1, "0.10"), (b, 2, "8"), (b, 1, "3")]:
        worklog_create(technician=technician, day=monday + timedelta(days=day), hours=hours, today=TODAY)
    for log in WorkLog.objects.exclude(technician=b, hours=Decimal("3")):
        worklog_review(worklog=log, actor=demo_spa.manager, approve=True)
    worklog_create(technician=a, day=monday - timedelta(days=1), hours="9", today=TODAY)  # the Sunday before: another week
    payroll = payroll_for_week(monday=monday)
    assert [(r.name, r.hours, r.amount) for r in payroll.rows] == [
        ("Aa Payroll", Decimal("7.35"), Decimal("244.98")),  # 7.35 × 33.33 = 244.9755 → half-up
        ("Ab Payroll", Decimal("8.00"), Decimal("200.80")),  # the pending 3 h are not paid
    ]
    assert payroll.total == Decimal("445.78")

    response = client_for(demo_spa.manager).get("/api/v1/manager/payroll.csv?week=2030-W23")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["week", "technician_id", "technician", "approved_hours", "hourly_rate", "amount"]
    assert rows[1][2:] == ["Aa Payroll", "7.35", "33.33", "244.98"]
    assert rows[-1] == ["2030-W23", "", "TOTAL", "15.35", "", "445.78"]


@pytest.mark.parametrize("week", ["2030-23", "2030-W60", "", "W23-2030"])
def test_payroll_needs_a_real_iso_week(demo_spa, client_for, week):
    response = client_for(demo_spa.manager).get("/api/v1/manager/payroll.csv", {"week": week})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
