"""The concierge chat in a real browser: booking by conversation, reconnects, HTTP fallback, safe rendering."""

import json
import re

from .conftest import ChatFrames, sign_in

SESSION_KEY = "coresync.chat.session"


def _agent_count(page) -> int:
    return page.locator(".chat__log .msg--agent").count()


def _send(page, text: str) -> None:
    before = _agent_count(page)
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    _wait_reply(page, before)


def _wait_reply(page, before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.chat__log .msg--agent, .chat__log .msg--error').length > n "
        "&& document.querySelector('[data-chat-typing]').hidden", arg=before, timeout=20_000,
    )


def _choose(page) -> bool:
    """Follow the conversation: press the action that moves the booking forward; False when none is offered."""
    buttons = page.locator("[data-chat-actions] button")
    labels = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    if not labels:
        return False
    preferred = next((i for i, label in enumerate(labels) if re.search(r"confirm|yes|book it", label, re.I)), None)
    if preferred is None:
        preferred = next((i for i, label in enumerate(labels) if re.search(r"\d{1,2}(:\d\d)?\s*(am|pm)?", label, re.I)), None)
    if preferred is None:
        preferred = next((i for i, label in enumerate(labels) if not re.search(r"pricing|person|cancel|other", label, re.I)), 0)
    before = _agent_count(page)
    buttons.nth(preferred).click()
    _wait_reply(page, before)
    return True


def _shown_actions(page) -> list[str]:
    buttons = page.locator("[data-chat-actions] button")
    return [buttons.nth(i).inner_text().strip() for i in range(buttons.count())]


def _offered_actions(reply: dict) -> list[str]:
    """The buttons a reply offers: those of its last message that has any."""
    offered = [m.get("actions") or [] for m in reply.get("messages", [])]
    return next(([a["label"] for a in actions] for actions in reversed(offered) if actions), [])


def _click_once(page, frames: ChatFrames, button) -> dict:
    """Click ``button``; exactly one message frame goes out and exactly one reply comes back."""
    sent, replies = len(frames.messages), len(frames.of_type("reply"))
    expected = button.get_attribute("data-chat-send")
    before = _agent_count(page)
    button.click()
    _wait_reply(page, before)
    page.wait_for_timeout(300)  # a second frame or reply would have arrived by now
    assert frames.messages[sent:] == [expected], f"one message per click, got {frames.messages[sent:]}"
    new_replies = frames.of_type("reply")[replies:]
    assert len(new_replies) == 1, f"one reply per click, got {len(new_replies)}"
    return new_replies[0]


def _progress(labels: list[str]) -> int:
    """The button that moves a booking forward: confirm, else a time, else anything but the side exits."""
    for pattern in (r"confirm|yes|book it", r"\d{1,2}(:\d\d)?\s*(am|pm)"):
        found = next((i for i, label in enumerate(labels) if re.search(pattern, label, re.I)), None)
        if found is not None:
            return found
    return next((i for i, label in enumerate(labels) if not re.search(r"pricing|person|cancel|other", label, re.I)), 0)


def test_every_button_sends_one_message_and_keeps_its_follow_ups(context_for):
    page = context_for("iphone-se").new_page()
    sign_in(page, "base@coresync.test")
    frames = ChatFrames(page)
    page.goto("/#concierge")
    page.wait_for_function("() => window.CoreSyncChat && window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1")
    # A suggestion chip under the chat, then the follow-up chips the concierge offers, up to a booking.
    reply = _click_once(page, frames, page.locator("[data-chat-actions] button").first)
    clicks = 1
    while _offered_actions(reply) and clicks < 5:
        assert _shown_actions(page) == _offered_actions(reply), "the follow-up buttons stay on screen"
        reply = _click_once(page, frames, page.locator("[data-chat-actions] button").nth(_progress(_shown_actions(page))))
        clicks += 1
    assert clicks >= 2, "the concierge offered follow-up buttons"
    assert _shown_actions(page) == _offered_actions(reply), "the last answer's buttons are not wiped"
    # The quiet tools under the input, and a button elsewhere on the page that talks to the chat.
    _click_once(page, frames, page.locator(".chat__tools button", has_text="Show pricing"))
    _click_once(page, frames, page.locator("#membership [data-chat-send]").first)
    assert len(frames.messages) == clicks + 2 and len(frames.of_type("reply")) == clicks + 2


