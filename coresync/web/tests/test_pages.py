import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from coresync.web.models import LegalPage

PUBLIC_PAGES = [
    "/", "/menssuite/", "/private/", "/services/swedish-massage/", "/services/hot-stone-massage/", "/contact/",
    "/legal/terms/", "/legal/privacy/", "/legal/refund/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/",
]
MONEY = re.compile(r"\$\s?\d|\bUSD\b|\d+\.\d{2}\b")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.inline_scripts, self.handlers, self._skip = [], 0, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        self.handlers += [name for name in attrs if name.startswith("on")]
        self._skip = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _parse(response) -> _Text:
    parser = _Text()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_renders_fast_without_prices(client, demo_spa, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200
    page = _parse(response)
    text = " ".join(page.parts)
    assert "$" not in response.content.decode()
    assert not MONEY.search(text), MONEY.search(text)
    for tier in demo_spa.tiers.values():
        assert str(tier.monthly_price) not in response.content.decode()
    assert page.inline_scripts == 0 and page.handlers == []  # a strict CSP can be switched on


def test_warm_pages_cost_no_catalog_queries(client, demo_spa, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(0):
        assert client.get("/menssuite/").status_code == 200


def test_signed_in_pages_stay_within_budget(client, demo_spa, django_assert_max_num_queries):
    """With the content snapshot warm (it is, except just after a catalog edit) the user row is the only extra query."""
    client.get("/")
    client.force_login(demo_spa.premium)
    for url in ["/", "/menssuite/", "/private/", "/contact/", reverse("web:my-bookings"), reverse("web:my-membership")]:
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200


def test_index_has_categories_suites_membership_then_chat(client, demo_spa):
    html = client.get("/").content.decode()
    for category in ("Massages", "Facials", "Barber", "Mani &amp; Pedi"):
        assert category in html
    assert "The Men&#x27;s Suite" in html and "The Private Spa" in html
    membership, chat = html.index('id="membership"'), html.index('id="concierge"')
    assert membership < chat
    assert html.count("data-chat ") + html.count("data-chat\n") == 1
    assert "Base" in html and "Premium" in html and "Book up to 90 days ahead" in html
    assert 'fetchpriority="high"' in html and 'loading="lazy"' in html and 'type="image/avif"' in html


def test_suite_pages_have_gallery_and_own_chat(client, demo_spa):
    for url, service in (("/menssuite/", "Men&#x27;s Suite Ritual"), ("/private/", "Private Spa Couples Ritual")):
        html = client.get(url).content.decode()
        assert html.count("gallery__slide") >= 3
        assert 'id="concierge"' in html
        assert service in html


def test_service_detail_and_unknown_service(client, demo_spa):
    html = client.get("/services/hot-stone-massage/").content.decode()
    assert "Hot Stone Massage" in html and "1 h 30 min" in html
    assert client.get("/services/no-such-thing/").status_code == 404


def test_contact_page_shows_address_hours_parking_and_map(client, demo_spa):
    html = client.get("/contact/").content.decode()
    assert "425 Park Avenue South" in html and "Monday" in html and "9:00 AM – 9:00 PM" in html
    assert "Icon Parking" in html and "maps.google.com" in html


def test_legal_pages_come_from_editable_content(client, demo_spa):
    page = LegalPage.objects.get(slug="privacy")
    page.body = "## Who we are\n\nA <b>quiet</b> spa."
    page.save()
    html = client.get("/legal/privacy/").content.decode()
    assert "<h2>Who we are</h2>" in html and "A &lt;b&gt;quiet&lt;/b&gt; spa." in html
    page.published = False
    page.save()
    assert client.get("/legal/privacy/").status_code == 404


def test_catalog_edits_reach_the_pages(client, demo_spa, django_capture_on_commit_callbacks):
    client.get("/")
    category = demo_spa.services["swedish-massage"].category
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "Bodywork"
        category.save()
    assert "Bodywork" in client.get("/").content.decode()


def test_static_assets_are_small(settings):
    from pathlib import Path

    static = Path(settings.BASE_DIR) / "static"
    assert (static / "fonts/dejavu-sans-mono-latin.woff2").stat().st_size < 20_000
    assert (static / "img/hero-800.webp").stat().st_size < 40_000
    for css in ("styles.css", "ai-chat.css", "mobile_ios.css"):
        assert "http" not in (static / "css" / css).read_text()  # no external hosts


def test_mens_suite_lists_what_the_catalog_puts_in_the_suite(client, demo_spa):
    """Its own room and its barber chairs: every active service booked into them, read from the catalog."""
    from coresync.catalog.models import Service

    expected = list(
        Service.objects.filter(active=True, required_room_type__slug__in=("mens-suite", "barber")).values_list("name", flat=True)
    )
    assert len(expected) > 2
    html = client.get("/menssuite/").content.decode()
    listed = re.findall(r'<a class="service-link" href="/services/[^"]+/"><span>([^<]+)</span>', html)
    assert sorted(n.replace("&#x27;", "'") for n in listed) == sorted(expected)
    for name in ("Classic Haircut", "Hot Towel Shave", "Beard Sculpt"):
        assert name in html
    # The list follows the catalog: a treatment taken off it disappears from the page.
    beard = Service.objects.get(slug="beard-sculpt")
    Service.objects.filter(pk=beard.pk).update(active=False)
    from coresync.web.selectors import site_content_invalidate

    site_content_invalidate()
    assert "Beard Sculpt" not in client.get("/menssuite/").content.decode()
    assert "Swedish Massage" not in html


def test_private_spa_wording_fits_a_private_spa(client, demo_spa):
    html = client.get("/private/").content.decode()
    assert "Reserve the suite" not in html and "Reserve the private spa" in html
    assert "Private Spa Couples Ritual" in html


@pytest.mark.parametrize(
    "utc,greeting",
    [("2026-11-23T14:30:00+00:00", "Good morning."), ("2026-11-23T19:00:00+00:00", "Good afternoon."), ("2026-11-24T01:00:00+00:00", "Good evening.")],
)
def test_chat_greeting_follows_the_spas_clock_not_utc(client, demo_spa, utc, greeting):
    """9:30 am in New York is 14:30 UTC: the page greets by the location's local time."""
    import time_machine

    with time_machine.travel(utc, tick=False):
        text = " ".join(_parse(client.get("/")).parts)
    assert greeting in text and text.count("Good ") == 1
