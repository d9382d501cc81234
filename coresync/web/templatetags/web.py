"""Template helpers for the web pages.

``{% picture %}``: one ``<picture>`` with AVIF/WebP ``srcset``, intrinsic size and lazy loading.
``{% site_location as loc %}``: the spa's address, phone and hours for the footer of every page.
``{% concierge_enabled as on %}``: the ``CONCIERGE_ENABLED`` feature flag, read per request (the chat is hidden when off).
Filters ``money``, ``saving``, ``time12``, ``longdate``, ``shortdate`` and ``when`` write money and
times exactly as the chat and the e-mails do: they call ``coresync.core.formatting``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from coresync.core import formatting
from coresync.web.selectors import Picture, site_location

register = template.Library()


def _url(picture: Picture, name: str) -> str:
    return static(name) if picture.storage == "static" else default_storage.url(name)


@register.simple_tag
def picture(picture: Picture, sizes: str = "100vw", eager: bool = False, css_class: str = "", alt: str | None = None):
    """Render ``picture``; ``eager`` marks the largest above-the-fold image (no lazy load, high fetch priority)."""
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        (
            (mime, ", ".join(f"{_url(picture, name)} {width}w" for width, name in files), sizes)
            for mime, files in picture.sources
        ),
    )
    loading = format_html('{}="{}" decoding="async"', *(("fetchpriority", "high") if eager else ("loading", "lazy")))
    return format_html(
        '<picture class="{}">{}<img src="{}" width="{}" height="{}" alt="{}" {}></picture>',
        css_class,
        sources,
        _url(picture, picture.fallback),
        picture.width,
        picture.height,
        picture.alt if alt is None else alt,
        loading,
    )


@register.filter
def minutes(value: int) -> str:
    """90 -> "1 h 30 min"."""
    value = int(value or 0)
    hours, mins = divmod(value, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


@register.simple_tag(name="site_location")
def site_location_tag():
    """The location shown in the footer (from the cached site snapshot, or one query when it is cold)."""
    return site_location()


@register.simple_tag(name="concierge_enabled")
def concierge_enabled_tag() -> bool:
    """``CONCIERGE_ENABLED``, read when the page renders (so ``override_settings`` and a restart both apply)."""
    return bool(getattr(settings, "CONCIERGE_ENABLED", True))


@register.filter
def money(amount, currency: str = "USD") -> str:
    """``Decimal("104.52")|money:"USD"`` -> ``$104.52``."""
    if amount in (None, ""):
        return ""
    try:
        return formatting.format_money(Decimal(str(amount)), currency or "USD")
    except (InvalidOperation, ValueError):
        return ""


@register.filter
def saving(amount) -> str:
    """``64.00`` -> ``You save $64.00``; nothing when nothing is saved."""
    try:
        return formatting.format_saving(Decimal(str(amount or 0)))
    except (InvalidOperation, ValueError):
        return ""


def _is_moment(value) -> bool:
    return isinstance(value, datetime)


@register.filter
def time12(value) -> str:
    """An aware local ``datetime`` -> ``2:00 PM`` (read in its own zone)."""
    return formatting.format_time(value) if _is_moment(value) else ""


@register.filter
def longdate(value, with_year: str = "") -> str:
    """``Friday, December 4`` (``longdate:"year"``: ``Friday, December 4, 2026``)."""
    if not isinstance(value, date):
        return ""
    return formatting.format_date(value, with_year=bool(with_year))


@register.filter
def shortdate(value) -> str:
    """``Fri, Dec 4``."""
    return formatting.format_short_date(value) if isinstance(value, date) else ""


@register.filter
def when(value) -> str:
    """``Friday, December 4 at 2:00 PM``."""
    return formatting.format_datetime(value) if _is_moment(value) else ""