def test_book_a_massage_by_chat_confirmed_on_screen_and_in_database(context_for, live_spa):
    page = context_for("iphone-14-pro").new_page()
    sign_in(page, "guest@coresync.test")
    page.goto("/#concierge")
    _send(page, "book a massage tomorrow at 3pm")
    for _turn in range(10):
        if page.locator("[data-chat-booking]").count():
            break
        if not _choose(page):
            _send(page, "Nina Alvarez, guest@coresync.test, +1 212 555 0199")
    reference = page.locator("[data-chat-booking]").get_attribute("data-chat-booking")
    assert reference and reference.startswith("CS-")
    rows = live_spa.query(
        "SELECT b.status, s.slug FROM bookings_booking b JOIN catalog_service s ON s.id = b.service_id WHERE b.reference = ?",
        (reference,),
    )
    assert rows and rows[0][0] == "confirmed" and "massage" in rows[0][1]


def test_dropped_socket_reconnects_and_the_conversation_continues(context_for):
    context = context_for("iphone-se")
    page = context.new_page()
    sockets = []

    def proxy(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/ws/ai-chat/.*"), proxy)
    page.goto("/#concierge")
    _send(page, "book a massage tomorrow at 3pm")
    session = page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')")
    assert session and len(sockets) == 1
    sockets[0].close(code=1006 if False else 1001, reason="network went away")
    page.wait_for_function("() => window.CoreSyncChat && window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1", timeout=15_000)
    assert len(sockets) == 2, "the page opened a new socket"
    _send(page, "Swedish massage")
    assert page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')") == session, "same session after the reconnect"
    last = page.locator(".chat__log .msg--agent").last.inner_text()
    assert "What would you like" not in last  # not a fresh conversation


def test_page_becoming_visible_resumes_the_same_session(context_for):
    page = context_for("iphone-14-pro").new_page()
    page.goto("/#concierge")
    _send(page, "Where do I park?")
    session = page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')")
    page.evaluate("() => { window.CoreSyncChat.httpOnly = false; window.CoreSyncChat.ws.close(); }")
    page.wait_for_function("() => !window.CoreSyncChat.ws || window.CoreSyncChat.ws.readyState !== 1")
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function("() => window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1", timeout=10_000)
    _send(page, "And what should I bring?")
    assert page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')") == session


def test_blocked_websocket_falls_back_to_http(context_for):
    page = context_for("iphone-se").new_page()
    posts = []
    page.route_web_socket(re.compile(r".*/ws/ai-chat/.*"), lambda ws: ws.close(code=1011, reason="blocked by proxy"))
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" and "/api/v1/chat/" in request.url else None)
    page.goto("/#concierge")
    _send(page, "Where do I park?")
    assert posts, "the message went over HTTP"
    assert page.locator(".chat__log .msg--error").count() == 0
    _send(page, "What are your opening hours?")
    assert len(posts) == 2 and page.evaluate("() => window.CoreSyncChat.httpOnly") is True


def test_chat_output_with_script_is_shown_as_text(context_for):
    page = context_for("iphone-14-pro").new_page()
    evil = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
    reply = {
        "session_id": "0b6c2a4e-4f7e-4c55-9d1e-9a1f4d1b2c3d",
        "messages": [{
            "text": f"Hello {evil}",
            "cards": [{"title": evil, "text": evil, "image": "javascript:window.__pwned=3"}],
            "actions": [{"label": evil, "message": "ok"}],
        }],
        "state": {"intent": "book", "booking": {"reference": evil, "status": "confirmed", "url": "javascript:window.__pwned=4"}},
    }
    page.route_web_socket(re.compile(r".*/ws/ai-chat/.*"), lambda ws: ws.close(code=1011))
    page.route("**/api/v1/chat/", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(reply)))
    page.goto("/#concierge")
    _send(page, evil)
    log = page.locator(".chat__log")
    assert "<script>window.__pwned = 1</script>" in log.inner_text()
    assert log.locator("script, .msg img:not(.card__img)").count() == 0
    assert page.locator(".card__img").count() == 0  # javascript: image URL dropped
    assert page.locator("[data-chat-actions] button").first.inner_text().startswith("<script>")
    assert page.evaluate("() => window.__pwned") is None
    badge = page.locator("[data-chat-booking]")
    assert badge.inner_text() == f"Booked · {evil}" and badge.locator("a").count() == 0  # javascript: link dropped


