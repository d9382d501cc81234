"""A fake Google at its HTTP edge: the OAuth token endpoint, Calendar v3 (httplib2) and Sheets v4 (requests).

The real google-api-python-client, google-auth and gspread run unchanged above it:
``FakeCalendarHttp`` stands in for ``httplib2.Http`` (what ``AuthorizedHttp`` wraps),
``FakeSheets`` answers gspread's ``requests`` session through ``responses``. Both keep
what Google would keep (events, sync tokens, tab contents) and record every request,
so tests assert the exact method, path and body that left CoreSync.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

import httplib2

BASE = "https://google.test"
TOKEN_URI = f"{BASE}/token"
_EVENT_PATH = re.compile(r"^/calendar/v3/calendars/(?P<cal>[^/]+)/events(?:/(?P<event>[^/]+))?$")


@cache
def service_account_json() -> str:
    """A service account key as Google issues it (a real RSA key, so google-auth signs its JWT), pointed at the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return json.dumps({
        "type": "service_account", "project_id": "coresync-test", "private_key_id": "k1", "private_key": pem,
        "client_email": "coresync@coresync-test.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": TOKEN_URI, "auth_uri": f"{BASE}/auth",
    })


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict | None

    @property
    def event_id(self) -> str | None:
        """The event id the call is about: in the path (update/patch/delete) or the body (insert)."""
        match = _EVENT_PATH.match(self.path)
        if match and match.group("event"):
            return unquote(match.group("event"))
        return (self.body or {}).get("id")

    @property
    def calendar_id(self) -> str | None:
        match = _EVENT_PATH.match(self.path) or re.match(r"^/calendar/v3/calendars/([^/]+)", self.path)
        return unquote(match.group(1)) if match else None

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


class GoogleDown(Exception):
    """Raised by the fake transport for a dropped connection (what httplib2 raises is an OSError)."""


