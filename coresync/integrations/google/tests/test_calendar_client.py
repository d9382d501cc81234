"""The Calendar client on googleapiclient's own ``HttpMockSequence``: exact requests, Google's answers mapped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from googleapiclient.http import HttpMockSequence

from coresync.core.errors import ProviderError
from coresync.integrations.google.calendar import CalendarEvent, GoogleCalendarClient, SyncTokenExpired

BASE = "https://google.test"
EVENT = CalendarEvent(id="cs0123456789abcdef", summary="Swedish Massage · Ada L. with Maya", time_zone="America/New_York",
                      start=datetime(2030, 6, 4, 15, tzinfo=UTC), end=datetime(2030, 6, 4, 16, tzinfo=UTC),
                      private={"coresync_booking": "42"})


@pytest.fixture(autouse=True)
def _base(settings):
    settings.GOOGLE_API_BASE = BASE


def error(status: int) -> tuple[dict, str]:
    return {"status": str(status)}, json.dumps({"error": {"code": status, "message": f"status {status}"}})


def test_a_409_on_insert_becomes_one_update_of_the_same_id():
    http = HttpMockSequence([error(409), ({"status": "200"}, json.dumps({**EVENT.body(), "status": "confirmed"}))])
    GoogleCalendarClient(http=http).event_put(calendar_id="master@group", event=EVENT, exists=False)

    (insert_uri, insert_method, insert_body, _), (update_uri, update_method, update_body, _) = http.request_sequence
    assert (insert_method, insert_uri.split("?")[0]) == ("POST", f"{BASE}/calendar/v3/calendars/master%40group/events")
    assert (update_method, update_uri.split("?")[0]) == ("PUT", f"{BASE}/calendar/v3/calendars/master%40group/events/{EVENT.id}")
    assert json.loads(insert_body) == json.loads(update_body) == EVENT.body()
    assert "sendUpdates=none" in insert_uri and "attendees" not in json.loads(insert_body)


def test_an_update_of_an_event_gone_for_good_inserts_it():
    http = HttpMockSequence([error(404), ({"status": "200"}, json.dumps(EVENT.body()))])
    GoogleCalendarClient(http=http).event_put(calendar_id="c", event=EVENT, exists=True)
    assert [m for _, m, _, _ in http.request_sequence] == ["PUT", "POST"]


def test_deleting_an_event_already_gone_counts_as_deleted():
    http = HttpMockSequence([error(410)])
    GoogleCalendarClient(http=http).event_delete(calendar_id="c", event_id=EVENT.id)
    assert http.request_sequence[0][1] == "DELETE"


def test_a_410_on_a_sync_token_is_sync_token_expired():
    http = HttpMockSequence([error(410)])
    with pytest.raises(SyncTokenExpired):
        GoogleCalendarClient(http=http).events_changed(calendar_id="c", sync_token="old")
    assert "syncToken=old" in http.request_sequence[0][0]


def test_pages_are_followed_and_the_last_sync_token_kept():
    page1 = {"items": [{"id": "a", "status": "confirmed", "start": {"date": "2030-06-04"}, "end": {"date": "2030-06-05"}}],
             "nextPageToken": "p2"}
    page2 = {"items": [{"id": "b", "status": "cancelled"}], "nextSyncToken": "s2"}
    http = HttpMockSequence([({"status": "200"}, json.dumps(page1)), ({"status": "200"}, json.dumps(page2))])
    page = GoogleCalendarClient(http=http).events_changed(calendar_id="c", sync_token="s1")
    assert [e.id for e in page.events] == ["a", "b"] and page.next_sync_token == "s2"
    assert "pageToken=p2" in http.request_sequence[1][0]


@pytest.mark.parametrize(("status", "retryable"), [(403, False), (404, False), (429, True), (500, True), (503, True)])
def test_google_errors_say_whether_a_retry_can_help(status, retryable):
    http = HttpMockSequence([error(status)])
    with pytest.raises(ProviderError) as caught:
        GoogleCalendarClient(http=http).events_changed(calendar_id="c", sync_token="s1")
    assert (caught.value.status, caught.value.retryable) == (status, retryable)


@pytest.mark.parametrize(("reason", "retryable"), [("rateLimitExceeded", True), ("userRateLimitExceeded", True), ("forbidden", False)])
def test_a_403_that_means_slow_down_is_retried_later(reason, retryable):
    body = json.dumps({"error": {"code": 403, "message": "no", "errors": [{"domain": "usageLimits", "reason": reason}]}})
    http = HttpMockSequence([({"status": "403"}, body)])
    with pytest.raises(ProviderError) as caught:
        GoogleCalendarClient(http=http).events_changed(calendar_id="c", sync_token="s1")
    assert (caught.value.status, caught.value.retryable) == (403, retryable)