def _book_by_chat(page, contact: str) -> str:
    """Book a massage through the chat (buttons where offered); the reference on the badge."""
    _send(page, "book a massage in two days at 11am")
    for _turn in range(10):
        if page.locator("[data-chat-booking]").count():
            break
        if not _choose(page):
            _send(page, contact)
    reference = page.locator("[data-chat-booking]").get_attribute("data-chat-booking")
    assert reference and reference.startswith("CS-")
    return reference


def _answer_until(page, done: str, pattern: str, turns: int = 4) -> None:
    """Press the button matching ``pattern`` until the page matches the ``done`` selector."""
    for _turn in range(turns):
        if page.locator(done).count():
            return
        buttons = page.locator("[data-chat-actions] button")
        labels = [buttons.nth(i).inner_text() for i in range(buttons.count())]
        pick = next((i for i, label in enumerate(labels) if re.search(pattern, label, re.I)), None)
        before = _agent_count(page)
        if pick is None:
            _send(page, "yes")
        else:
            buttons.nth(pick).click()
            _wait_reply(page, before)
    assert page.locator(done).count(), f"{done} never showed"


def test_booked_badge_links_to_the_booking_and_follows_a_cancellation(context_for, live_spa):
    page = context_for("iphone-se").new_page()
    sign_in(page, "premium@coresync.test")
    page.goto("/#concierge")
    reference = _book_by_chat(page, "Grace Member, premium@coresync.test, +1 212 555 0142")
    badge = page.locator(f'[data-chat-booking="{reference}"]')
    link = badge.locator("a")
    assert link.get_attribute("href") == f"/accounts/bookings/{reference}/", "the badge opens the booking"
    assert badge.inner_text().startswith("Booked")
    _send(page, f"Please cancel my booking {reference}")
    _answer_until(page, f'[data-chat-booking="{reference}"][data-status="cancelled"]', r"yes|cancel it|confirm")
    assert live_spa.query("SELECT status FROM bookings_booking WHERE reference = ?", (reference,)) == [("cancelled",)]
    assert page.locator("[data-chat-booking]").count() == 1, "one badge per booking, updated in place"
    assert badge.inner_text().startswith("Cancelled") and "Booked" not in badge.inner_text()
    link.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/accounts/bookings/{reference}/") and page.inner_text("[data-booking-status]").lower() == "cancelled"


def test_conversation_follows_the_guest_to_another_page(context_for):
    page = context_for("iphone-se").new_page()
    frames = ChatFrames(page)
    page.goto("/#concierge")
    _send(page, "Where do I park?")
    session = page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')")
    answer = page.locator(".chat__log .msg--agent").last.inner_text()
    page.goto("/menssuite/#concierge")
    page.wait_for_function("() => document.querySelectorAll('.chat__log .msg--guest').length === 1", timeout=10_000)
    assert frames.sent[-1] == {"type": "resume", "session_id": session}, "the first frame on the new page resumes"
    history = frames.of_type("history")
    assert history and history[-1]["session_id"] == session
    log = page.locator(".chat__log")
    assert log.locator(".msg--guest").inner_text() == "Where do I park?"
    assert log.locator(".msg--agent").last.inner_text() == answer
    assert log.locator("[data-chat-greeting]").count() == 1 and log.inner_text().count(log.locator("[data-chat-greeting]").inner_text()) == 1
    _send(page, "And what should I bring?")
    assert page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')") == session
    assert "What would you like" not in page.locator(".chat__log .msg--agent").last.inner_text()