@dataclass
class FakeCalendarHttp:
    """``httplib2.Http`` for Calendar v3: a stateful fake with Google's answers (409 on a taken id, 410 on a dead token)."""

    calendars: dict[str, dict[str, dict]] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: deque = field(default_factory=deque)  # next answers: an int status or an exception to raise
    down: int | Exception | None = None  # every API call fails like this until cleared
    latency: float = 0.0
    expired_tokens: set[str] = field(default_factory=set)
    timeout: float | None = None
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: dict[tuple[str, str], int] = field(default_factory=dict)
    _now_seq: int = 0
    _tokens: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- what someone does in Google Calendar ------------------------------------------
    def add_calendar(self, calendar_id: str, summary: str = "") -> None:
        self.calendars.setdefault(calendar_id, {})
        self.summaries[calendar_id] = summary or calendar_id

    def user_adds(self, calendar_id: str, *, event_id: str, summary: str, start: str, end: str, all_day: bool = False,
                  transparent: bool = False) -> None:
        key = "date" if all_day else "dateTime"
        event = {"id": event_id, "status": "confirmed", "summary": summary, "start": {key: start}, "end": {key: end}}
        if transparent:
            event["transparency"] = "transparent"
        self._store(calendar_id, event)

    def user_moves(self, calendar_id: str, event_id: str, *, start: str, end: str) -> None:
        event = dict(self.calendars[calendar_id][event_id])
        event["start"], event["end"] = {"dateTime": start}, {"dateTime": end}
        self._store(calendar_id, event)

    def user_deletes(self, calendar_id: str, event_id: str) -> None:
        event = dict(self.calendars[calendar_id][event_id], status="cancelled")
        self._store(calendar_id, event)

    def events(self, calendar_id: str, *, live: bool = True) -> dict[str, dict]:
        return {k: v for k, v in self.calendars.get(calendar_id, {}).items() if not live or v.get("status") != "cancelled"}

    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path != "/token"]

    def writes(self) -> list[Call]:
        return [c for c in self.api_calls() if c.method in ("POST", "PUT", "PATCH", "DELETE") and "/watch" not in c.path]

    # --- the HTTP edge ------------------------------------------------------------------
    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None, **kwargs):
        parts = urlsplit(uri)
        assert f"{parts.scheme}://{parts.netloc}" == BASE, f"a request left for {uri}: GOOGLE_API_BASE not honoured"
        payload = body.decode() if isinstance(body, bytes) else body
        is_json = payload and payload.lstrip().startswith("{")
        call = Call(method=method, path=unquote(parts.path), query=parse_qs(parts.query), body=json.loads(payload) if is_json else None)
        self.calls.append(call)
        if self.latency:
            time.sleep(self.latency)
        if call.path == "/token":
            return self._answer(200, {"access_token": "ya29.fake", "expires_in": 3600, "token_type": "Bearer"})
        if self.failures or self.down is not None:
            failure = self.failures.popleft() if self.failures else self.down
            if isinstance(failure, BaseException):
                raise failure
            return self._answer(failure, {"error": {"code": failure, "message": f"fake Google says {failure}"}})
        return self._route(call)

    def _answer(self, status: int, payload=None):
        content = b"" if payload is None else json.dumps(payload).encode()
        return httplib2.Response({"status": str(status), "content-type": "application/json; charset=UTF-8"}), content

    def _error(self, status: int, message: str):
        return self._answer(status, {"error": {"code": status, "message": message}})

    def _store(self, calendar_id: str, event: dict) -> dict:
        self._now_seq = next(self._seq)
        event = dict(event, updated=f"2030-01-01T00:00:{self._now_seq:02d}.000Z")
        self.calendars.setdefault(calendar_id, {})[event["id"]] = event
        self._changed[(calendar_id, event["id"])] = self._now_seq
        return event

    def _route(self, call: Call):  # noqa: C901 (a router: one branch per endpoint)
        path, method = call.path, call.method
        if path == "/calendar/v3/users/me/calendarList" and method == "GET":
            items = [{"id": cid, "summary": s, "accessRole": "owner"} for cid, s in self.summaries.items()]
            return self._answer(200, {"items": items})
        if path == "/calendar/v3/calendars" and method == "POST":
            calendar_id = f"cal{len(self.calendars) + 1}@group.calendar.google.com"
            self.add_calendar(calendar_id, call.body["summary"])
            return self._answer(200, {"id": calendar_id, "summary": call.body["summary"]})
        if path == "/calendar/v3/channels/stop":
            return self._answer(204)
        if re.match(r"^/calendar/v3/calendars/[^/]+/acl$", path):
            return self._answer(200, {"id": "user:" + call.body["scope"]["value"], **call.body})
        if re.match(r"^/calendar/v3/calendars/[^/]+/events/watch$", path):
            return self._answer(200, {"kind": "api#channel", "id": call.body["id"], "resourceId": "res-" + call.body["id"][:8],
                                      "expiration": str(int((time.time() + 7 * 86400) * 1000))})
        match = _EVENT_PATH.match(path)
        if not match:
            return self._error(404, f"no such endpoint {method} {path}")
        calendar_id, event_id = unquote(match.group("cal")), match.group("event") and unquote(match.group("event"))
        if calendar_id not in self.calendars:
            return self._error(404, "Not Found")
        events = self.calendars[calendar_id]
        if event_id is None and method == "POST":
            if call.body["id"] in events:
                return self._error(409, "The requested identifier already exists.")
            return self._answer(200, self._store(calendar_id, call.body))
        if event_id is None and method == "GET":
            return self._list(calendar_id, call)
        if event_id not in events:
            return self._error(404, "Not Found")
        if method == "PUT":
            return self._answer(200, self._store(calendar_id, dict(call.body, id=event_id)))
        if method == "PATCH":
            return self._answer(200, self._store(calendar_id, {**events[event_id], **call.body}))
        if method == "DELETE":
            if events[event_id].get("status") == "cancelled":
                return self._error(410, "Resource has been deleted")
            self._store(calendar_id, dict(events[event_id], status="cancelled"))
            return self._answer(204)
        if method == "GET":
            return self._answer(200, events[event_id])
        return self._error(405, "method not allowed")

    def _list(self, calendar_id: str, call: Call):
        token = (call.query.get("syncToken") or [""])[0]
        if token and token in self.expired_tokens:
            return self._error(410, "Sync token is no longer valid, a full sync is required.")
        since = int(token.removeprefix("tok-").split(".")[0]) if token else 0
        items = [
            event for event_id, event in self.calendars[calendar_id].items()
            if self._changed.get((calendar_id, event_id), 0) > since and (since or event.get("status") != "cancelled")
        ]
        return self._answer(200, {"kind": "calendar#events", "items": items, "nextSyncToken": f"tok-{self._now_seq}.{next(self._tokens)}"})


