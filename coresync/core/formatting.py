"""One way to write money, dates and times for people: the web pages, the chat, the phone and the e-mails.

Locale-aware through Babel (CLDR data), in the spa's locale (``en_US``): ``$104.52``,
``2:00 PM``, ``Friday, December 4``. Times are shown in the location's own zone;
pass an aware ``datetime`` and the zone it should be read in.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency

LOCALE = Locale.parse("en_US")  # parsed once: Babel would parse the identifier again on every call (a chat turn makes ~20)


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    return moment.astimezone(tz) if tz is not None and moment.tzinfo is not None else moment


def format_money(amount: Decimal | int | str, currency: str = "USD") -> str:
    """``Decimal("104.5")`` → ``$104.50``; never through float."""
    return format_currency(Decimal(amount), currency, locale=LOCALE)


def format_time(moment: datetime, tz: tzinfo | None = None) -> str:
    """``2:00 PM`` (the hour without a leading zero, as people write it)."""
    return _babel_time(_local(moment, tz), "h:mm a", locale=LOCALE)


def format_date(day: date | datetime, tz: tzinfo | None = None, *, with_year: bool = False) -> str:
    """``Friday, December 4`` (``Friday, December 4, 2026`` with the year)."""
    if isinstance(day, datetime):
        day = _local(day, tz).date()
    return _babel_date(day, "EEEE, MMMM d, y" if with_year else "EEEE, MMMM d", locale=LOCALE)


def format_short_date(day: date | datetime, tz: tzinfo | None = None) -> str:
    """``Fri, Dec 4``: for lists and buttons."""
    if isinstance(day, datetime):
        day = _local(day, tz).date()
    return _babel_date(day, "EEE, MMM d", locale=LOCALE)


def format_datetime(moment: datetime, tz: tzinfo | None = None, *, with_year: bool = False) -> str:
    """``Friday, December 4 at 2:00 PM``."""
    return f"{format_date(moment, tz, with_year=with_year)} at {format_time(moment, tz)}"


def format_saving(amount: Decimal) -> str:
    """``You save $64.00`` or an empty string when nothing is saved."""
    return f"You save {format_money(amount)}" if Decimal(amount) > 0 else ""
