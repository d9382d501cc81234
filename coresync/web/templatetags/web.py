"""``{% picture %}``: one ``<picture>`` with AVIF/WebP ``srcset``, intrinsic size and lazy loading."""

from __future__ import annotations

from django import template
from django.core.files.storage import default_storage
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from coresync.web.selectors import Picture

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