class FakeSheets:
    """Sheets v4 behind gspread's ``requests`` session (through ``responses``): tab contents, and scripted failures."""

    def __init__(self, mock):
        self.mock = mock
        self.books: dict[str, dict[str, list[list]]] = {}
        self.calls: list[Call] = []
        self.failures: deque[int] = deque()
        self.latency = 0.0
        mock.add_callback("POST", TOKEN_URI, callback=self._token)
        pattern = re.compile(rf"^{re.escape(BASE)}/v4/spreadsheets/.*")
        for method in ("GET", "POST", "PUT"):
            mock.add_callback(method, pattern, callback=self._handle)

    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path != "/token"]

    def _token(self, request):
        self.calls.append(Call("POST", "/token", {}, None))
        return 200, {"Content-Type": "application/json"}, json.dumps({"access_token": "ya29.fake", "expires_in": 3600})

    def _handle(self, request):
        parts = urlsplit(request.url)
        body = json.loads(request.body) if request.body else None
        call = Call(request.method, unquote(parts.path), parse_qs(parts.query), body)
        self.calls.append(call)
        if self.latency:
            time.sleep(self.latency)
        if self.failures:
            status = self.failures.popleft()
            return status, {"Content-Type": "application/json"}, json.dumps({"error": {"code": status, "message": f"fake says {status}",
                                                                                     "status": "RESOURCE_EXHAUSTED"}})
        match = re.match(r"^/v4/spreadsheets/([^/:]+)(.*)$", call.path)
        book_id, rest = match.group(1), match.group(2)
        if book_id not in self.books:
            return 404, {}, json.dumps({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
        book = self.books[book_id]
        answer = self._answer(book, rest, call)
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def _answer(self, book: dict, rest: str, call: Call) -> dict:
        if rest == "/values:batchGet":
            ranges = call.query.get("ranges", [])
            return {"valueRanges": [{"range": r, "values": book.get(_tab(r), [])} for r in ranges]}
        if rest == "":
            return {"sheets": [{"properties": {"title": t}} for t in book]}
        if rest == ":batchUpdate":
            for request in call.body["requests"]:
                book.setdefault(request["addSheet"]["properties"]["title"], [])
            return {"replies": []}
        if rest == "/values:batchClear":
            for r in call.body["ranges"]:
                book[_tab(r)] = []
            return {"clearedRanges": call.body["ranges"]}
        if rest == "/values:batchUpdate":
            for data in call.body["data"]:
                rows = book.setdefault(_tab(data["range"]), [])
                rows[: len(data["values"])] = [[str(c) for c in row] for row in data["values"]]
            return {"totalUpdatedRows": sum(len(d["values"]) for d in call.body["data"])}
        if rest.startswith("/values/") and rest.endswith(":append"):
            tab = _tab(rest.removeprefix("/values/").removesuffix(":append"))
            book.setdefault(tab, []).extend([[str(c) for c in row] for row in call.body["values"]])
            return {"updates": {"updatedRows": len(call.body["values"])}}
        raise AssertionError(f"unexpected Sheets call {call.method} {call.path}")


def _tab(range_: str) -> str:
    name = range_.split("!", 1)[0]
    return name[1:-1].replace("''", "'") if name.startswith("'") else name
