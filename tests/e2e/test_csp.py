"""Issue 16: the main pages load, and the chat connects, under the Content-Security-Policy with zero violations."""

from __future__ import annotations

from .conftest import sign_in

# A listener installed before any page script; Playwright's init scripts are not subject to the page's CSP.
LISTEN = """window.__csp = []; document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__csp"), *(line for line in console if "Content Security Policy" in line)]


def test_main_pages_have_no_csp_violations(context_for, live_spa):
    context = context_for("iphone-14-pro")
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    found = {}
    for path in ("/", "/menssuite/", "/private/", "/accounts/login/", "/api/docs/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found[path] = _violations(page, console)
    page.goto("/#concierge")  # the chat: its WebSocket must pass connect-src
    page.wait_for_function("() => window.CoreSyncChat && window.CoreSyncChat.ws && window.CoreSyncChat.ws.readyState === 1")
    found["chat"] = _violations(page, console)
    sign_in(page, "premium@coresync.test")
    for path in ("/accounts/bookings/", "/accounts/membership/", "/payments/membership/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found[path] = _violations(page, console)
    rows = live_spa.query("SELECT b.reference FROM bookings_booking b JOIN accounts_user u ON u.id = b.customer_id "
                          "WHERE u.email_bidx = ? AND b.status = 'confirmed' LIMIT 1", (live_spa.digest("premium@coresync.test"),))  # fmt: skip
    if rows:  # the pay page (local gateway: a hand-over to our own card page)
        page.goto(f"/payments/bookings/{rows[0][0]}/pay/")
        page.wait_for_load_state("networkidle")
        found["pay"] = _violations(page, console)
    assert all(not lines for lines in found.values()), {path: lines for path, lines in found.items() if lines}
    assert "/api/docs/" in found and "chat" in found
