"""The parsing table: intents and entities from the demo catalog's own data, with typos and relative dates."""

from __future__ import annotations

from datetime import date

import pytest

from coresync.ai_agent.engine.catalog_index import current_index
from coresync.ai_agent.engine.nlu import parse_message
from coresync.ai_agent.engine.text import clean

TODAY = date(2026, 11, 23)  # a Monday

CASES = [
    ("hi there", "greet", {}),
    ("book a deep tissue massage Friday at 3pm", "book", {"service": "deep-tissue-massage", "date": "2026-11-27", "time": "15:00"}),
    ("anything tomorrow after 5?", "availability_question", {"date": "2026-11-24", "after": "17:00"}),
    ("how much is a facial for Premium members?", "price_question", {"category": "facials", "tier": "premium"}),
    ("move my booking to Saturday", "reschedule", {"date": "2026-11-28"}),
    ("cancel CS-7KQ2M9", "cancel", {"reference": "CS-7KQ2M9"}),
    ("where do I park?", "faq_parking", {}),
    ("talk to a person", "handoff", {}),
    ("60 min massage tomorrow afternoon?", "availability_question", {"category": "massages", "duration": 60, "date": "2026-11-24", "after": "12:00", "before": "17:00"}),
    ("can i get a masage tomorow at noon", "book", {"category": "massages", "date": "2026-11-24", "time": "12:00"}),
    ("hot stone this weekend", "availability_question", {"service": "hot-stone-massage", "date": "2026-11-28", "date_to": "2026-11-29"}),
    ("what's your cancellation policy?", "faq_cancellation_policy", {}),
    ("what are your opening hours", "faq_hours", {}),
    ("what should I bring", "faq_what_to_bring", {}),
    ("where are you located", "faq_location", {}),
    ("tell me about the hydrating facial", "service_info", {"service": "hydrating-facial"}),
    ("what services do you offer", "browse_services", {}),
    ("tell me about membership", "membership_info", {}),
    ("jane@example.com", "give_contact", {"email": "jane@example.com"}),
    ("my name is Jane Doe", "give_contact", {"name": "Jane Doe"}),
    ("yes please", "confirm", {}),
    ("no thanks", "deny", {}),
    ("thanks, bye", "goodbye", {}),
    ("asdf qwerty", "fallback", {}),
    ("haircut with James on the 27th at 4", "availability_question", {"service": "classic-haircut", "technician": "James Okafor", "date": "2026-11-27", "time": "16:00"}),
    ("book swedish-massage 2026-11-27T15:00 tech:3", "choose_slot", {"service": "swedish-massage", "start": "2026-11-27T15:00"}),
    ("pedicure next friday", "availability_question", {"category": "mani-pedi", "date": "2026-12-04"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "intent", "entities"), CASES)
def test_parsing_table(demo_spa, text, intent, entities):
    parse = parse_message(clean(text), index=current_index(), today=TODAY)
    found = parse.entities(current_index())
    assert parse.intent == intent, found
    for key, value in entities.items():
        assert found.get(key) == value, (key, found)


@pytest.mark.django_db
def test_a_service_added_in_the_admin_is_understood_at_once(demo_spa):
    from coresync.catalog.models import Service

    template = demo_spa.services["swedish-massage"]
    Service.objects.create(
        location=template.location, category=template.category, name="Lomi Lomi Massage", slug="lomi-lomi",
        duration_minutes=60, required_room_type=template.required_room_type, required_skill=template.required_skill,
        synonyms="hawaiian",
    )  # fmt: skip
    from coresync.catalog.selectors import catalog_invalidate

    catalog_invalidate()  # what the on-commit signal does after a real admin save
    parse = parse_message("book a hawaiian massage friday", index=current_index(), today=TODAY)
    assert parse.entities(current_index())["service"] == "lomi-lomi"


def test_clean_strips_markup_and_control_characters():
    assert clean("<script>alert(1)</script>Hi\x00 <b>there</b>\u200b") == "alert(1)Hi there"
