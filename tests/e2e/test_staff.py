"""The staff day in a real browser (issue 15 acceptance): the technician on an iPhone SE runs her day from /portal/
(today's bookings, logs 7.5 h, taps Completed once), then the manager at desktop size sees the dashboard charts drawn,
approves the 7.5 h and downloads the payroll CSV. Screenshots go to artifacts/screenshots/staff-*.png."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .conftest import SCREENSHOTS, sign_in, write_artifact
from .test_mobile_pages import LAYOUT_PROBE

NY = ZoneInfo("America/New_York")
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
CANVAS_INK = """() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inked = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) inked++;
  return {id: c.id, width: c.width, height: c.height, inked};
})"""


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would otherwise sit mid-page in the full-page shot
    page.screenshot(path=str(SCREENSHOTS / f"staff-{name}.png"), full_page=True)


def _fits(page, name: str) -> None:
    result = page.evaluate(LAYOUT_PROBE)
    assert result["overflow"] <= 0, f"{name} scrolls sideways by {result['overflow']}px"
    assert not result["small"], f"tap targets under 44x44 on {name}: {result['small']}"
    assert not result["inputs"], f"inputs under 16px on {name}: {result['inputs']}"


@pytest.mark.xdist_group("staff-day")
def test_the_staff_day_from_the_phone_to_the_payroll(context_for, browser, live_spa):
    now = datetime.now(NY)
    if now.hour == 0 and now.minute < 45:
        pytest.skip("just after midnight in New York the demo has no booking of today that has started yet")
    today = now.date().isoformat()
    maya = live_spa.query("SELECT t.id FROM technicians_technician t JOIN accounts_user u ON u.id = t.user_id WHERE u.email_bidx = ?",
                          (live_spa.digest("tech@coresync.test"),))[0][0]

    # --- The technician, iPhone SE ---------------------------------------------------------------
    page = context_for("iphone-se").new_page()
    sign_in(page, "tech@coresync.test")
    page.goto("/portal/")
    today_cards = page.locator('ul[aria-labelledby="today-title"] > li.appt')
    assert today_cards.count() >= 1, "the demo gives Maya bookings today"
    first = today_cards.first
    assert first.locator(".appt__guest").inner_text().strip() and first.locator(".appt__service").inner_text().strip()
    assert first.locator(".appt__room").inner_text().strip()
    assert "@" not in page.locator('ul[aria-labelledby="today-title"]').inner_text()  # no e-mail addresses
    _fits(page, "portal today")
    _shot(page, "portal-today-iphone-se")

    page.goto("/portal/hours/")
    page.fill("#id_date", today)
    page.fill("#id_hours", "7.5")
    page.fill("#id_note", "Covered the late shift")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator(".flash__item--success").count() == 1
    rows = live_spa.query("SELECT id, hours, status FROM technicians_worklog WHERE technician_id = ? AND date = ?", (maya, today))
    assert len(rows) == 1 and str(rows[0][1]) in ("7.5", "7.50") and rows[0][2] == "pending"
    worklog_id = rows[0][0]
    assert "7.50 h" in page.inner_text("[data-week-total]") or float(page.inner_text("[data-week-total]").split()[0]) >= 7.5
    _fits(page, "portal hours")
    _shot(page, "portal-hours-iphone-se")

    page.goto("/portal/")
    button = page.locator("li.appt .appt__done").first
    reference = button.locator("xpath=ancestor::li[1]").get_attribute("data-reference")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    button.dblclick()  # an impatient double tap is still one change
    page.wait_for_load_state("load")
    page.wait_for_selector(f"#booking-{reference} .badge--completed")
    assert [url for url in posts if "/complete/" in url] == [f"{live_spa.url}/portal/bookings/{reference}/complete/"]
    assert live_spa.query("SELECT status FROM bookings_booking WHERE reference = ?", (reference,)) == [("completed",)]
    events = live_spa.query(
        "SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking b ON b.id = e.booking_id "
        "WHERE b.reference = ? AND e.to_status = 'completed'", (reference,))
    assert events == [(1,)]
    _shot(page, "portal-completed-iphone-se")

    # --- The manager, desktop ---------------------------------------------------------------------
    desk = browser.new_context(base_url=live_spa.url, accept_downloads=True, **DESKTOP)
    try:
        desk.set_default_timeout(15_000)
        page = desk.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        sign_in(page, "manager@coresync.test")
        page.goto("/manager/")
        page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn=\"1\"]').length === 6")
        ink = page.evaluate(CANVAS_INK)
        assert len(ink) == 6 and all(c["width"] > 100 and c["height"] > 100 and c["inked"] > 500 for c in ink), ink
        assert page.locator(".heatmap td.heat").count() > 0
        assert not errors, errors
        write_artifact("staff.json", {"dashboard_canvases": ink})
        _shot(page, "manager-dashboard-desktop")

        page.goto("/manager/hours/")
        row = page.locator(f"#worklog-{worklog_id}")
        assert "Maya Rivera" in row.inner_text() and "7.50" in row.inner_text()
        row.locator(".review__approve").click()
        page.wait_for_load_state("load")
        assert live_spa.query("SELECT status FROM technicians_worklog WHERE id = ?", (worklog_id,)) == [("approved",)]
        assert page.locator(f"#worklog-{worklog_id}").count() == 0
        _shot(page, "manager-hours-desktop")

        with page.expect_download() as download_info:
            page.click("[data-payroll-csv]")
        download = download_info.value
        text = Path(download.path()).read_text(encoding="utf-8")
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == ["week", "technician_id", "technician", "approved_hours", "hourly_rate", "amount"]
        maya_row = next(r for r in table if r[2] == "Maya Rivera")
        assert maya_row[3] == "7.50" and maya_row[4] == "38.00" and maya_row[5] == "285.00"
        assert table[-1][2] == "TOTAL"
        write_artifact("staff.json", {"payroll_csv": text})
    finally:
        desk.close()
