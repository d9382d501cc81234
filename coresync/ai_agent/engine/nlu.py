"""Intent detection and entity extraction: pure functions over text, today's date and the catalog index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .catalog_index import CatalogIndex
from .dates import When, parse_when
from .text import correct_typos, expand_texting, fold

INTENTS = (
    "greet", "browse_services", "service_info", "price_question", "availability_question", "book",
    "choose_slot", "confirm", "deny", "give_contact", "reschedule", "cancel", "membership_info",
    "faq_hours", "faq_location", "faq_parking", "faq_what_to_bring", "faq_cancellation_policy", "faq",
    "handoff", "goodbye", "fallback", "account_change", "my_bookings", "waitlist", "pay",
)  # fmt: skip

EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}", re.I)
PHONE = re.compile(r"(?<![\w:])(\+?\d[\d\s().\-]{5,}\d)(?![\w:])")
REFERENCE = re.compile(r"\bcs[\s\-]?([0-9a-z]{6})\b", re.I)  # any six: an unknown one is asked about, never revealed
# A reference read out letter by letter, as the phone concierge says it ("C S 7 K Q 2 M 9").
SPOKEN_REFERENCE = re.compile(r"\bc[\s.\-]*s\b[\s.\-]*((?:[0-9a-z][\s.\-]+){5}[0-9a-z])\b", re.I)
ACTION_BOOK = re.compile(r"^book ([a-z0-9\-]+) (\d{4}-\d{2}-\d{2}t\d{2}:\d{2}) tech:(\d+)$")
ACTION_MOVE = re.compile(r"^move (cs-[0-9a-z]{6}) to (\d{4}-\d{2}-\d{2}t\d{2}:\d{2}) tech:(\d+)$")
ACTION_CONFIRM_CANCEL = re.compile(r"^(?:confirm|yes,?) cancel (cs-[0-9a-z]{6})$")
ACTION_CONFIRM_MOVE = re.compile(r"^(?:confirm|yes,?) move (cs-[0-9a-z]{6})$")
DURATION = re.compile(r"\b(\d{2,3})\s*-?\s*(?:min|mins|minute|minutes)\b|\b(an|one|1|2|two)\s*-?\s*(?:hour|hr)s?\b|\b(\d)\s*(?:h)\b")
_NAME_INTRO = re.compile(r"\b(?:my name is|my name's|name is|name's|name:|i am|i'm|im|this is|call me|it's|its)\s+([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-.]+){0,3})", re.I)
# Where a self-introduced name ends: "I'm Ann Lee and my friend is…", "I'm Ann Lee, ann@…".
_NAME_STOP = re.compile(r"\s*,|\s+(?:and|my|for|from|at|on|email|e-mail|phone|mobile|number|tel|cell|here|please|thanks|to|with|but|or)\b", re.I)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4, "last": -1}
_AFFIRM = re.compile(r"^(confirm|yes|yeah|yep|yup|ya|yah|yea|yass?|sure|ok|okay|k|kk|please do|go ahead|book it|lock it in|perfect|great|sounds good|that'?s (?:good|great|fine|perfect|right|correct)|thats (?:good|great|fine|perfect|right|correct)|all good|correct|absolutely|definitely|of course)\b(?!.*\b(cancel|but|not|thanks|thank|bye)\b)")
# "Keep my booking" / "keep it": a no to cancelling or moving (before "booking" reads as a wish to book).
_KEEP = re.compile(r"^(?:no,? )?(?:please )?keep (?:my|it|the|that|this)\b(?!.*\b(?:move|change|cancel|reschedule|to)\b)")
_BROWSE = re.compile(r"\b(services|menu|treatments|offer|options)\b")
_SPOKEN_EMAIL = re.compile(r"\b([a-z0-9._\-]+(?:\s+dot\s+[a-z0-9_\-]+)*)\s+at\s+([a-z0-9\-]+(?:\s+dot\s+[a-z0-9\-]+)+)\b")

# (intent, pattern) in priority order; the first that matches wins.
_RULES: list[tuple[str, re.Pattern]] = [
    # Their own intents, not a booking action nor the street address: a membership's cancel/upgrade, the account's details.
    ("account_change", re.compile(
        r"\b(?:cancel+|end|stop|terminate|quit|pause|freeze|upgrade|downgrade|switch|change)\b[^.?!]{0,30}\bmembership\b"
        r"|\bmembership\b[^.?!]{0,20}\b(?:cancel+|cancellation|upgrade|downgrade)"
        r"|\b(?:change|update|correct|fix|edit)\b[^.?!]{0,20}\b(?:e-?mail|email address|phone number|mobile number|password|account|profile|card)\b"
    )),
    ("waitlist", re.compile(r"\b(?:wait ?list|waiting list|wait-list)\b|\b(?:let me know|tell me|notify me|call me|e-?mail me|text me) (?:if|when) (?:a |any |something |anything )?(?:slot|time|spot|opening|space)s? (?:opens?|frees?|becomes?|comes?|is)")),
    ("pay", re.compile(r"\b(?:pay|charge)\b(?! (?:at|in) the (?:spa|salon|desk|front))[^.?!]{0,40}\b(?:card|now|online|booking|it|deposit|for)\b|^pay\b|\b(?:use|with) my (?:card on file|saved card)\b")),
    # The guest's own bookings: "what bookings do I have?", "show my appointments", "do I have anything booked?"
    ("my_bookings", re.compile(
        r"\b(?:what|which|show|list|see|view|check|tell me)\b[^.?!]{0,25}\b(?:my|i have|i'?ve got|do i have)\b[^.?!]{0,20}\b(?:bookings?|appointments?|reservations?)\b"
        r"(?![^.?!]{0,30}\b(?:cancel+|move|reschedule|change)\b)"
        r"|\b(?:what|which|any)\s+(?:upcoming )?(?:bookings?|appointments?|reservations?)\s+(?:do i have|have i got|are coming up|am i booked)"
        r"|^(?:my )?(?:upcoming )?(?:bookings|appointments|reservations)\s*\??$|\bdo i have (?:any(?:thing)?|a) (?:bookings?|appointments?|booked)\b"
    )),
    ("handoff", re.compile(
        r"\b(?:complaint|complain|corporate|bridal|wedding|hen party|bachelorette|"
        r"private event|an event|events?\b(?= for)|(?:party|group) of (?:[7-9]|1\d|2\d|seven|eight|nine|ten|twelve|fifteen|twenty)|"
        r"(?:[7-9]|1\d|2\d|seven|eight|nine|ten|twelve|fifteen|twenty) (?:people|guests|of us|persons|ladies|friends))\b"
        r"|\b(?:have|get|ask) (?:someone|somebody|a person|staff|the spa|a member of staff)\b[^.?!]{0,20}\b(?:call|phone|ring|contact|email|e-mail|text)"
        r"|\b(?:someone|somebody|a person|staff|a member of staff|the front desk)\b[^.?!]{0,15}\b(?:call|phone|ring) me\b")),
    ("handoff", re.compile(r"\b(human|real person|a person|someone|somebody|staff|representative|operator|receptionist|manager|agent|talk to (?:a|an|the|someone)|speak (?:to|with))\b")),
    ("faq_cancellation_policy", re.compile(r"\b(cancel+ation|cancel) (policy|policies|fee|fees|terms)\b|\bif i (cancel|don't show|dont show|miss)\b|\bhow late can i cancel\b|\bno[- ]show\b")),
    ("cancel", re.compile(r"\b(cancel+|call off|can't make it|cant make it|won't make it)\b")),
    ("reschedule", re.compile(r"\b(reschedule|re-schedule|move (my|the|it|cs|tomorrow|today|this|that|our)|(?:need|want|like|have) to move|can'?t make \w+ anymore|change (my|the) (booking|appointment|reservation|time)|push (it|my)|different (time|day))\b")),
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
    ("confirm", re.compile(r"^(yes|yeah|yep|yup|ya|yah|yea|k|kk|sure|ok|okay|confirm|lock it in|that'?s (?:good|great|fine|perfect|right|correct)|thats (?:good|great|fine|perfect|right|correct)|all good|absolutely|definitely|confirmed|correct|sounds good|perfect|great|go ahead|please do|book it|do it|that works|works for me|let's do it)\b")),
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
    references: list = field(default_factory=list)  # every reference said ("cancel CS-… and CS-…")
    every: bool = False  # "both", "all of them", "all my bookings"
    email: str = ""
    phone: str = ""
    name: str = ""
    ordinal: int | None = None
    action_start: str = ""  # ISO local start from an action message
    action_technician: int | None = None
    confirms: str = ""  # cancel | reschedule: the yes of a "Yes, cancel it" / "Yes, move it" action
    addons: list[int] = field(default_factory=list)
    addons_removed: list[int] = field(default_factory=list)
    party: int | None = None  # how many people ("my friend and I" = 2)
    shift_days: int = 0  # "the day after" (+1) / "the day before" (-1) the day asked before
    same_time: bool = False
    companions: list = field(default_factory=list)  # [(name, email)] of the other people named
    guest_services: list = field(default_factory=list)  # each companion's own treatment, when they differ ("a swedish for my husband")
    correction: bool = False  # "actually", "no, …", "instead", "make it …": the message revises what was asked
    clear_addons: bool = False  # "no add-ons", "without any extras"
    addons_exact: bool = False  # "just the aromatherapy": the add-ons named are all of them
    people: list = field(default_factory=list)  # [{"name", "email", "phone"}] when one message gives several people's details
    shift_minutes: int = 0  # "an hour later" (+60), "30 minutes earlier" (-30)

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
        if self.addons:
            out["addons"] = [index.addons[a].slug for a in self.addons if a in index.addons]
        for key in ("duration", "reference", "email", "phone", "name", "ordinal", "party"):
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


_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip
_SPOKEN_DIGITS = re.compile(r"\b(?:(?:" + "|".join(_DIGIT_WORDS) + r")[\s,.\-]+){6,}(?:" + "|".join(_DIGIT_WORDS) + r")\b", re.I)


def _spoken_digits(text: str) -> str:
    """'six four six, five five five, zero one nine eight' -> '6465550198' (a number read out on the phone)."""
    return _SPOKEN_DIGITS.sub(lambda m: "".join(_DIGIT_WORDS[w.lower()] for w in re.findall(r"[a-z]+", m.group(0), re.I)), text)


def _spoken_reference_digits(folded: str, at: int) -> str:
    """'c s t e s t six nine' -> 'c s t e s t 6 9': digits said as words inside a spelled reference."""
    head, tail = folded[:at], folded[at : at + 80]
    tail = re.sub(r"\b(" + "|".join(_DIGIT_WORDS) + r")\b", lambda m: _DIGIT_WORDS[m.group(1)], tail)
    return head + tail + folded[at + 80 :]


def _contact(text: str, folded: str, parse: Parse) -> str:
    """Pull e-mail, phone and a self-introduced name out; return the folded text without them."""
    if _SPOKEN_DIGITS.search(folded):
        folded = _spoken_digits(folded)
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
    plain = PHONE.sub(" , ", EMAIL.sub(" , ", text))
    others = [m.span() for m in _COMPANION.finditer(plain)]
    intro = next((m for m in _NAME_INTRO.finditer(plain) if not any(a <= m.start() <= b + 1 for a, b in others)), None)
    if m := intro:
        candidate = _LEADS.sub("", _NAME_STOP.split(m.group(1))[0].strip(" .")).strip(" .")
        if not re.search(r"\b(looking|interested|trying|going|here|calling|wondering|available|free|a|the|not|sorry|just|only|for)\b", candidate, re.I):
            parse.name = name_shape(candidate) or person_name(candidate)
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


def _first_look(folded: str, parse: Parse) -> str:
    """Shapes read before any keyword: a pricing button, a move by reference, a keep, a correction."""
    if folded.startswith(("show pricing", "pricing for")):
        return "price_question"
    if parse.reference and re.search(r"\b(move|moving|change|switch|push|shift|bring)\b", folded) and not re.search(r"\bcancel", folded):
        return "reschedule"  # "move CS-… to Friday 3pm"
    if _KEEP.match(folded) and not (parse.when.has_time or parse.when.has_date):
        return "deny"
    if re.match(r"^(?:no|nope|nah|not that|keep it)\b", folded) and (parse.when.has_date or parse.when.has_time or parse.services or parse.technicians):
        return "availability_question"  # "no, change it to 11am": a correction, not a no
    return ""


def classify(folded: str, parse: Parse) -> str:
    if first := _first_look(folded, parse):
        return first
    if _AFFIRM.match(folded) and not (parse.when.has_date or parse.when.has_time or parse.services or parse.email or parse.addons):
        return "confirm"
    for intent, pattern in _RULES:
        if pattern.search(folded):
            return _refine(intent, folded, parse)
    has_catalog = bool(parse.services or parse.categories)
    if has_catalog and (parse.when.has_date or parse.when.has_time):
        return "availability_question"
    if follow_up := _follow_up(parse):
        return follow_up
    if parse.ordinal is not None or parse.when.has_time or parse.when.has_date:
        return "choose_slot" if not has_catalog and not parse.when.has_date else "availability_question"
    if parse.email or parse.phone or parse.name:
        return "give_contact"
    if has_catalog:
        return "browse_services" if parse.categories and not parse.services else "service_info"
    return "fallback"


def _follow_up(parse: Parse) -> str:
    """A message that changes what is being booked without naming it again."""
    if parse.addons or parse.addons_removed or parse.clear_addons:
        return "book"  # "can you add a scalp ritual?": to what is being booked
    if parse.technicians or parse.shift_days or parse.same_time or (parse.duration and not parse.when.has_time) or parse.party:
        return "availability_question"  # "actually with Daniel please", "the day after", "make it 90 minutes", "for two"
    return ""


def _refine(intent: str, folded: str, parse: Parse) -> str:
    """Second looks where a keyword alone misleads."""
    if intent == "confirm" and (parse.services or parse.addons or parse.when.has_date or parse.when.has_time):
        return "book"  # "ok I'll take a deep tissue on Friday at 11": a request, not a bare yes
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


_FILLER = re.compile(r"^(?:(?:actually|oh|ohh|hmm+|um+|uh+|wait|sorry|oops|ah|well|ok so|okay so|no wait)[\s,!.]+)+")
_PARTY_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "both": 2, "couple": 2}
_PARTY = re.compile(
    r"\b(?:for|of|we are|we're|there are|there's|party of|group of)\s+(two|three|four|five|six|[2-6])(?:\s+(?:people|persons|guests|of us|adults|ladies|girls|guys|friends))?\b(?!\s*(?::|am|pm|o'?clock|hours?|minutes?|mins?|days?|weeks?|th|st|nd|rd))"
    r"|\b(two|three|four|five|six|[2-6])\s+(?:people|persons|guests|of us|adults|ladies|girls|guys|friends|massages|facials|manicures|pedicures|haircuts)\b"
    r"|\b(two|three|four|five|six|[2-6])\s+(?!hours?\b|hr|min|minutes?\b)(?:[a-z'\-]+\s+){1,3}(?:massages|facials|manicures|pedicures|haircuts|shaves|treatments|manis|pedis|rituals)\b"
)
_PAIR = re.compile(
    r"(?:\b(?:my|a)\s+|^)(?:friend|partner|wife|husband|boyfriend|girlfriend|fiance|fiancee|sister|brother|mom|mum|mother|dad|father|daughter|son|"
    r"colleague|coworker|bestie|best friend|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|other half|hubby|wifey|bf|gf|bff|sis|bro)"
    r"\s+and\s+(?:i|me|myself)\b"
    r"|\b(?:me|i|myself)\s+and\s+(?:my|a)\s+(?:best\s+)?(?:friend|partner|wife|husband|boyfriend|girlfriend|fiance|fiancee|sister|brother|mom|mum|mother|dad|"
    r"father|daughter|son|colleague|coworker|bestie|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|other half|guest|girl ?friend|boy ?friend|"
    r"hubby|wifey|bf|gf|bff|"
    r"sis|bro|grandma|grandmother|grandpa|grandfather|fiancé|fiancée|neighbou?r|pal|buddy|friend of mine|\w+ friend)\b|\bthe two of us\b|\bboth of us\b|\bus both\b|\bus two\b"
    r"|\bsame (?:thing |one |treatment |booking )?for my \w+|\b(?:my|a) (?:friend|partner|wife|husband|boyfriend|girlfriend|sister|brother|mom|mum|mother|dad|father|daughter|son|colleague|bestie|mate|roommate|cousin|spouse) (?:too|as well|also)\b"
    r"|\b(?:come|join|joining) (?:too|as well|along|with me)\b|\bcouples?\b(?! ritual)"
)
_RELATION = re.compile(
    r"\b(?:my|our|a|your)\s+(?:friend|partner|wife|husband|boyfriend|girlfriend|fiance|fiancee|sister|brother|mom|mum|mother|dad|father|"
    r"daughter|son|colleague|coworker|bestie|best friend|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|other half|guest)\b"
)
_EVERY = re.compile(r"\b(?:both|all|every|everything|each)\b(?! (?:day|week|month|the time))|\b(?:bookings|appointments|reservations)\b")
_SHIFT = re.compile(r"\b(?:the )?day (after|before)\b(?! tomorrow)|\ba day (later|earlier)\b")


NOT_NAME_WORDS = frozenset(
    """what where when how why who which can could do does is are will would i i'm im my show book tell the a an not no
    yes yeah yep ya sure ok okay k please thanks thank instead actually other another different time times day earlier later
    cancel pricing price prices confirm add remove without with also too and or but same that this it for at on in to
    hi hello hey nope nah fine great perfect good works sounds sound right correct then both us we me you our your
    tomorrow today tonight morning afternoon evening noon o'clock oclock pm am works booking appointment
    one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty weeks week months along pregnant
    expecting looking calling wondering alright yup go ahead cool lovely awesome just only""".split()  # noqa: SIM905
)
_NAME_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-.]*")
_LABELS = re.compile(r"\b(?:full name|first name|last name|name|e-?mail(?: address)?|mail|phone(?: number)?|mobile(?: number)?|cell(?: number)?|tel|telephone|number)\b\s*(?:is|:|-|=)?", re.I)
_LEADS = re.compile(
    r"^(?:(?:sure|yes|yeah|yep|ok|okay|of course|right|so|um|uh|oh|hi|hello|hey|it'?s|it is|this is|i'?m|im|i am|my name is|my name'?s|"
    r"the name is|name'?s|under|put it under|book it under|in the name of|for)\b[\s,:]*)+",
    re.I,
)


def name_shape(candidate: str, *, capitals: bool = False) -> str:
    """``candidate`` as a person's name (1-4 words of letters, none a word a request is made of), or ''."""
    words = candidate.split()
    if not 1 <= len(words) <= 4 or not all(_NAME_WORD.fullmatch(w) and len(w.strip(".")) > 1 for w in words):
        return ""
    if any(w.lower().strip(".") in NOT_NAME_WORDS for w in words):
        return ""
    if capitals and not all(w[0].isupper() for w in words):
        return ""
    return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in words)


