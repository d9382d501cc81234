"""The catalog snapshot: built once, rebuilt after any admin-style change (model save/delete, m2m).

Schedules (weekly shifts, time off) are their own read model: ``technicians/tests/test_schedules.py``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from coresync.bookings.selectors import availability_for
from coresync.bookings.services import booking_quote
from coresync.bookings.tests.support import MONDAY, NOW, small_spa, walls
from coresync.catalog.models import Price
from coresync.catalog.selectors import catalog_invalidate, catalog_snapshot

TUESDAY = MONDAY + timedelta(days=1)


def offered(spa, day=TUESDAY):
    return walls(availability_for(service=spa.service.slug, date_from=day, date_to=day, now=NOW))


def test_a_warm_snapshot_is_reused_until_something_changes(db, django_assert_num_queries):
    first = catalog_snapshot()
    with django_assert_num_queries(0):
        assert catalog_snapshot() is first

    catalog_invalidate()

    assert catalog_snapshot() is not first


def test_a_new_service_duration_is_seen_by_the_next_availability(db):
    spa = small_spa()
    assert offered(spa)[-1] == "16:00"

    spa.service.duration_minutes = 90
    spa.service.save()

    result = availability_for(service=spa.service.slug, date_from=TUESDAY, date_to=TUESDAY, now=NOW)
    assert walls(result)[-1] == "15:30"
    assert result.slots[0].end - result.slots[0].start == timedelta(minutes=90)


def test_skills_and_add_on_links_changed_through_m2m_are_seen(db):
    spa = small_spa()
    spa.technician.skills.clear()
    assert offered(spa) == []

    spa.technician.skills.add(spa.skill)
    assert len(offered(spa)) == 29

    spa.addon.services.remove(spa.service)
    assert spa.addon.id not in catalog_snapshot().services[spa.service.id].addon_ids


def test_a_changed_price_is_seen_by_the_next_quote(db):
    spa = small_spa()
    assert booking_quote(service=spa.service.slug).subtotal == Decimal("100.00")

    price = Price.objects.get(service=spa.service, column="non_member")
    price.amount = Decimal("125.50")
    price.save()

    quote = booking_quote(service=spa.service.slug)
    assert (quote.subtotal, quote.tax, quote.total) == (Decimal("125.50"), Decimal("11.14"), Decimal("136.64"))


def test_location_settings_are_seen_by_the_next_quote(db):
    spa = small_spa()
    spa.location.sales_tax_rate = Decimal("0")
    spa.location.save()

    assert booking_quote(service=spa.service.slug).tax == Decimal("0.00")


def test_the_snapshot_is_rebuilt_again_after_commit(db, django_capture_on_commit_callbacks):
    spa = small_spa()
    catalog_snapshot()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        spa.service.buffer_minutes = 0
        spa.service.save()
    seen_inside = catalog_snapshot()

    for callback in callbacks:
        callback()

    assert seen_inside.services[spa.service.id].buffer == 0
    assert catalog_snapshot() is not seen_inside  # a second bump once the change is committed


def test_a_bulk_update_bypassing_signals_waits_for_the_time_to_live(db, settings):
    spa = small_spa()
    catalog_snapshot()
    type(spa.service).objects.filter(pk=spa.service.pk).update(duration_minutes=120)

    assert catalog_snapshot().services[spa.service.id].duration == 60  # documented: QuerySet.update skips signals

    settings.CATALOG_CACHE_SECONDS = 0
    assert catalog_snapshot().services[spa.service.id].duration == 120
