"""How the concierge says days, times and money: compact on screen, the way people speak on the phone.

On screen through ``core.formatting`` (the one locale-aware way the site, the e-mails and the chat write them).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from coresync.core.formatting import format_money, format_short_date, format_time

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_ONES = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = n % 1000
    return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def ordinal_words(n: int) -> str:
    words = number_words(n)
    head, _, last = words.rpartition("-")
    if last in _ORDINAL_ONES:
        last = _ORDINAL_ONES[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}-{last}" if head else last


class Voice:
    """Formats for one channel: ``spoken`` for phone calls, compact text otherwise."""

    def __init__(self, *, spoken: bool, today: date):
        self.spoken = spoken
        self.today = today

    def time(self, moment: datetime) -> str:
        hour, minute = moment.hour, moment.minute
        if self.spoken:
            if hour == 12 and minute == 0:
                return "noon"
            words = number_words(hour % 12 or 12)
            if minute:
                words += " " + (f"oh {number_words(minute)}" if minute < 10 else number_words(minute))
            return words + (" p.m." if hour >= 12 else " a.m.")
        return format_time(moment)

    def day(self, day: date) -> str:
        delta = (day - self.today).days
        if delta == 0:
            return "today"
        if delta == 1:
            return "tomorrow"
        if self.spoken:
            if 0 < delta < 7:
                return day.strftime("%A")
            return f"{day:%A}, {day:%B} {ordinal_words(day.day)}"
        return format_short_date(day)

    def moment(self, moment: datetime) -> str:
        """'three thirty p.m. on Friday' / 'Fri, Nov 27 at 3:30 PM'."""
        day = self.day(moment.date())
        if self.spoken:
            return f"{self.time(moment)} {'' if day in ('today', 'tomorrow') else 'on '}{day}"
        return f"{day} at {self.time(moment)}"

    def money(self, amount: Decimal) -> str:
        if not self.spoken:
            return format_money(amount)
        dollars = int(amount)
        cents = int((amount - dollars) * 100)
        words = f"{number_words(dollars)} dollar{'s' if dollars != 1 else ''}"
        return words + (f" and {number_words(cents)} cents" if cents else "")

    def minutes(self, count: int) -> str:
        return f"{number_words(count)} minutes" if self.spoken else f"{count} min"

    def percent(self, value) -> str:
        number = Decimal(value).normalize()
        text = f"{number:f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:f}"
        return f"{number_words(int(number))} percent" if self.spoken and number == int(number) else f"{text}%"


_URL = re.compile(r"https?://\S+|www\.\S+")
_MARKUP = re.compile(r"[*_#`>|\[\]{}<>~]")


def speakable(text: str) -> str:
    """Plain text a voice can read: no URLs, no markup, no symbols read out as such."""
    text = _URL.sub("", text)
    text = text.replace("&", " and ").replace("·", ",").replace("—", ", ").replace("–", " to ").replace("%", " percent")
    text = re.sub(r"\bCS-([0-9A-Z]{6})\b", lambda m: "C S " + " ".join(m.group(1)), text)
    text = _MARKUP.sub(" ", text)
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