# Words never part of a person's name, even written with capitals ("Will Booker", "Hope Price" and "Rose Park" are names).
_NEVER_NAME = frozenset(
    """the a an i me my you your we us our it this that these those what where when how why who which yes no ok okay
    please thanks thank hi hello hey sure not and or but with for at on in to of is are am was be do can could would
    should want need like get have has there here""".split()  # noqa: SIM905
)


def person_name(candidate: str) -> str:
    """``candidate`` as a name written with capitals (2-4 words), whatever catalog or request words it holds."""
    words = candidate.split()
    if not 2 <= len(words) <= 4 or not all(_NAME_WORD.fullmatch(w) and w[0].isupper() for w in words):
        return ""
    if any(w.lower().strip(".") in _NEVER_NAME for w in words):
        return ""
    return " ".join(words)


def whole_name(text: str, *, lower_case: bool = False) -> str:
    """The name when a message is nothing but a name ("Hope Price", "It's Will Booker", "Sure, Will Cancel").

    ``lower_case``: also "hope price" (the caller checked that no treatment, day or time is named).
    """
    rest = _LEADS.sub("", text.strip().strip(" .!")).strip(" .!,")
    if not rest or "?" in rest:
        return ""
    if found := person_name(rest):
        return found
    if lower_case and rest == rest.lower():
        return person_name(" ".join(w.capitalize() for w in rest.split()))
    return ""


