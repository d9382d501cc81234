"""The calendars' admin pages: lists load with names for the plain ids, nothing editable by hand, the actions work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coresync.calendars.services import feed_token
from coresync.integrations.models import ExternalBusyBlock, FeedToken, MirroredCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, demo_spa):
    client.force_login(demo_spa.manager)
    return client


def test_busy_blocks_list_names_who_is_blocked_and_cannot_be_edited(manager_client, demo_spa):
    calendar = MirroredCalendar.objects.create(key="technicians", calendar_id="t@group", sync_token="tok", channel_token="s3cret")
    technician = next(iter(demo_spa.technicians.values()))
    start = timezone.now() + timedelta(days=1)
    block = ExternalBusyBlock.objects.create(calendar=calendar, event_id="e1", summary="dentist", start=start, end=start + timedelta(hours=2),
                                             technician_id=technician.pk)
    ExternalBusyBlock.objects.create(calendar=calendar, event_id="e2", summary="Spa closed", start=start, end=start + timedelta(days=1))

    page = manager_client.get(reverse("admin:integrations_externalbusyblock_changelist"))
    assert page.status_code == 200
    assert f"technician {technician.display_name}" in page.content.decode() and "the whole spa" in page.content.decode()
    change = manager_client.get(reverse("admin:integrations_externalbusyblock_change", args=[block.pk]))
    assert change.status_code == 200 and b'name="summary"' not in change.content  # read-only
    assert manager_client.get(reverse("admin:integrations_externalbusyblock_add")).status_code == 403

    calendars = manager_client.get(reverse("admin:integrations_mirroredcalendar_changelist"))
    assert calendars.status_code == 200 and b"t@group" in calendars.content
    detail = manager_client.get(reverse("admin:integrations_mirroredcalendar_change", args=[calendar.pk]))
    assert detail.status_code == 200 and b"s3cret" not in detail.content  # the channel secret is never shown


def test_full_resync_action_forgets_the_sync_token(manager_client, settings):
    settings.CALENDAR_PROVIDER = "local"  # the queued sync does nothing without Google
    calendar = MirroredCalendar.objects.create(key="master", calendar_id="m@group", sync_token="tok-9")
    url = reverse("admin:integrations_mirroredcalendar_changelist")
    answer = manager_client.post(url, {"action": "full_resync", "_selected_action": [calendar.pk]}, follow=True)
    assert answer.status_code == 200
    calendar.refresh_from_db()
    assert calendar.sync_token == ""


def test_rotating_a_feed_from_the_admin_cuts_off_the_old_link(manager_client, client):
    assert not FeedToken.objects.exists()
    listing = manager_client.get(reverse("admin:integrations_feedtoken_changelist"))  # the first visit lists every feed
    old = FeedToken.objects.get(name="master").token
    token = FeedToken.objects.get(name="master")
    assert listing.status_code == 200 and f"master.ics?token={old}".encode() in listing.content
    assert FeedToken.objects.filter(name__startswith="technician-").exists()
    assert feed_token("master") == old
    manager_client.post(reverse("admin:integrations_feedtoken_changelist"), {"action": "rotate", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.token != old and token.rotated_by is not None
    assert client.get(f"/calendars/master.ics?token={old}").status_code == 403
