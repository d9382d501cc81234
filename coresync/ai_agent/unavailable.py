"""What every door of the concierge answers while it is switched off (``CONCIERGE_ENABLED=0``).

The flag is read on each request, not at import: ``override_settings`` and a restart with a new value
both take effect at once. The answer names the front desk's phone number (the main location's, from the
catalog) so a guest is never left without a way to book.
"""

from __future__ import annotations

from django.conf import settings

from coresync.core.api import error_body

from .selectors import location_facts

REASON = "concierge_disabled"


def concierge_enabled() -> bool:
    return bool(getattr(settings, "CONCIERGE_ENABLED", True))


def front_desk_phone() -> str:
    try:
        facts = location_facts()
    except Exception:  # no catalog yet (a fresh database): the answer still goes out, without a number
        return ""
    return facts.phone if facts and facts.phone else ""


def chat_text(phone: str) -> str:
    if phone:
        return f"Our online concierge is unavailable right now. Please call the front desk at {phone} and our team will gladly help you book."
    return "Our online concierge is unavailable right now. Please call the front desk and our team will gladly help you book."


def phone_text(phone: str) -> str:
    desk = f"our front desk at {phone}" if phone else "our front desk"
    return (
        f"Thank you for calling. Our automated concierge is not available at the moment. Please call {desk}, "
        "or simply hang up and we'll call you back at this number as soon as we can."
    )


def handoff(phone: str) -> dict:
    return {"reason": REASON, "phone": phone}


def chat_error_body() -> dict:
    """The HTTP twin's and the WebSocket's answer: the project's error shape plus the hand-off (who to call)."""
    phone = front_desk_phone()
    return {**error_body("concierge_unavailable", chat_text(phone)), "handoff": handoff(phone)}
