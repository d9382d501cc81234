"""The cold availability path (SPEC §9 S1): answers written from the engine's arrays equal the contract's rendering."""

from __future__ import annotations

from datetime import timedelta

from rest_framework.renderers import JSONRenderer

from coresync.accounts.models import User
from coresync.bookings.api.availability_json import availability_body
from coresync.bookings.api.serializers import slots_payload
from coresync.bookings.selectors import availability_for

from .support import MONDAY, NOW
from .test_query_budgets import add_bookings, busy_spa  # noqa: F401  (fixture)


def contract_rendering(result) -> bytes:
    """What the view rendered before: the contract dict with one dict per slot, through DRF's JSONRenderer."""
    return JSONRenderer().render(
        {
            "service": {"slug": result.service.slug, "name": result.service.name, "duration_minutes": result.service.duration},
            "timezone": result.location.tz.key,
            "window_ends": result.window_ends.isoformat(),
            "slots": slots_payload(result.slots),
        }
    )


def test_the_90_day_answer_written_from_arrays_is_byte_for_byte_the_contract_rendering(busy_spa):  # noqa: F811
    add_bookings(busy_spa, 300)
    technician = busy_spa.location.technicians.order_by("id").first()
    technician.display_name = 'Zoë "Z" O\u2028Neil'  # quotes, non-ASCII and a line separator in a name
    technician.save()
    from coresync.technicians.selectors import schedule_invalidate

    schedule_invalidate()
    viewer = User.objects.get(pk=busy_spa.member_id)
    result = availability_for(
        service=busy_spa.service.slug, date_from=MONDAY, date_to=MONDAY + timedelta(days=89), viewer=viewer, now=NOW
    )

    body = availability_body(result)
    assert len(result.slots) > 1000
    assert 'Zo\u00eb \\"Z\\" O\\u2028Neil' in body.decode()
    assert body == contract_rendering(result)


def test_an_empty_answer_is_the_contract_rendering(busy_spa):  # noqa: F811
    result = availability_for(service=busy_spa.service.slug, date_from=MONDAY - timedelta(days=30), date_to=MONDAY - timedelta(days=29), now=NOW)

    assert result.slots == []
    assert availability_body(result) == contract_rendering(result)
