"""Intent detection and entity extraction: pure functions over text, today's date and the catalog index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .catalog_index import CatalogIndex
from .dates import When, parse_when
from .text import correct_typos, fold

INTENTS = (
    "greet", "browse_services", "service_info", "price_question", "availability_question", "book",
    "choose_slot", "confirm", "deny", "give_contact", "reschedule", "cancel", "membership_info",
    "faq_hours", "faq_location", "faq_parking", "faq_what_to_bring", "faq_cancellation_policy", "faq",
    "handoff", "goodbye", "fallback",
)  # fmt: skip

EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}", re.I)
PHONE = re.compile(r"(?<![\w:])(\+?\d[\d\s().\-]{5,}\d)(?![\w:])")
REFERENCE = re.compile(r"\bcs[\s\-]?([2-9a-hj-km-np-z]{6})\b", re.I)
# A reference read out letter by letter, as the phone concierge says it ("C S 7 K Q 2 M 9").
SPOKEN_REFERENCE = re.compile(r"\bc[\s.\-]*s\b[\s.\-]*((?:[2-9a-hj-km-np-z][\s.\-]+){5}[2-9a-hj-km-np-z])\b", re.I)
ACTION_BOOK = re.compile(r"^book ([a-z0-9\-]+) (\d{4}-\d{2}-\d{2}t\d{2}:\d{2}) tech:(\d+)$")
ACTION_MOVE = re.compile(r"^move (cs-[0-9a-z]{6}) to (\d{4}-\d{2}-\d{2}t\d{2}:\d{2}) tech:(\d+)$")
ACTION_CONFIRM_CANCEL = re.compile(r"^(?:confirm|yes,?) cancel (cs-[0-9a-z]{6})$")
ACTION_CONFIRM_MOVE = re.compile(r"^(?:confirm|yes,?) move (cs-[0-9a-z]{6})$")
DURATION = re.compile(r"\b(\d{2,3})\s*-?\s*(?:min|mins|minute|minutes)\b|\b(an|one|1|2|two)\s*-?\s*(?:hour|hr)s?\b|\b(\d)\s*(?:h)\b")
_NAME_INTRO = re.compile(r"\b(?:my name is|my name's|name is|name:|i am|i'm|im|this is|call me|it's|its)\s+([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-.]+){0,3})", re.I)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4, "last": -1}
_AFFIRM = re.compile(r"^(confirm|yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|book it)\b(?!.*\b(cancel|but|not|thanks|thank|bye)\b)")
# "Keep my booking" / "keep it": a no to cancelling or moving (before "booking" reads as a wish to book).
_KEEP = re.compile(r"^(?:no,? )?(?:please )?keep (?:my|it|the|that|this)\b(?!.*\b(?:move|change|cancel|reschedule|to)\b)")
_BROWSE = re.compile(r"\b(services|menu|treatments|offer|options)\b")
_SPOKEN_EMAIL = re.compile(r"\b([a-z0-9._\-]+(?:\s+dot\s+[a-z0-9_\-]+)*)\s+at\s+([a-z0-9\-]+(?:\s+dot\s+[a-z0-9\-]+)+)\b")

# (intent, pattern) in priority order; the first that matches wins.
_RULES: list[tuple[str, re.Pattern]] = [
    ("handoff", re.compile(r"\b(human|real person|a person|someone|somebody|staff|representative|operator|receptionist|manager|agent|talk to (?:a|an|the|someone)|speak (?:to|with))\b")),
    ("faq_cancellation_policy", re.compile(r"\b(cancel+ation|cancel) (policy|policies|fee|fees|terms)\b|\bif i (cancel|don't show|dont show|miss)\b|\bhow late can i cancel\b|\bno[- ]show\b")),
    ("cancel", re.compile(r"\b(cancel+|call off|can't make it|cant make it|won't make it)\b")),
    ("reschedule", re.compile(r"\b(reschedule|re-schedule|move (my|the|it|cs)|change (my|the) (booking|appointment|reservation|time)|push (it|my)|different (time|day))\b")),
    ("price_question", re.compile(r"\b(how much|price|prices|pricing|cost|costs|rate|rates|charge|expensive|cheap|fee|fees|\$)")),
    ("faq_parking", re.compile(r"\b(park|parking|garage|valet|car)\b")),
    ("faq_hours", re.compile(r"\b(opening hours|hours|what time do you (open|close)|when do you (open|close)|are you open|open on|closing|close on|closed)\b")),
    ("faq_location", re.compile(r"\b(where are you|where is the spa|where's the spa|address|located|location|directions|get there|find you|subway|train)\b")),
    ("faq_what_to_bring", re.compile(r"\b(bring|wear|prepare|arrive early|what should i|dress)\b")),
    ("membership_info", re.compile(r"\b(membership|memberships|member|members|join|tiers?|subscribe|subscription)\b")),
    ("service_info", re.compile(r"\b(what is|what's|whats|tell me (more )?about|describe|difference between|what does .* include|info on|information about)\b")),
    ("book", re.compile(r"\b(book|booking|reserve|reservation|make an appointment|appointment|schedule me|get me|can i get|could i get|can i have|i'd like|i would like|i want|i need)\b")),
    ("availability_question", re.compile(r"\b(available|availability|free|openings?|slots?|any ?time|anything|do you have|have you got|can i come|when can)\b")),
    ("browse_services", re.compile(r"\b(services|menu|treatments|what do you (offer|do|have)|options|offerings|see (all|everything))\b")),
    ("goodbye", re.compile(r"^(ok |okay )?(thanks|thank you|thx|bye|goodbye|good bye|see you|that's all|thats all|that is all|cheers|have a nice day)\b")),
    ("confirm", re.compile(r"^(yes|yeah|yep|yup|sure|ok|okay|confirm|confirmed|correct|sounds good|perfect|great|go ahead|please do|book it|do it|that works|works for me|let's do it)\b")),
    ("deny", re.compile(r"^(no|nope|nah|not now|don't|dont|never mind|nevermind|keep (my|it|the))\b")),
    ("greet", re.compile(r"^(hi|hello|hey|hiya|good (morning|afternoon|evening)|hola|greetings|howdy)\b")),
]


@dataclass
class Parse:
    """What one message says: an intent and the entities found in it."""

    text: str
    folded: str
    intent: str
    services: list[int] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    technicians: list[int] = field(default_factory=list)
    tiers: list[int] = field(default_factory=list)
    when: When = field(default_factory=When)
    duration: int | None = None
    reference: str = ""
    email: str = ""
    phone: str = ""
    name: str = ""
    ordinal: int | None = None
    action_start: str = ""  # ISO local start from an action message
    action_technician: int | None = None
    confirms: str = ""  # cancel | reschedule: the yes of a "Yes, cancel it" / "Yes, move it" action

    def entities(self, index: CatalogIndex) -> dict:
        """The entities as plain JSON (slugs and names, not ids): stored with the turn and scored by the evaluation."""
        out: dict = {}
        if self.services:
            out["service"] = index.services[self.services[0]].slug
        if self.categories:
            out["category"] = index.categories[self.categories[0]].slug
        if self.technicians:
            out["technician"] = index.technicians.get(self.technicians[0], "")
        if self.tiers:
            out["tier"] = index.tiers[self.tiers[0]].slug
        out.update(self.when.as_dict())
        for key in ("duration", "reference", "email", "phone", "name", "ordinal"):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value
        if self.action_start:
            out["start"] = self.action_start
        return out


def _duration(folded: str) -> int | None:
    m = DURATION.search(folded)
    if not m:
        return None
    if m.group(1):
        return int(m.group(1))
    if m.group(2):
        return 120 if m.group(2) in ("2", "two") else 60
    return int(m.group(3)) * 60


def _contact(text: str, folded: str, parse: Parse) -> str:
    """Pull e-mail, phone and a self-introduced name out; return the folded text without them."""
    if m := EMAIL.search(text):
        parse.email = m.group(0).lower()
    elif m := _SPOKEN_EMAIL.search(folded):
        parse.email = f"{m.group(1)}@{m.group(2)}".replace(" dot ", ".").replace(" ", "")
    rest = EMAIL.sub(" ", folded)
    for m in PHONE.finditer(rest):
        digits = re.sub(r"\D", "", m.group(1))
        if 7 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.group(1).strip()):
            parse.phone = ("+" if m.group(1).startswith("+") else "") + digits
            rest = rest.replace(m.group(1), " ")
            break
    if m := _NAME_INTRO.search(text):
        candidate = m.group(1).strip(" .")
        if not re.search(r"\b(looking|interested|trying|going|here|calling|wondering|available|free|a|the|not|sorry)\b", candidate, re.I):
            parse.name = " ".join(part.capitalize() if part.islower() else part for part in candidate.split())
    return rest


def _actions(folded: str, parse: Parse, index: CatalogIndex) -> bool:
    """Machine-made action messages (sent back verbatim by clients) parse exactly."""
    if m := ACTION_BOOK.match(folded):
        service = next((s for s in index.services.values() if s.slug == m.group(1)), None)
        if service:
            parse.services = [service.id]
        parse.action_start, parse.action_technician = m.group(2).replace("t", "T"), int(m.group(3))
        parse.intent = "choose_slot"
        return True
    if m := ACTION_MOVE.match(folded):
        parse.reference = m.group(1).upper()
        parse.action_start, parse.action_technician = m.group(2).replace("t", "T"), int(m.group(3))
        parse.intent = "choose_slot"
        return True
    for pattern, operation in ((ACTION_CONFIRM_CANCEL, "cancel"), (ACTION_CONFIRM_MOVE, "reschedule")):
        if m := pattern.match(folded):
            parse.reference, parse.intent, parse.confirms = m.group(1).upper(), "confirm", operation
            return True
    return False


def classify(folded: str, parse: Parse) -> str:
    if folded.startswith(("show pricing", "pricing for")):
        return "price_question"
    if _KEEP.match(folded):
        return "deny"
    if _AFFIRM.match(folded) and not (parse.when.has_date or parse.when.has_time or parse.services or parse.email):
        return "confirm"
    for intent, pattern in _RULES:
        if pattern.search(folded):
            return _refine(intent, folded, parse)
    has_catalog = bool(parse.services or parse.categories)
    if has_catalog and (parse.when.has_date or parse.when.has_time):
        return "availability_question"
    if parse.ordinal is not None or parse.when.has_time or parse.when.has_date:
        return "choose_slot" if not has_catalog and not parse.when.has_date else "availability_question"
    if parse.email or parse.phone or parse.name:
        return "give_contact"
    if has_catalog:
        return "browse_services" if parse.categories and not parse.services else "service_info"
    return "fallback"


def _refine(intent: str, folded: str, parse: Parse) -> str:
    """Second looks where a keyword alone misleads."""
    if intent == "faq_parking" and parse.services and "car" in folded.split():
        return "service_info"
    if intent in ("book", "availability_question") and parse.email and not (parse.services or parse.categories or parse.when.has_date):
        return "give_contact"
    if intent == "book" and re.search(r"\b(my|existing) (booking|appointment|reservation)\b", folded):
        return "fallback" if not (parse.services or parse.categories or parse.when.has_date or parse.when.has_time) else intent
    if intent == "greet" and (parse.services or parse.categories) and (parse.when.has_date or parse.when.has_time):
        return "availability_question"
    if intent in ("confirm", "greet") and (parse.email or parse.phone or parse.name) and len(folded.split()) > 3:
        return "give_contact"
    if intent == "availability_question" and _BROWSE.search(folded) and not (parse.services or parse.when.has_date or parse.when.has_time):
        return "browse_services"
    if intent == "membership_info" and parse.tiers and (parse.services or parse.categories):
        return "price_question"
    return intent


def parse_message(text: str, *, index: CatalogIndex, today: date) -> Parse:
    """Intent and entities of one cleaned message."""
    folded = fold(text)
    parse = Parse(text=text, folded=folded, intent="fallback")
    if _actions(folded, parse, index):
        return parse
    if m := REFERENCE.search(folded):
        parse.reference = ("CS-" + m.group(1)).upper()
    elif m := SPOKEN_REFERENCE.search(folded):
        parse.reference = ("CS-" + re.sub(r"[\s.\-]", "", m.group(1))).upper()
        folded = SPOKEN_REFERENCE.sub(" ", folded)
    rest = _contact(text, folded, parse)
    rest = REFERENCE.sub(" ", rest)
    corrected = correct_typos(rest, index.vocabulary)
    found = index.find(corrected)
    parse.services = found.get("service", [])
    parse.categories = found.get("category", [])
    parse.tiers = found.get("tier", [])
    if re.search(r"\b(with|by|from|see|prefer)\b", corrected) or not parse.name:
        parse.technicians = [t for t in found.get("technician", []) if not _is_contact_name(index.technicians[t], parse.name)]
    parse.duration = _duration(corrected)
    parse.when = parse_when(corrected, today)
    words = corrected.split()
    ordinal = next((_ORDINALS[w] for w in words if w in _ORDINALS), None)
    if ordinal is None and (m := re.fullmatch(r"(?:option |number |#)?([1-5])", corrected)):
        ordinal = int(m.group(1)) - 1
    parse.ordinal = ordinal
    if parse.services and not parse.categories:
        parse.categories = [index.services[parse.services[0]].category_id]
    parse.intent = classify(corrected, parse)
    return parse


def _is_contact_name(technician_name: str, contact_name: str) -> bool:
    return bool(contact_name) and technician_name.split()[0].lower() in contact_name.lower()
