"""The change history: each change through its real path is one ChangeRecord with the diff, who, the channel and the request id.

Prices and settings through the admin, work logs, schedules and time off through the staff portal, prices from the
sheet; personal fields by name only; a save that changes nothing records nothing; nothing rewrites a record.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from coresync.audit.context import Channel, audit_context
from coresync.audit.models import AppendOnly, ChangeAction, ChangeRecord, SecurityEvent, SecurityKind
from coresync.catalog.models import Location, OpeningHours, Price
from coresync.technicians.models import ReviewStatus, Technician, TimeOff, WeeklyShift, WorkLog

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def records(obj) -> list[ChangeRecord]:
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return list(ChangeRecord.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("id"))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _plain(value):
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _fields(form) -> dict:
    from django.forms.widgets import MultiWidget

    data = {}
    for name, field in form.fields.items():
        if getattr(field, "disabled", False) or getattr(field.widget, "read_only", False):
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(field.widget, MultiWidget):  # a split date and time: one input per part
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{form.add_prefix(name)}_{i}"] = "" if part is None else str(part)
            continue
        if value is False:
            continue  # an unticked box is not sent
        data[form.add_prefix(name)] = "on" if value is True else _plain(value)
    return data


def admin_form(client: Client, url: str) -> dict:
    """What the admin's change page would send back unchanged: the form and its inline formsets."""
    page = client.get(url)
    assert page.status_code == 200
    data = _fields(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        for form in formset.forms:
            data |= _fields(form)
    return data


# --- prices and settings in the admin ---------------------------------------------------------------------------------


def test_a_price_changed_in_the_admin_is_one_record_with_old_and_new_who_channel_and_request_id(demo_spa):
    price = Price.objects.filter(service__isnull=False).first()
    manager = signed_in(demo_spa.manager)
    url = reverse("admin:catalog_price_change", args=[price.pk])
    before = len(records(price))
    response = manager.post(url, {**admin_form(manager, url), "amount": "321.00"}, HTTP_X_REQUEST_ID="req-price-1")
    assert response.status_code == 302
    [record] = records(price)[before:]
    assert record.action == ChangeAction.UPDATE and record.changes == {"amount": {"old": str(price.amount), "new": "321.00"}}
    assert record.actor == demo_spa.manager and record.actor_label == "" and record.channel == Channel.ADMIN
    assert record.request_id == "req-price-1"
    assert record.parent_type == ContentType.objects.get_for_model(price.service) and record.parent_id == str(price.service_id)


def test_saving_the_admin_form_unchanged_records_nothing(demo_spa):
    price = Price.objects.filter(service__isnull=False).first()
    manager = signed_in(demo_spa.manager)
    url = reverse("admin:catalog_price_change", args=[price.pk])
    before = ChangeRecord.objects.count()
    assert manager.post(url, admin_form(manager, url)).status_code == 302
    price.save()  # and a plain save of a row as loaded
    assert ChangeRecord.objects.count() == before


def test_a_location_edited_in_the_admin_is_recorded_and_is_a_settings_change_in_the_security_log(demo_spa):
    location = demo_spa.location
    manager = signed_in(demo_spa.manager)
    url = reverse("admin:catalog_location_change", args=[location.pk])
    before = len(records(location))
    response = manager.post(url, {**admin_form(manager, url), "free_cancellation_hours": "48", "phone": "+1 212 555 0199"},
                            HTTP_X_REQUEST_ID="req-settings-1")  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    [record] = records(location)[before:]
    assert record.changes["free_cancellation_hours"] == {"old": location.free_cancellation_hours, "new": 48}
    assert set(record.changes) == {"free_cancellation_hours", "phone"}
    event = SecurityEvent.objects.get(kind=SecurityKind.SETTINGS_CHANGE, request_id="req-settings-1")
    assert event.actor == demo_spa.manager and event.detail["model"] == "catalog.Location"
    assert event.detail["fields"] == ["free_cancellation_hours", "phone"]


def test_opening_hours_changed_in_a_location_inline_belong_to_the_locations_history(demo_spa):
    location = demo_spa.location
    hours = OpeningHours.objects.filter(location=location).order_by("weekday").first()
    manager = signed_in(demo_spa.manager)
    url = reverse("admin:catalog_location_change", args=[location.pk])
    data = admin_form(manager, url)
    key = next(k for k, v in data.items() if k.endswith("-id") and v == hours.pk).removesuffix("-id")
    assert manager.post(url, {**data, f"{key}-closes": "23:00"}).status_code == 302
    [record] = records(hours)[-1:]
    assert record.changes == {"closes": {"old": hours.closes.isoformat(), "new": "23:00:00"}}
    assert (record.parent_type.model, record.parent_id) == ("location", str(location.pk))
    history = manager.get(
        reverse("admin:audit_changerecord_changelist"), {"parent_type": record.parent_type_id, "parent_id": location.pk}
    )
    assert history.status_code == 200 and "23:00:00" in history.content.decode()


def test_the_admin_pages_of_audited_rows_link_to_their_history_for_managers_only(demo_spa):
    price = Price.objects.filter(service__isnull=False).first()
    url = reverse("admin:catalog_price_change", args=[price.pk])
    history = reverse("admin:audit_changerecord_changelist")
    assert history in signed_in(demo_spa.manager).get(url).content.decode()
    clerk = demo_spa.tech
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_price", "view_changerecord", "change_price"]))
    as_clerk = signed_in(clerk)
    assert as_clerk.get(url).status_code == 200 and history not in as_clerk.get(url).content.decode()
    assert as_clerk.get(history).status_code == 403


# --- work logs, schedules and time off in the staff portal ------------------------------------------------------------

TODAY = date(2030, 6, 5)
NOW = datetime(2030, 6, 5, 14, 30, tzinfo=NY)


@pytest.fixture
def maya(demo_spa):
    return demo_spa.technicians["Maya Rivera"]


@time_machine.travel(NOW, tick=False)
def test_hours_logged_in_the_portal_record_the_note_by_name_only(demo_spa, maya):
    response = signed_in(demo_spa.tech).post("/portal/hours/", {"date": "2030-06-05", "hours": "7.5", "note": "Nut allergy client"},
                                             HTTP_X_REQUEST_ID="req-hours-1")  # fmt: skip
    assert response.status_code == 302
    log = WorkLog.objects.get(technician=maya, date=TODAY)
    [record] = records(log)
    assert record.action == ChangeAction.CREATE and record.channel == Channel.PORTAL and record.actor == demo_spa.tech
    assert record.changes["hours"] == {"old": None, "new": "7.50"} and record.changes["note"] == {"personal": True}
    assert "Nut allergy" not in str(record.changes) and record.request_id == "req-hours-1"
    assert "history" not in record.changes


@time_machine.travel(NOW, tick=False)
def test_the_managers_approval_is_one_record_and_shows_on_the_hours_page(demo_spa, maya):
    log = WorkLog.objects.create(technician=maya, date=date(2030, 6, 4), hours=Decimal("7.50"), history=[])
    manager = signed_in(demo_spa.manager)
    assert manager.post(f"/manager/hours/{log.pk}/approve/", HTTP_X_REQUEST_ID="req-approve-1").status_code == 302
    created, approved = records(log)
    assert created.action == ChangeAction.CREATE and created.channel == Channel.SYSTEM and created.actor is None
    assert approved.action == ChangeAction.UPDATE and approved.actor == demo_spa.manager and approved.channel == Channel.PORTAL
    assert approved.changes["status"] == {"old": ReviewStatus.PENDING, "new": ReviewStatus.APPROVED}
    assert approved.changes["reviewed_by"] == {"old": None, "new": demo_spa.manager.pk}
    assert set(approved.changes) == {"status", "reviewed_by", "reviewed_at"} and approved.request_id == "req-approve-1"
    page = manager.get("/manager/hours/?week=2030-W23").content.decode()
    assert f'id="worklog-{log.pk}-history"' in page and "pending → approved" in page


@time_machine.travel(NOW, tick=False)
def test_a_weekly_schedule_saved_in_the_portal_is_one_record_on_the_technician(demo_spa, maya):
    before = len(records(maya))
    changes_before = ChangeRecord.objects.count()
    mornings = {f"start_{d}_0": "09:00" for d in range(5)} | {f"end_{d}_0": "13:00" for d in range(5)}
    evenings = {**mornings, "start_2_0": "12:00", "end_2_0": "21:00"}
    assert signed_in(demo_spa.tech).post("/portal/availability/", {"action": "weekly", **evenings}).status_code == 302
    [record] = records(maya)[before:]
    assert ChangeRecord.objects.count() == changes_before + 1  # not one per shift row removed
    assert record.changes["weekly_shifts"]["new"] == [
        "0 09:00-13:00",
        "1 09:00-13:00",
        "2 12:00-21:00",
        "3 09:00-13:00",
        "4 09:00-13:00",
    ]
    assert record.actor == demo_spa.tech and record.channel == Channel.PORTAL
    assert signed_in(demo_spa.tech).post("/portal/availability/", {"action": "weekly", **evenings}).status_code == 302
    assert len(records(maya)) == before + 1  # the same week again changes nothing


@time_machine.travel(NOW, tick=False)
def test_time_off_requested_and_reviewed_keeps_the_reason_out(demo_spa, maya):
    body = {"start_date": "2030-06-20", "start_time": "09:00", "end_date": "2030-06-20", "end_time": "17:00", "reason": "surgery"}
    assert signed_in(demo_spa.tech).post("/portal/time-off/", body).status_code == 302
    request = TimeOff.objects.get(technician=maya, reason="surgery")
    signed_in(demo_spa.manager).post(f"/manager/time-off/{request.pk}/approve/")
    asked, reviewed = records(request)
    assert asked.changes["reason"] == {"personal": True} and asked.actor == demo_spa.tech
    assert reviewed.changes["status"] == {"old": "pending", "new": "approved"} and reviewed.actor == demo_spa.manager
    assert "surgery" not in str(asked.changes) + str(reviewed.changes)


# --- the sheet, tasks, the context ----------------------------------------------------------------------------------


def test_prices_from_the_sheet_are_recorded_with_the_sheet_as_the_channel(demo_spa):
    from coresync.catalog.pricing_import import read_pricing_file
    from coresync.demo.seed import PRICING_FILE
    from coresync.integrations.models import PriceVersion
    from coresync.sheets.pricing import pricing_apply

    tabs = read_pricing_file([PRICING_FILE])  # the sheet as seeded, with the Swedish massage's non-member price changed
    row = next(r for r in tabs["Massages"] if r["Service Name"] == "Swedish Massage")
    row["Non-Member"] = "199"
    price = Price.objects.get(service__name="Swedish Massage", column="non_member")
    before = ChangeRecord.objects.count()
    result = pricing_apply(tabs, source="pricing sheet", actor="owner")
    assert result.ok, result.errors
    [record] = records(price)[-1:]
    assert record.channel == Channel.SHEET and record.actor is None and record.actor_label == "pricing sheet"
    assert record.changes == {"amount": {"old": str(price.amount), "new": "199.00"}}
    version = PriceVersion.objects.latest("id")
    assert [r.channel for r in records(version)] == [Channel.SHEET]
    assert ChangeRecord.objects.count() == before + 2  # the price and the version: the unchanged rows record nothing


def test_a_celery_task_acts_as_the_task(demo_spa):
    from coresync.celery import app

    @app.task(name="audit.tests.touch_price")
    def touch(pk):
        price = Price.objects.get(pk=pk)
        price.amount += 1
        price.save()

    price = Price.objects.first()
    touch.delay(price.pk)
    [record] = records(price)[-1:]
    assert record.channel == Channel.TASK and record.actor_label == "task:audit.tests.touch_price" and record.actor is None


def test_a_context_names_who_acts_and_a_delete_is_recorded_with_the_old_values(demo_spa, maya):
    shift = WeeklyShift.objects.filter(technician=maya).first()
    pk = shift.pk
    with audit_context(channel=Channel.CHAT, actor=demo_spa.manager):
        shift.delete()
    [record] = ChangeRecord.objects.filter(content_type=ContentType.objects.get_for_model(WeeklyShift), object_id=str(pk),
                                           action=ChangeAction.DELETE)  # fmt: skip
    assert record.channel == Channel.CHAT and record.actor == demo_spa.manager
    assert record.changes["starts"] == {"old": shift.starts.isoformat(), "new": None}


def test_a_change_rolled_back_leaves_no_record(demo_spa):
    price = Price.objects.first()
    before = ChangeRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        price.amount += 5
        price.save()
        raise RuntimeError("the change fails after the save")
    assert ChangeRecord.objects.count() == before


# --- append-only ----------------------------------------------------------------------------------------------------


def test_the_history_is_append_only_in_python(demo_spa):
    location = Location.objects.first()
    location.free_cancellation_hours += 1
    location.save()
    record = records(location)[-1]
    record.channel = "forged"
    with pytest.raises(AppendOnly):
        record.save()
    with pytest.raises(AppendOnly):
        record.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_to_rewrite_the_history_but_a_deleted_account_leaves_it(demo_spa):
    from coresync.accounts.models import User

    someone = User.objects.create_user("auditor@example.test", "pw-123456789")
    with audit_context(actor=someone):
        price = Price.objects.first()
        price.amount += 1
        price.save()
    record = records(price)[-1]
    for change in (lambda: ChangeRecord.objects.filter(pk=record.pk).update(changes={}),
                   lambda: ChangeRecord.objects.filter(pk=record.pk).update(channel="web"),
                   lambda: ChangeRecord.objects.filter(pk=record.pk).delete()):  # fmt: skip
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    User.objects.filter(pk=someone.pk).delete()
    record.refresh_from_db()
    assert record.actor is None and record.changes["amount"]["new"] == str(price.amount)


def test_technician_pay_rate_changes_are_recorded(demo_spa, maya):
    technician = Technician.objects.get(pk=maya.pk)
    technician.hourly_rate = Decimal("41.00")
    technician.save()
    assert records(technician)[-1].changes == {"hourly_rate": {"old": str(maya.hourly_rate), "new": "41.00"}}


def test_the_history_exports_as_json_lines(demo_spa, tmp_path):
    import json

    from django.core.management import call_command

    price = Price.objects.first()
    price.amount += 2
    price.save()
    target = tmp_path / "changes.jsonl"
    call_command("audit_export", "--log", "changes", "--output", str(target))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    mine = [x for x in lines if x["model"] == "catalog.price" and x["object_id"] == str(price.pk) and x["action"] == "update"]
    assert mine[-1]["changes"] == {"amount": {"old": str(price.amount - 2), "new": str(price.amount)}}
    call_command("audit_export", "--log", "security", "--since", "2000-01-01", "--output", str(tmp_path / "security.jsonl"))
    assert (tmp_path / "security.jsonl").exists()