def names_in(text: str) -> list[str]:
    """Every name in a message of details ("Ella Whitman and Joe Whitman", "Amy Chen amy@x.com, and Lucy Chen")."""
    rest = PHONE.sub(" , ", EMAIL.sub(" , ", text))
    rest = _LABELS.sub(" , ", rest)
    capitals = text != text.lower()
    out = []
    for segment in re.split(r"[,;.!?()\n/|&+]|\s+and\s+|\s+-\s+", rest):
        segment = _LEADS.sub("", segment.strip()).strip(" '\"")
        found = name_shape(segment, capitals=capitals) or person_name(segment)
        if found and found.casefold() not in {n.casefold() for n in out}:
            out.append(found)
    return out


def name_in(text: str, *, capitals: bool = False) -> str:
    """The name in a message of details in any order ("ann@x.com, Ann Lee, 212…", "name: Ann Lee phone: …")."""
    rest = PHONE.sub(" , ", EMAIL.sub(" , ", text))
    rest = _LABELS.sub(" , ", rest)
    for segment in re.split(r"[,;.!?()\n/|]|\s+and\s+|\s+-\s+", rest):
        segment = _LEADS.sub("", segment.strip()).strip(" '\"")
        if found := name_shape(segment, capitals=capitals):
            return found
    return ""


