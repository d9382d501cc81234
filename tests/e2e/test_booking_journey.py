"""Acceptance (issue 8): at iPhone SE size a guest books, moves and cancels a treatment through the chat, and
again through the account pages; every change reaches the guest as exactly one e-mail (confirmation, then
"rescheduled" with the updated invite, then "cancelled" with METHOD:CANCEL), all with the booking's one
calendar UID. Screenshots of each step are kept under artifacts/screenshots/journey-*.png."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

from .conftest import SCREENSHOTS, ChatFrames, sign_in
from .test_accessibility import _axe
from .test_chat import _agent_count, _click_once, _send
from .test_mobile_pages import LAYOUT_PROBE

DEVICE = "iphone-se"
KINDS = ["booking_confirmation", "booking_rescheduled", "booking_cancelled"]


def _shot(page, name: str) -> None:
    """The chat section alone for chat steps, the whole page for the account pages."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"journey-{name}-{DEVICE}.png")
    if name.startswith("chat-"):
        # The viewport with the booking badge (or the latest message) in the middle, as the guest sees it.
        page.evaluate("""() => {
          const log = document.querySelector('[data-chat-log]');
          (document.querySelector('[data-chat-booking]') || log.lastElementChild).scrollIntoView({block: 'center', behavior: 'instant'});
        }""")
        page.screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def _fits(page, axe_source, name: str) -> None:
    """The step fits the phone (no sideways scroll, 44 px tap targets, 16 px inputs) and passes axe."""
    layout = page.evaluate(LAYOUT_PROBE)
    assert layout["overflow"] <= 0 and not layout["small"] and not layout["inputs"], (name, layout)
    serious = [v["id"] for v in _axe(page, axe_source)["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, (name, serious)


def _status(live_spa, reference: str) -> tuple[str, str, int]:
    return live_spa.query("SELECT status, start, ics_sequence FROM bookings_booking WHERE reference = ?", (reference,))[0]


def _email_rows(live_spa, reference: str) -> list[tuple]:
    rows = live_spa.query(
        "SELECT e.kind, e.sequence, e.status, e.recipient FROM notifications_emaillog e "
        "JOIN bookings_booking b ON b.id = e.booking_id WHERE b.reference = ? ORDER BY e.id",
        (reference,),
    )
    return [(kind, sequence, status, live_spa.decrypt(recipient)) for kind, sequence, status, recipient in rows]


def _wait_for_emails(live_spa, reference: str, count: int) -> list[tuple]:
    deadline = time.monotonic() + 15
    while True:
        rows = _email_rows(live_spa, reference)
        if (len(rows) >= count and all(r[2] in ("sent", "delivered") for r in rows)) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def _invites(live_spa, reference: str) -> list[dict]:
    """Each .eml the server wrote for ``reference`` (oldest first): subject and its calendar part's fields."""
    found = []
    for path in sorted((Path(live_spa.db_path).parent / "mail").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        if text is None or reference not in text.get_content():
            continue
        calendar = next((part for part in message.walk() if part.get_content_type() == "text/calendar"), None)
        fields = {}
        if calendar is not None:
            ics = calendar.get_payload(decode=True).decode()
            for key in ("METHOD", "UID", "SEQUENCE", "STATUS"):
                match = re.search(rf"^{key}:(.+?)\r?$", ics, re.M)
                fields[key] = match.group(1).strip() if match else None
        found.append({"subject": str(message["subject"]), "to": str(message["to"]), **fields})
    return found


def _check_emails(live_spa, reference: str, email: str) -> None:
    rows = _wait_for_emails(live_spa, reference, 3)
    assert [r[0] for r in rows] == KINDS, f"one e-mail per change: {rows}"
    assert all(r[2] in ("sent", "delivered") and r[3] == email for r in rows), rows
    assert [r[1] for r in rows[1:]] == [1, 2], "the change mails carry the booking's sequence"
    invites = _invites(live_spa, reference)
    assert len(invites) == 3, invites
    assert [i["METHOD"] for i in invites] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [i["SEQUENCE"] for i in invites] == ["0", "1", "2"]
    assert len({i["UID"] for i in invites}) == 1, "one calendar event, updated in place"
    assert all(email in i["to"] for i in invites)


def _press(page, frames: ChatFrames, pattern: str, *, last: bool = False) -> dict:
    buttons = page.locator("[data-chat-actions] button")
    labels = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    matches = [i for i, label in enumerate(labels) if re.search(pattern, label, re.I)]
    assert matches, f"no button like {pattern!r} among {labels}"
    return _click_once(page, frames, buttons.nth(matches[-1] if last else matches[0]))


def _book(page, frames: ChatFrames, request: str) -> str:
    """Ask for a treatment; confirm the time offered (or, when it is taken, the first other time, then confirm)."""
    _send(page, request)
    for _turn in range(4):
        if page.locator("[data-chat-booking]").count():
            break
        labels = " | ".join(page.locator("[data-chat-actions] button").all_inner_texts())
        _press(page, frames, r"confirm" if re.search(r"confirm", labels, re.I) else r"\d:\d\d")
    reference = page.locator("[data-chat-booking]").get_attribute("data-chat-booking")
    assert reference and reference.startswith("CS-")
    return reference


def test_book_move_and_cancel_through_the_chat(context_for, live_spa):
    page = context_for(DEVICE).new_page()
    sign_in(page, "guest@coresync.test")
    frames = ChatFrames(page)
    page.goto("/#concierge")
    reference = _book(page, frames, "book a massage in two days at 11am")
    assert _status(live_spa, reference)[0] == "confirmed"
    assert page.locator(f'[data-chat-booking="{reference}"] a').get_attribute("href") == f"/accounts/bookings/{reference}/"
    _shot(page, "chat-booked")

    booked_start = _status(live_spa, reference)[1]
    _send(page, f"Please move my booking {reference} to 2pm the same day")
    labels = " | ".join(page.locator("[data-chat-actions] button").all_inner_texts())
    if not re.search(r"yes, move", labels, re.I):  # 2pm taken: times are offered first
        _press(page, frames, r"\d:\d\d", last=True)  # the latest time offered: still changeable afterwards
    assert _status(live_spa, reference)[1] == booked_start, "nothing moves before the customer says yes"
    _shot(page, "chat-move-asks")
    _press(page, frames, r"yes|confirm|move")
    status, moved_start, sequence = _status(live_spa, reference)
    assert status == "confirmed" and moved_start != booked_start and sequence == 1

    before = _agent_count(page)
    _send(page, f"Cancel my booking {reference}")
    assert _agent_count(page) > before
    assert _status(live_spa, reference)[0] == "confirmed", "the chat asks before it cancels"
    _press(page, frames, r"yes, cancel|confirm")
    assert _status(live_spa, reference)[0] == "cancelled"
    badge = page.locator(f'[data-chat-booking="{reference}"]')
    assert badge.get_attribute("data-status") == "cancelled" and badge.inner_text().startswith("Cancelled")
    _shot(page, "chat-cancelled")
    _check_emails(live_spa, reference, "guest@coresync.test")


def test_book_by_chat_then_move_and_cancel_on_the_account_pages(context_for, live_spa, axe_source):
    page = context_for(DEVICE, bypass_csp=True).new_page()  # it runs axe (an injected inline script) on the account pages
    sign_in(page, "base@coresync.test")
    frames = ChatFrames(page)
    page.goto("/#concierge")
    reference = _book(page, frames, "book a facial in three days at 10am")

    # The badge leads to the booking's page; from the list, "Move" opens the free times.
    page.locator(f'[data-chat-booking="{reference}"] a').click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/accounts/bookings/{reference}/")
    page.goto("/accounts/bookings/")
    card = page.locator(f'.booking-list--upcoming [data-reference="{reference}"]')
    assert re.search(r"\d{1,2}:\d\d\s?[AP]M", card.inner_text()), "times read as in the chat and e-mail"
    _shot(page, "account-list")
    _fits(page, axe_source, "account-list")
    card.get_by_role("link", name="Move").click()
    page.wait_for_load_state("load")
    assert page.locator("[data-change-policy]").inner_text().startswith("Free to cancel or move until")
    slots = page.locator(".slots button[name=start]")
    assert slots.count() > 3
    _shot(page, "account-move-times")
    _fits(page, axe_source, "account-move-times")
    booked_start = _status(live_spa, reference)[1]
    slots.nth(slots.count() - 1).click()
    page.wait_for_load_state("load")
    assert page.locator("[data-confirm=reschedule]").is_visible()
    assert _status(live_spa, reference)[1] == booked_start, "a tap on a time moves nothing"
    _shot(page, "account-move-confirm")
    _fits(page, axe_source, "account-move-confirm")
    page.get_by_role("button", name="Yes, move it").click()
    page.wait_for_load_state("load")
    assert "is moved to" in page.inner_text(".flash")
    status, moved_start, sequence = _status(live_spa, reference)
    assert status == "confirmed" and moved_start != booked_start and sequence == 1

    page.get_by_role("link", name="Cancel this booking").click()
    page.wait_for_load_state("load")
    assert page.locator("[data-confirm=cancel]").is_visible() and _status(live_spa, reference)[0] == "confirmed"
    _shot(page, "account-cancel-confirm")
    _fits(page, axe_source, "account-cancel-confirm")
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_load_state("load")
    assert _status(live_spa, reference)[0] == "cancelled"
    assert page.inner_text("[data-booking-status]").lower() == "cancelled"
    page.goto("/accounts/bookings/")
    assert page.locator(f'.booking-list--cancelled [data-reference="{reference}"]').count() == 1
    assert page.locator(f'.booking-list--past [data-reference="{reference}"]').count() == 0
    _shot(page, "account-cancelled")
    _fits(page, axe_source, "account-cancelled")
    _check_emails(live_spa, reference, "base@coresync.test")

    # Back on a page with the chat, the conversation resumes and its badge says the booking is cancelled.
    page.goto("/private/#concierge")
    page.wait_for_function(
        f"() => document.querySelector('[data-chat-booking=\"{reference}\"]')?.getAttribute('data-status') === 'cancelled'",
        timeout=10_000,
    )
    guest_said = page.locator(".chat__log .msg--guest").all_inner_texts()
    assert guest_said[0] == "book a facial in three days at 10am"
    assert "Confirm booking" in guest_said, f"a pressed button reads as its label: {guest_said}"
    assert page.locator(f'[data-chat-booking="{reference}"]').inner_text().startswith("Cancelled")
    _shot(page, "chat-resumed")
