"""Public pages: server-rendered from the cached site snapshot, no prices anywhere."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from .models import LegalPage
from .selectors import site_content

SUITES = {
    "menssuite": {
        "title": "The Men's Suite",
        "kicker": "A private floor for grooming and recovery",
        "lede": (
            "Walnut, brass and low light. A barber chair, a steam room and two treatment rooms kept only "
            "for the suite, so you are never waiting in a corridor."
        ),
        # The suite's own room and its barber chairs: the catalog's services booked into these are listed.
        "room_types": ("mens-suite", "barber"),
        "cta": "Reserve the suite",
        "chat_prompt": "Book the men's suite",
    },
    "private": {
        "title": "The Private Spa",
        "kicker": "The whole spa, for you and yours",
        "lede": (
            "A pool, a hammam and treatment beds for two, closed to everyone else for the length of your stay. "
            "Ideal for couples, a quiet birthday or a small group of friends."
        ),
        "room_types": ("private-spa",),
        "cta": "Reserve the private spa",
        "chat_prompt": "Book the private spa",
    },
}


DEFAULT_SUGGESTIONS = [
    ("Book a massage", "Book a massage tomorrow at 3pm"),
    ("Anything tonight?", "Anything available today after 5pm?"),
    ("Where do I park?", "Where do I park?"),
]


def part_of_day(site, now: datetime | None = None) -> str:
    """'morning', 'afternoon' or 'evening' at the spa: the location's own clock, not the server's (UTC)."""
    try:
        zone = ZoneInfo(site.location.timezone) if site.location else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    local = (now or timezone.now()).astimezone(zone)
    return "morning" if 5 <= local.hour < 12 else "afternoon" if local.hour < 17 else "evening"


def _page(request, template: str, **context):
    context.setdefault("site", site_content())
    context.setdefault("chat_suggestions", DEFAULT_SUGGESTIONS)
    context.setdefault("chat_greeting", f"Good {part_of_day(context['site'])}.")
    return render(request, template, context)


@require_safe
@ensure_csrf_cookie
def index(request):
    site = site_content()
    return _page(
        request,
        "web/index.html",
        site=site,
        hero=site.galleries["home"][0],
        suites=[(slug, SUITES[slug], site.galleries[slug][0]) for slug in ("menssuite", "private")],
    )


@require_safe
@ensure_csrf_cookie
def suite(request, slug: str):
    site = site_content()
    details = SUITES[slug]
    return _page(
        request,
        "web/suite.html",
        site=site,
        slug=slug,
        suite=details,
        gallery=site.galleries[slug],
        services=site.suite_services(details["room_types"]),
        chat_suggestions=[(details["chat_prompt"], details["chat_prompt"]), ("What is included?", f"What is included in {details['title']}?")],
    )


@require_safe
@ensure_csrf_cookie
def service_detail(request, slug: str):
    site = site_content()
    service = site.services.get(slug)
    if service is None:
        raise Http404("No such service.")
    related = [s for c in site.categories if c.slug == service.category_slug for s in c.services if s.slug != slug][:3]
    return _page(request, "web/service_detail.html", site=site, service=service, related=related)


@require_safe
def contact(request):
    return _page(request, "web/contact.html")


@require_safe
def legal(request, slug: str):
    page = get_object_or_404(LegalPage, slug=slug, published=True)
    return render(request, "web/legal.html", {"page": page})  # one query: no catalog snapshot needed