_COMPANION = re.compile(
    r"\b(?:my|our)\s+(?:friend|partner|wife|husband|boyfriend|girlfriend|fianc[eé]e?|sister|brother|mom|mum|mother|dad|father|"
    r"daughter|son|colleague|coworker|co-worker|bestie|best friend|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|other half|guest)s?"
    r"(?: are| 're|'s name is|'s name's|'s name|s name is|'s| is called| is named| is| named| called|:|,| -)?\s+"
    r"|\b(?:her|his|their|the other person'?s?|the second person'?s?|other person'?s?) name(?: is|'s|:)?\s+|\b(?:the other person|the second person) is\s+"
    r"|\b(?:he|she)(?:'s| is)\s+(?=[A-Z])|\b(?:me|myself)\s*(?:,|\s+and|\s+plus)\s+(?!my\b|our\b|a\b|the\b|i\b)",
    re.I,
)
# "Beth Young and I", "… and Joe Whitman": names written with capitals beside the speaker or another name.
_NAME_AND_ME = re.compile(r"\b([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2})\s+and\s+(?:I|me|myself)\b")
_AND_NAME = re.compile(r"^\s*(?:,\s*)?(?:and|&)\s+([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2})")


_NOT_COMPANION = frozenset(
    """around about like maybe ish please also too here there tomorrow today as want wants wanna would need needs
    get gets getting book books come comes coming join joins joining love loves try tries fancy deserves has have
    will can could should might is are was wants having getting doing taking""".split()  # noqa: SIM905
)


