"""Every page at iPhone SE, iPhone 14 Pro and iPad sizes with touch: layout budgets and screenshots."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import DEVICES, SCREENSHOTS, sign_in

PUBLIC = {
    "index": "/", "menssuite": "/menssuite/", "private": "/private/", "service": "/services/swedish-massage/",
    "contact": "/contact/", "legal": "/legal/terms/", "login": "/accounts/login/", "signup": "/accounts/signup/",
    "password-reset": "/accounts/password-reset/",
}
MEMBER = {"my-bookings": "/accounts/bookings/", "my-membership": "/accounts/membership/"}

LAYOUT_PROBE = """() => {
  const doc = document.documentElement;
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || r.width <= 1 || r.height <= 1) continue;
    if (el.classList.contains('skip-link')) continue;
    if (el.closest('p') && style.display === 'inline') continue;  // links inside running text (WCAG 2.5.5 exception)
    if (r.width < 44 || r.height < 44) small.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const inputs = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .map(el => [el.name || el.id, parseFloat(getComputedStyle(el).fontSize)]).filter(([, size]) => size < 16);
  return {overflow: doc.scrollWidth - window.innerWidth, small, inputs};
}"""


def _check_layout(page, name, device):
    page.wait_for_load_state("load")
    result = page.evaluate(LAYOUT_PROBE)
    assert result["overflow"] <= 0, f"{name} at {device} scrolls sideways by {result['overflow']}px"
    assert not result["small"], f"tap targets under 44x44 on {name} at {device}: {result['small']}"
    assert not result["inputs"], f"inputs under 16px (iOS zooms) on {name} at {device}: {result['inputs']}"
    # Scroll through once so lazy pictures load before the full-page screenshot.
    page.evaluate("async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) { window.scrollTo(0, y); await new Promise(r => setTimeout(r, 30)); } window.scrollTo(0, 0); }")
    # Slides far to the side of a gallery stay lazy (as they should); wait for the vertical flow only.
    try:
        page.wait_for_function("() => [...document.images].filter(i => !i.closest('.gallery__track')).every(i => i.complete)", timeout=5000)
    except PlaywrightTimeout:
        pass  # screenshots are best effort; the assertions above are the test
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{device}.png"), full_page=True)


@pytest.mark.parametrize("device", list(DEVICES))
def test_public_pages_fit_the_device(context_for, device):
    page = context_for(device).new_page()
    for name, url in PUBLIC.items():
        page.goto(url)
        assert "$" not in page.inner_text("body"), f"a $ amount on {name}"
        _check_layout(page, name, device)


@pytest.mark.parametrize("device", list(DEVICES))
def test_member_pages_fit_the_device(context_for, device):
    page = context_for(device).new_page()
    sign_in(page, "premium@coresync.test")
    for name, url in MEMBER.items():
        page.goto(url)
        _check_layout(page, name, device)


@pytest.mark.parametrize("device", list(DEVICES))
def test_chat_sits_right_under_membership(context_for, device):
    page = context_for(device).new_page()
    page.goto("/")
    membership = page.locator("#membership")
    chat = page.locator("#concierge")
    chat.scroll_into_view_if_needed()
    assert chat.is_visible() and page.locator("#chat-input").is_visible()
    between = page.evaluate(
        "() => { const m = document.getElementById('membership'); return m.nextElementSibling && m.nextElementSibling.id; }"
    )
    assert between == "concierge"
    assert membership.bounding_box()["y"] < chat.bounding_box()["y"]
    assert page.locator(".chat-launcher, [data-chat-floating]").count() == 0  # no floating side button


@pytest.mark.parametrize("page_url", ["/menssuite/", "/private/"])
@pytest.mark.parametrize("device", ["iphone-se", "ipad"])
def test_gallery_swipes_with_touch(context_for, page_url, device):
    context = context_for(device)
    page = context.new_page()
    page.goto(page_url)
    track = page.locator(".gallery__track")
    box = track.bounding_box()
    cdp = context.new_cdp_session(page)
    x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 13):  # a finger swipe to the left
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x - step * box["width"] * 0.05, "y": y}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("() => document.querySelector('.gallery__track').scrollLeft > 50")
    page.wait_for_timeout(600)  # let scroll-snap settle
    snapped = page.evaluate("""() => {
      const t = document.querySelector('.gallery__track');
      const slides = [...t.querySelectorAll('.gallery__slide')];
      const left = t.getBoundingClientRect().left + parseFloat(getComputedStyle(t).scrollPaddingLeft || 0);
      return Math.min(...slides.map(s => Math.abs(s.getBoundingClientRect().left - left)));
    }""")
    assert snapped < 4, f"the gallery did not snap to a slide ({snapped}px off)"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
