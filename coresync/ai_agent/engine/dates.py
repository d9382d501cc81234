"""Dates and times as guests say them, read in the location's zone.

Our own rules cover what people type to a spa ("tomorrow afternoon", "after 5",
"this weekend", "next Friday", "the 12th", "noon", "3:30pm"); ``dateparser``
reads what the rules do not ("December 3rd 2026", "in two weeks").
Everything is relative to ``today`` passed in, so tests and the evaluation
freeze time by passing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MINUTE_WORDS = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "oh five": 5}

# Parts of the day, in minutes after midnight (local wall time).
DAY_PARTS = {
    "morning": (0, 12 * 60),
    "lunchtime": (12 * 60, 14 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 24 * 60),
    "tonight": (17 * 60, 24 * 60),
    "night": (17 * 60, 24 * 60),
}

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{1,2}):(\d{2}))?\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])|\b(\d{1,2}):(\d{2})\b")
_BARE_HOUR = re.compile(r"\b(at|after|before|around|from|by|until|til|till|between|and|to)\s+(\d{1,2})(?::(\d{2}))?\b(?!\s*(?:min|minute|hour|hr|days?|weeks?|th|st|nd|rd|/|-))")
_RANGE_WORD = re.compile(r"\b(after|before|around|from|by|until|til|till|between)\s*$")
_ORDINAL_DAY = re.compile(r"\b(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b")
_MONTH_DAY = re.compile(r"\b(" + "|".join(list(_MONTH_ABBR) + MONTHS) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + "|".join(MONTHS + list(_MONTH_ABBR)) + r")\b")
_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_IN_DAYS = re.compile(r"\bin\s+(\d+|a|one|two|three|four|five|six|seven)\s+(day|days|week|weeks)\b")
_WEEKDAY_RE = re.compile(r"\b(?:(this|next|coming|on)\s+)?(" + "|".join(WEEKDAYS + list(_WEEKDAY_ABBR)) + r")s?\b")
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": False}


@dataclass
class When:
    """What the guest said about *when*: a day range and a time (exact or a range), each optional."""

    date_from: date | None = None
    date_to: date | None = None
    exact_minute: int | None = None  # minutes after midnight
    minute_from: int | None = None
    minute_to: int | None = None

    @property
    def has_date(self) -> bool:
        return self.date_from is not None

    @property
    def has_time(self) -> bool:
        return self.exact_minute is not None or self.minute_from is not None or self.minute_to is not None

    def as_dict(self) -> dict:
        out: dict = {}
        if self.date_from:
            out["date"] = self.date_from.isoformat()
            if self.date_to and self.date_to != self.date_from:
                out["date_to"] = self.date_to.isoformat()
        if self.exact_minute is not None:
            out["time"] = f"{self.exact_minute // 60:02d}:{self.exact_minute % 60:02d}"
        if self.minute_from is not None:
            out["after"] = f"{self.minute_from // 60:02d}:{self.minute_from % 60:02d}"
        if self.minute_to is not None:
            out["before"] = f"{self.minute_to // 60:02d}:{self.minute_to % 60:02d}"
        return out


def _words_to_digits(text: str) -> str:
    """'three thirty pm' -> '3:30 pm', 'half past four' -> '4:30' (how callers' speech arrives)."""
    hour_words = "|".join(_NUMBER_WORDS)
    text = re.sub(
        rf"\bhalf past ({hour_words}|\d{{1,2}})\b",
        lambda m: f"{_NUMBER_WORDS.get(m.group(1), m.group(1))}:30",
        text,
    )
    text = re.sub(
        rf"\b({hour_words})\s+(fifteen|thirty|forty five|forty-five|oh five)\b",
        lambda m: f"{_NUMBER_WORDS[m.group(1)]}:{_MINUTE_WORDS[m.group(2)]:02d}",
        text,
    )
    def digits(m: re.Match) -> str:
        if m.group(1) == "and" and not re.search(r"\bbetween\b[^,.]{0,20}$", text[: m.start()]):
            return m.group(0)  # "and one for my friend": a person, not one o'clock
        return f"{m.group(1)} {_NUMBER_WORDS[m.group(2)]}" if m.group(1) else str(_NUMBER_WORDS[m.group(3)])

    return re.sub(
        rf"\b(at|after|before|around|by|from|until|between|and|be|make it|how about|instead)\s+({hour_words})\b"
        rf"|\b({hour_words})(?=\s*(?:o'?clock|am|pm|a\.m|p\.m)|\s+(?:would be|works|is better|instead|then|sounds|is good|is perfect|is great|please)\b)",
        digits,
        text,
    )


def _hour_minute(hour: int, minute: int, meridiem: str | None) -> int | None:
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif hour <= 7:
        hour += 12  # a spa is not open at 3 a.m.: "at 3" means 3 p.m.
    elif hour > 23:
        return None
    return hour * 60 + minute


def _roll_year(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _month_from_word(word: str) -> int:
    return MONTHS.index(word) + 1 if word in MONTHS else _MONTH_ABBR[word]


def _weekday_date(today: date, weekday: int, qualifier: str | None) -> date:
    if qualifier == "next":
        # "next Friday" is the Friday of next week (Monday to Sunday); plain "Friday" is the coming one.
        monday = today + timedelta(days=7 - today.weekday())
        return monday + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and qualifier in (None, "on", "coming"):
        ahead = 7  # "Monday" said on a Monday is next week's (today is "today"); "this Monday" stays today
    return today + timedelta(days=ahead)


def _parse_days(text: str, today: date) -> tuple[date, date] | None:  # noqa: C901 - a flat table of phrasings
    if m := _ISO.search(text):
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return day, day
    if "day after tomorrow" in text:
        day = today + timedelta(days=2)
        return day, day
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", text):
        return today, today
    if "tomorrow" in text:
        day = today + timedelta(days=1)
        return day, day
    if m := re.search(r"\b(this|next|the)?\s*weekend\b", text):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - timedelta(days=1)
        if m.group(1) == "next":
            saturday += timedelta(days=7)
        return max(saturday, today), saturday + timedelta(days=1)
    if m := re.search(r"\b(this|next)\s+week\b", text):
        if m.group(1) == "this":
            return today, today + timedelta(days=6 - today.weekday())
        monday = today + timedelta(days=7 - today.weekday())
        return monday, monday + timedelta(days=6)
    if m := _IN_DAYS.search(text):
        count = m.group(1)
        n = int(count) if count.isdigit() else ({"a": 1, "one": 1} | {k: v for k, v in _NUMBER_WORDS.items()}).get(count, 1)
        day = today + timedelta(days=n * (7 if m.group(2).startswith("week") else 1))
        return day, day
    if m := _MONTH_DAY.search(text):
        day = _roll_year(today, _month_from_word(m.group(1)), int(m.group(2)))
        return (day, day) if day else None
    if m := _DAY_MONTH.search(text):
        day = _roll_year(today, _month_from_word(m.group(2)), int(m.group(1)))
        return (day, day) if day else None
    if m := _SLASH.search(text):
        day = _roll_year(today, int(m.group(1)), int(m.group(2))) if 1 <= int(m.group(1)) <= 12 else None
        return (day, day) if day else None
    if m := _WEEKDAY_RE.search(text):
        word = m.group(2)
        weekday = WEEKDAYS.index(word) if word in WEEKDAYS else _WEEKDAY_ABBR[word]
        day = _weekday_date(today, weekday, m.group(1))
        return day, day
    if m := _ORDINAL_DAY.search(text):
        number = int(m.group(1))
        for offset in (0, 1, 2):
            month_start = (today.replace(day=1) + timedelta(days=32 * offset)).replace(day=1)
            try:
                day = month_start.replace(day=number)
            except ValueError:
                continue
            if day >= today:
                return day, day
    return None


def _parse_time(text: str, when: When) -> None:
    if (m := _ISO.search(text)) and m.group(4) is not None:
        when.exact_minute = int(m.group(4)) * 60 + int(m.group(5))
        return
    for position, minute in sorted(_clock_times(text)):
        if not _already_placed(when, minute):
            _place(text, position, minute, when)
    if not when.has_time:
        for part, (start, end) in DAY_PARTS.items():
            if re.search(rf"\b{part}\b", text):
                when.minute_from, when.minute_to = start, end
                break


def _clock_times(text: str) -> list[tuple[int, int]]:
    """(position, minute) of every time said, to be placed in the order said ("3 or 3:30" is 3)."""
    found: list[tuple[int, int]] = []
    for word in ("noon", "midday"):
        if (at := text.find(word)) >= 0 and re.search(rf"\b{word}\b", text):
            found.append((at, 12 * 60))
    clock_spans = []
    for m in _CLOCK.finditer(text):
        clock_spans.append(m.span())
        if m.group(1):
            minute = _hour_minute(int(m.group(1)), int(m.group(2) or 0), m.group(3).replace(".", ""))
        else:
            minute = _hour_minute(int(m.group(4)), int(m.group(5)), None)
        if minute is not None:
            found.append((m.start(), minute))
    for m in _BARE_HOUR.finditer(text):
        if any(a <= m.start(2) < b for a, b in clock_spans):
            continue
        minute = _hour_minute(int(m.group(2)), int(m.group(3) or 0), None)
        if minute is not None:
            found.append((m.start(2), minute))
    return found


def _already_placed(when: When, minute: int) -> bool:
    return minute in (when.exact_minute, when.minute_from, when.minute_to)


def _place(text: str, position: int, minute: int, when: When) -> None:
    """Put a clock time where its preposition says: 'after 5' is a lower bound, 'at 5' exact."""
    before = text[max(0, position - 12) : position]
    m = _RANGE_WORD.search(before)
    word = m.group(1) if m else ""
    if word in ("after", "from"):
        when.minute_from = minute
    elif word in ("before", "by", "until", "til", "till"):
        when.minute_to = minute
    elif word == "between" or (re.search(r"\band\s*$|\bto\s*$|-\s*$", before) and when.minute_from is not None):
        if when.minute_from is None:
            when.minute_from = minute
        else:
            when.minute_to = minute
    elif when.exact_minute is not None and when.minute_from is None and re.search(r"(\band|\bto|-)\s*$", before):
        when.minute_from, when.exact_minute, when.minute_to = when.exact_minute, None, minute
    elif when.exact_minute is None:
        when.exact_minute = minute


_DATE_HINT = re.compile(r"\b(" + "|".join(MONTHS) + r"|in \w+ (days?|weeks?|months?))\b")


# No one books further ahead than this; a day beyond it (year 9999, "in 99999 weeks") is read as this far
# ahead, so the reply explains the booking window instead of date arithmetic overflowing.
FARTHEST_AHEAD = timedelta(days=3 * 366)


# How people text a time: "3ish" is around 3; "after lunch", "after work", "first thing".
_ISH = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*-?\s*ish\b")
_LOOSE_PARTS = (
    (re.compile(r"\bafter lunch\b"), "after 1pm"),
    (re.compile(r"\bbefore lunch\b"), "before 12pm"),
    (re.compile(r"\bafter work\b"), "after 5pm"),
    (re.compile(r"\bfirst thing\b"), "morning"),
)
# "not tomorrow, Friday at 4" / "not at 2": the negated part is not what is asked for.
_NEGATED = re.compile(
    r"\b(?:not|no|instead of|can'?t make|cannot make|can'?t do|cannot do)\s+(?:it\s+)?(?:on\s+|at\s+)?(?:today|tonight|tomorrow|noon|midday|(?:in the\s+)?(?:morning|afternoon|evening)|(?:this|next)\s+\w+|"
    + "|".join(WEEKDAYS + list(_WEEKDAY_ABBR))
    + r"|the\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?::\d{2})?\s*(?:am|pm)?)\b(?:\s+(?:at\s+)?\d{1,2}(?::\d{2})?\s*(?:am|pm)?\b)?"
)


# A bare hour where a time is obviously meant: "make it 3", "how about 4", "@ 2", "3 then", "4:30 instead".
_LOOSE_HOUR = re.compile(
    r"\b(?:make it|make that|do|be|how about|what about|say|try|maybe|like|@|instead|change (?:it )?to|move (?:it )?to|switch to|go with|rather|"
    r"i mean|i meant|meant|prefer)\s+(\d{1,2}(?::\d{2})?)\b"
    r"(?!\s*(?:min|minute|hour|hr|people|persons|guests|of us|days?|weeks?|th|st|nd|rd|/|-|am|pm|a\.m|p\.m|:))"
)
_ALONE_HOUR = re.compile(r"^(\d{1,2}(?::\d{2})?)\s*(?:o'?clock\s*)?(?:then|instead|works|is fine|please|pls|ok|okay|is good|is better|would be (?:great|better|good)|would work|is ok|is okay)?\s*[.!?]*$")
_OCLOCK = re.compile(r"\b(\d{1,2})\s*o'?clock\b")


# "friday 11", "tomorrow 2:30": a bare hour right after a day; "4 instead", "12 would be better" after the hour.
_DAY_HOUR = re.compile(
    r"\b(today|tonight|tomorrow|" + "|".join(WEEKDAYS + list(_WEEKDAY_ABBR)) + r")\s+(\d{1,2}(?::\d{2})?)\b"
    r"(?!\s*(?:st|nd|rd|th|min|minute|hour|hr|people|persons|guests|of us|days?|weeks?|/|-|am|pm|a\.m|p\.m|:|\d|ish))"
)
_HOUR_THEN = re.compile(
    r"(?<![:\d])\b(\d{1,2}(?::\d{2})?)\s+(?=(?:instead|then|would be (?:better|great|good|perfect)|works|is better|would work|sounds (?:good|great|perfect)|please)\b)"
)


def loosen(text: str) -> str:
    """Texting shapes of a time read as the rules expect them; negated days and times dropped."""
    text = _NEGATED.sub(" ", text)
    text = _DAY_HOUR.sub(lambda m: f"{m.group(1)} at {m.group(2)}", text)
    text = _HOUR_THEN.sub(lambda m: f"at {m.group(1)} ", text)
    text = re.sub(r"(?:^|(?<=\s))@\s*(?=\d)", "at ", text)
    text = _OCLOCK.sub(lambda m: f"at {m.group(1)}", text)
    text = _LOOSE_HOUR.sub(lambda m: f"at {m.group(1)}", text)
    text = _ALONE_HOUR.sub(lambda m: f"at {m.group(1)}", text)
    text = _ISH.sub(lambda m: f"around {m.group(1)}" + (f":{m.group(2)}" if m.group(2) else ""), text)
    for pattern, replacement in _LOOSE_PARTS:
        text = pattern.sub(replacement, text)
    return text


def parse_when(text: str, today: date) -> When:
    """Read a day range and a time from folded text; empty ``When`` when nothing is said."""
    text = loosen(_words_to_digits(text))
    when = When()
    try:
        days = _parse_days(text, today)
        if days is None and _DATE_HINT.search(text):
            days = _dateparser_days(text, today)
    except OverflowError:  # a day past date.max ("in 9999999 weeks")
        days = (today + FARTHEST_AHEAD, today + FARTHEST_AHEAD)
    except ValueError:  # no such day ("2026-13-45")
        days = None
    if days:
        farthest = today + FARTHEST_AHEAD
        when.date_from, when.date_to = (min(day, farthest) if day else day for day in days)
    _parse_time(text, when)
    if when.minute_from is not None and when.minute_to is not None and when.minute_to <= when.minute_from:
        when.minute_to = None
    return when


def _dateparser_days(text: str, today: date) -> tuple[date, date] | None:
    fragment = _DATE_HINT.search(text)
    if not fragment:
        return None
    start = max(0, fragment.start() - 6)
    candidate = text[start : fragment.end() + 10]
    base = datetime(today.year, today.month, today.day, 12, 0)
    parsed = dateparser.parse(candidate, languages=["en"], settings={**_DATEPARSER_SETTINGS, "RELATIVE_BASE": base})
    if parsed is None or parsed.date() < today:
        return None
    return parsed.date(), parsed.date()