def companions_in(text: str, vocabulary: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The other people a message names ("my friend is Zoe Park zoe@x.com"): [(name, e-mail or '')].

    Written in lower case, a word of the catalog ("my wife and I want massages") is not a name.
    """
    out = []
    capitals = text != text.lower()  # written with capitals: a name is written with them too
    for m in _COMPANION.finditer(text):
        tail = re.sub(r"^(?:\s|,|please|too|as well|also|is|named|called)+", "", text[m.end():], flags=re.I)
        words = []
        for word in tail.split()[:3]:
            bare = word.strip(",.;!?")
            if not _NAME_WORD.fullmatch(bare) or bare.lower() in NOT_NAME_WORDS or bare.lower() in _NOT_COMPANION or "@" in word:
                break
            if capitals and not bare[0].isupper():
                break
            if not capitals and bare.lower() in vocabulary:
                break
            words.append(bare)
            if word != bare:
                break
        name = name_shape(" ".join(words))
        if name:
            email = EMAIL.search(tail)
            near = email and (email.start() < len(" ".join(words)) + 4 or re.search(
                r"\b(?:her|his|their)\s+(?:e-?mail|email address)\s*(?:is|:)?\s*$", tail[: email.start()], re.I))
            out.append((name, email.group(0).lower() if near else ""))
            after = tail[tail.find(words[-1]) + len(words[-1]):] if capitals else ""
            while capitals and (more := _AND_NAME.match(after)) and (extra := name_shape(more.group(1))):
                out.append((extra, ""))
                after = after[more.end():]
    if capitals:
        for m in _NAME_AND_ME.finditer(text):
            name = name_shape(m.group(1))
            if name and name.casefold() not in {n.casefold() for n, _ in out}:
                out.append((name, ""))
    seen: set[str] = set()
    return [(n, e) for n, e in out if not (n.casefold() in seen or seen.add(n.casefold()))]


_RELATION_WORDS = (
    r"(?:friend|partner|wife|husband|hubby|wifey|boyfriend|girlfriend|bf|gf|bff|fianc[eé]e?|sister|sis|brother|bro|mom|mum|mother|dad|"
    r"father|daughter|son|colleague|coworker|co-worker|bestie|best friend|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|"
    r"other half|guest|other person|second person)s?"
)
# What leads into one person's details in a list of people ("and my sister is …", "friend: …", "names are …").
_PERSON_LEAD = re.compile(
    rf"^(?:(?:and|&|plus|also|then|with)\s+)*(?:(?:my|our|the|a)\s+)?(?:{_RELATION_WORDS}\s*(?:'s name is|'s name's|'s name|s name is|name is|"
    r"is called|is named|named|called|is|:|-|=)?\s+)?(?:(?:full\s+)?names?\s*(?:are|is|:|-)?\s+)?"
    r"(?:(?:he|she)(?:'s|\s+is)\s+|(?:his|her|their)\s+name(?:\s+is|'s|:)?\s+)?",
    re.I,
)


def people_in(text: str, vocabulary: frozenset[str] = frozenset()) -> list[dict]:
    """The people of a message that lists several, each with the e-mail and phone written after their name.

    "Carlos Diaz carlos@x.com 917… and Maria Diaz maria@x.com", "kate morgan kate@x.com, friend is Lily Evans lily@x.com":
    [{"name", "email", "phone"}, …] in the order written. A name in lower case counts when its details follow it.
    """
    details = [(m.start(), m.end(), "email", m.group(0).lower()) for m in EMAIL.finditer(text)]
    for m in PHONE.finditer(EMAIL.sub(lambda e: " " * len(e.group(0)), text)):
        digits = re.sub(r"\D", "", m.group(1))
        if 7 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.group(1).strip()):
            details.append((m.start(1), m.end(1), "phone", ("+" if m.group(1).startswith("+") else "") + digits))
    if not details:
        return []
    details.sort()
    capitals = text != text.lower()
    people: list[dict] = []
    pending: dict = {}
    cursor = 0
    for start, end, kind, value in [*details, (len(text), len(text), "", "")]:
        segments = re.split(r"[,;.!?()\n/|+]|\s+and\s+|\s+&\s+|\s+-\s+", _LABELS.sub(" , ", text[cursor:start]))
        for position, segment in enumerate(segments):
            segment = _LEADS.sub("", _PERSON_LEAD.sub("", segment.strip())).strip(" '\"")
            adjacent = position == len(segments) - 1 and bool(kind)
            name = person_name(segment)
            if not name and (adjacent or not capitals) and not any(w in vocabulary for w in segment.lower().split()):
                name = name_shape(segment) if len(segment.split()) > 1 else ""  # "kate morgan kate@…": its details just after it
            if name and name.casefold() not in {p["name"].casefold() for p in people}:
                people.append({"name": name, "email": "", "phone": "", **pending})
                pending = {}
        if kind:
            target = people[-1] if people and not people[-1][kind] else None
            if target is not None:
                target[kind] = value
            else:
                pending.setdefault(kind, value)
        cursor = end
    return people


_FOR_ME = re.compile(r"\b(?:for me|for myself|me a|i'?ll have|i'?ll take|i want|i'?d like)\b")
_FOR_OTHER = re.compile(
    r"\b(?:for|and)\s+(?:my|our|her|his|him|them)\b|\b(?:she|he|they)(?:'d| would| wants?| will)\b"
)


def _guest_services(corrected: str, found: dict, parse: Parse) -> None:
    """Two treatments and more than one person: who has which ("deep tissue for me and a swedish for my husband").

    The treatment said nearest "for me" (else the first said) is the speaker's; the others go to the other
    people in the order said. ``parse.services`` starts with the speaker's.
    """
    ids, at = found.get("service", []), found.get("service_at", [])
    services = [s for s in parse.services if s in ids]
    if len(services) < 2 or not (parse.companions or (parse.party or 1) > 1) or len(at) != len(ids):
        return
    position = dict(zip(ids, at, strict=True))
    services.sort(key=lambda s: position[s])
    words = corrected.split()
    me = [len(corrected[: m.start()].split()) for m in _FOR_ME.finditer(corrected)]
    others = [len(corrected[: m.start()].split()) for m in _FOR_OTHER.finditer(corrected)]
    mine = services[0]
    if me:
        # the treatment said just before "for me" (or, failing that, just after it)
        before = [s for s in services if position[s] <= me[0]]
        mine = before[-1] if before else min(services, key=lambda s: abs(position[s] - me[0]))
    elif others and position[services[0]] >= others[0] and len(words) > others[0]:
        mine = services[-1]  # "for my husband a swedish, and a deep tissue for me"
    parse.services = [mine, *[s for s in parse.services if s != mine]]
    parse.guest_services = [s for s in services if s != mine]


_MY_N = re.compile(
    r"\b(?:my|our)\s+(two|three|four|five|2|3|4|5)\s+(?:daughters|sons|kids|children|friends|sisters|brothers|girls|boys|"
    r"colleagues|cousins|girlfriends|bridesmaids|guests|nieces|nephews)\b"
)


def _party(folded: str) -> int | None:
    if m := _MY_N.search(folded):  # "me and my two daughters": three people
        count = _PARTY_WORDS[m.group(1)]
        return count + 1 if re.search(r"\b(?:me|myself|i|us|we)\b", folded) else count
    if m := _PARTY.search(folded):
        return _PARTY_WORDS.get(m.group(1) or m.group(2) or m.group(3))
    if _PAIR.search(folded):
        return 2
    if re.search(r"\bfor (?:me|myself)\b", folded) and _RELATION.search(folded):
        return 2  # "a signature facial for me and a hydrating one for my daughter"
    return None


# A message that revises what was asked: "actually …", "no, Wednesday", "make it 4pm", "change the service to …".
_CORRECTION = re.compile(
    r"\b(?:actually|instead|rather|i mean|i meant|meant|sorry|oops|wait|hold on|hang on|second thoughts?|changed? (?:my mind|it|that|to|the)|"
    r"switch|swap|make (?:it|that|this)|(?:can|could) (?:it|we|you) (?:be|do|make|switch|change)|how about|what about|prefer|better|"
    r"not|scratch that|let'?s do|let'?s go with|go with)\b"
)
_LEADING_NO = re.compile(
    r"^\s*(?:(?:hmm+|um+|uh+|oh|ah|sorry|wait|actually|well|ok|okay)[\s,!.]+)*(?:no|nope|nah)(?:[\s,!.]+(?:no|nope|nah))*\s*[,.!;:\-]+\s*\S", re.I
)
_NO_ADDONS = re.compile(
    r"\b(?:no|without(?: any)?(?: the)?|skip(?: the| all)?|drop(?: the| all)?|remove(?: the| all)?(?: of)?|forget(?: the| all)?|"
    r"don'?t (?:want|need)(?: the| any)?|none of the|no more)\s+(?:add-?ons?|add ons?|extras?|upgrades?|enhancements?)\b|\bno extras\b"
)
_HOURS_WORDS = {"an": 60, "a": 60, "one": 60, "1": 60, "two": 120, "2": 120, "half an": 30, "half": 30}
_SHIFT_TIME = re.compile(
    r"\b(?:(?:back|later|push(?:ed)?(?: it)? back|earlier|up|sooner)\s+(?:by\s+)?(half an|an?|one|two|\d{1,3})\s*(hours?|hrs?|minutes?|mins?)"
    r"|(half an|an?|one|two|\d{1,3})\s*(hours?|hrs?|minutes?|mins?)\s+(later|earlier|back|sooner))\b"
)


def _shift_minutes(folded: str) -> int:
    """'push it back an hour' -> 60, '30 minutes earlier' -> -30 (0 when no such shift is said)."""
    m = _SHIFT_TIME.search(folded)
    if not m:
        return 0
    amount, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    minutes = _HOURS_WORDS.get(amount) if unit.startswith("h") else None
    if minutes is None:
        minutes = int(amount) * (60 if unit.startswith("h") else 1) if amount.isdigit() else 60
    earlier = re.search(r"\b(earlier|sooner|up)\b", m.group(0)) and "back" not in m.group(0)
    return -minutes if earlier else minutes


def _twin_treatments(corrected: str, found: dict, parse: Parse, index: CatalogIndex) -> None:
    """"Swedish with aroma": a second treatment named after "with"/"add" whose name is an add-on's ("aromatherapy") is that add-on."""
    if len(parse.services) < 2 or not re.search(r"\b(?:with|add|adding|plus|upgrade)\b", corrected) or _RELATION.search(corrected):
        return  # "a swedish for me and an aromatherapy massage for my wife": two people
    first = parse.services[0]
    for other in parse.services[1:]:
        word = index.services[other].slug.split("-")[0]
        twins = [a for a in index.addons.values() if a.slug.split("-")[0] == word]
        if twins and index.services[other].category_id == index.services[first].category_id:
            found.setdefault("addon", [])
            for twin in twins:
                if twin.id not in found["addon"]:
                    found["addon"].append(twin.id)
            parse.services = [s for s in parse.services if s != other]


def _addons_in(corrected: str, found: dict, parse: Parse, index: CatalogIndex, said: str = "") -> None:
    """Add-ons named; a phrase that names both a treatment and an add-on ("hot stones") is the add-on beside another treatment."""
    _twin_treatments(corrected, found, parse, index)
    addons = found.get("addon", [])
    if not addons:
        return
    shared = set(found.get("shared", []))
    own = [s for s in parse.services if s not in shared]
    addish = re.search(
        r"\b(add|adding|added|with|plus|extra|upgrade|also|and|on top|include|including|addon|add-on|add on|"
        r"without|skip|remove|drop|minus|take off|forget|no|keep|just|only|lose|leave)\b", corrected
    )
    keep = []
    for addon_id in addons:
        twin = [s for s in parse.services if s in shared and addon_id in index.addon_twins.get(s, ())]
        if twin and not own and not addish:
            continue  # "hot stone massage" alone: the treatment
        keep.append(addon_id)
        parse.services = [s for s in parse.services if s not in twin]
    spans = dict(zip(found.get("addon", []), found.get("addon_at", []), strict=False))
    words = said.split()
    polarity: dict[int, str] = {}
    for addon_id in sorted(keep, key=lambda a: spans.get(a, (0, 0))):
        polarity[addon_id] = _addon_polarity(words, spans.get(addon_id), spans, polarity)
    parse.addons = [a for a in keep if polarity[a] != "no"]
    parse.addons_removed = [a for a in keep if polarity[a] == "no"]
    parse.addons_exact = any(polarity[a] == "only" for a in parse.addons)


# Words that take an add-on away ("drop the hot stones", "lose the eye one", "leave out the scalp ritual") or keep it
# ("but keep the hot stones", "just the aromatherapy"); the nearest one before an add-on says which, within its clause.
_ADDON_OFF = frozenset("without no remove drop skip minus forget not lose ditch nix exclude omit".split())  # noqa: SIM905
_ADDON_OFF_PAIRS = frozenset({("leave", "out"), ("leave", "off"), ("take", "off"), ("take", "away"), ("get", "rid"), ("instead", "of"),
                              ("rather", "than"), ("don't", "want"), ("dont", "want"), ("don't", "need"), ("dont", "need"), ("no", "need")})
_ADDON_ON = frozenset("just only but keep add adding with plus also include including instead then".split())  # noqa: SIM905
_ADDON_ONLY = frozenset(("just", "only"))
_ADDON_JOIN = frozenset(("and", "or", "nor", "the", "&", "also"))


def _addon_polarity(words: list[str], span, spans: dict, known: dict) -> str:
    """'yes', 'no' or 'only' for the add-on said at ``span`` (word indexes), read from the words just before it."""
    if span is None:
        return "yes"
    start, end = span
    others = {i: a for a, (s, e) in spans.items() if a in known for i in range(s, e)}
    i = start - 1
    while i >= max(0, start - 7):
        word = words[i] if i < len(words) else ""
        if i in others:  # "without hot stones and the aromatherapy": one clause, the same answer
            between = words[i + 1 : start]
            return known[others[i]] if all(w in _ADDON_JOIN for w in between) else "yes"
        if i > 0 and (words[i - 1], word) in _ADDON_OFF_PAIRS:
            return "no"
        if word in _ADDON_OFF:
            return "no"
        if word in _ADDON_ON:
            return "only" if word in _ADDON_ONLY else "yes"
        i -= 1
    after = words[end : end + 1]
    if after and after[0] in ("off", "out"):  # "take the hot stones off"
        return "no"
    return "yes"


# "… for Paul Adams", "booked under Ann Lee", "Paul Adams here": the person the booking is for, written with capitals.
_FOR_NAME = re.compile(r"\b(?:for|under|in the name of)\s+([A-Z][\w'\-]+\s+[A-Z][\w'\-]+)\b|\b([A-Z][\w'\-]+\s+[A-Z][\w'\-]+)\s+here\b")


def _is_catalog_phrase(name: str, index: CatalogIndex) -> bool:
    found = index.find(fold(name))
    return any(found.get(kind) for kind in ("service", "category", "addon", "technician"))


def _without_names(text: str, rest: str, parse: Parse, index: CatalogIndex) -> str:
    """The folded text without the people's names, so that "Lee Park" is no parking question and "Hope Price" no price one."""
    if not parse.name:
        for m in _FOR_NAME.finditer(text):
            candidate = m.group(1) or m.group(2)
            found = name_shape(candidate) or person_name(candidate)
            if found and not _is_catalog_phrase(candidate, index) and candidate.casefold() not in {n.casefold() for n, _ in parse.companions}:
                parse.name = found
                break
    for name in [parse.name, *(n for n, _ in parse.companions)]:
        if name and not _is_catalog_phrase(name, index):
            rest = re.sub(rf"\b{re.escape(fold(name))}\b", " ", rest)
    return rest


def parse_message(text: str, *, index: CatalogIndex, today: date) -> Parse:
    """Intent and entities of one cleaned message."""
    folded = fold(text)
    parse = Parse(text=text, folded=folded, intent="fallback")
    if _actions(folded, parse, index):
        return parse
    parse.correction = bool(_CORRECTION.search(folded) or _LEADING_NO.match(text))
    folded = _FILLER.sub("", expand_texting(folded)) or folded
    if m := REFERENCE.search(folded):
        parse.reference = ("CS-" + m.group(1)).upper()
        parse.references = list(dict.fromkeys(("CS-" + r).upper() for r in REFERENCE.findall(folded)))
    elif (spoken := re.search(r"\bc[\s.\-]*s\b[\s.\-]", folded)) and (m := SPOKEN_REFERENCE.search(_spoken_reference_digits(folded, spoken.start()))):
        folded = _spoken_reference_digits(folded, spoken.start())
        parse.reference = ("CS-" + re.sub(r"[\s.\-]", "", m.group(1))).upper()
        folded = SPOKEN_REFERENCE.sub(" ", folded)
    rest = _contact(text, folded, parse)
    rest = REFERENCE.sub(" ", rest)
    parse.companions = companions_in(text, index.vocabulary)
    if parse.companions and not parse.name and len(parse.companions) == 1 and re.search(
        rf"\b(?i:me)\s*,\s*(?i:{re.escape(parse.companions[0][0])})\b(?!\s*(?:,|and|&)\s*[A-Z])", text
    ):
        parse.name = parse.companions.pop()[0]  # "it's for me, Paul Adams": the speaker's own name
    parse.companions = [c for c in parse.companions if c[0].casefold() != (parse.name or "").casefold()]
    if len(EMAIL.findall(text)) > 1 or ((parse.email or parse.phone) and (parse.companions or re.search(r"\band\b|,", text))):
        people = people_in(text, index.vocabulary)
        parse.people = people if len(people) > 1 else []
    rest = _without_names(text, rest, parse, index)
    corrected = correct_typos(rest, index.vocabulary)
    # "same for my partner", "me and my husband": the people, not a treatment ("partner" also names the couples ritual)
    people = _RELATION.sub(" ", corrected) if _RELATION.search(corrected) else corrected
    found = index.find(people)
    parse.services = found.get("service", [])
    _addons_in(corrected, found, parse, index, people)
    parse.party = _party(corrected)
    _for_someone_else(corrected, parse)
    if parse.companions and not parse.party:
        parse.party = 1 + len(parse.companions)
    _guest_services(people, found, parse)
    if m := _SHIFT.search(corrected):
        parse.shift_days = 1 if (m.group(1) or m.group(2)) in ("after", "later") else -1
    parse.same_time = bool(re.search(r"\bsame time\b", corrected))
    parse.every = bool(_EVERY.search(folded))  # before typo correction ("bookings" is not "booking")
    parse.categories = found.get("category", [])
    parse.tiers = found.get("tier", [])
    if re.search(r"\b(with|by|from|see|prefer)\b", corrected) or not parse.name:
        parse.technicians = [t for t in found.get("technician", []) if not _is_contact_name(index.technicians[t], parse.name)]
    parse.duration = _duration(corrected)
    parse.clear_addons = bool(_NO_ADDONS.search(corrected))
    parse.shift_minutes = _shift_minutes(folded)  # before typo correction ("later" is not "late")
    if parse.shift_minutes:
        parse.duration = None  # "an hour later" moves the time; it is not a 60-minute treatment
    # "no, Wednesday": a correction (the no answers what was held), not "no Wednesday"
    when_text = re.sub(r"^(?:(?:no|nope|nah)\s+)+", "", corrected) if _LEADING_NO.match(text) else corrected
    parse.when = parse_when(when_text, today)
    words = re.sub(r"\b(?:on )?second thoughts?\b", " ", corrected).split()
    ordinal = next((_ORDINALS[w] for w in words if w in _ORDINALS), None)
    if ordinal is None and (m := re.fullmatch(r"(?:option |number |#)?([1-5])", corrected)):
        ordinal = int(m.group(1)) - 1
    parse.ordinal = ordinal
    if parse.services and not parse.categories:
        parse.categories = [index.services[parse.services[0]].category_id]
    parse.intent = classify(corrected, parse)
    return parse


# "a facial for my mom, her name is …", "I'd like to treat my wife to …", "a gift for my husband": one person, not the speaker.
_ON_BEHALF = re.compile(
    r"\b(?:for|treat|treating|gift|gifting|surprise|surprising|spoil|spoiling)\s+(?:my|our)\s+(?:best\s+)?(?:friend|partner|wife|husband|"
    r"hubby|wifey|boyfriend|girlfriend|fiance|fiancee|sister|brother|mom|mum|mother|dad|father|daughter|son|colleague|coworker|"
    r"bestie|mate|roommate|cousin|aunt|uncle|niece|nephew|spouse|grandma|grandmother|grandpa|grandfather)\b"
)
_SPEAKER_TOO = re.compile(
    r"\b(?:me and|and me|and i|i and|and myself|me too|us|we|we're|we are|our(?:selves)?|both|together|two|couples?|as well|too|"
    r"join|joining|for me|for myself|with my|with me|with him|with her|each|same|and one|and a|another|one more|also|plus|extra)\b"
)


def _for_someone_else(corrected: str, parse: Parse) -> None:
    """A treatment booked for one other person ("a haircut for my son, name Jack Moss"): a party of one, under their name."""
    if len(parse.companions) > 1 or parse.party not in (None, 2) or not _ON_BEHALF.search(corrected) or _SPEAKER_TOO.search(corrected):
        return
    if parse.party == 2 and not parse.companions and not _PAIR.search(corrected):
        return  # "for two": a count said outright
    if parse.companions:
        name, email = parse.companions.pop()
        parse.name = parse.name or name
        parse.email = parse.email or email
    parse.party = None


def _is_contact_name(technician_name: str, contact_name: str) -> bool:
    return bool(contact_name) and technician_name.split()[0].lower() in contact_name.lower()
