"""Atlas confirmation texts: a provider error marked retryable (503) is retried, a 400 is not.

Atlas is faked at its HTTP edge with respx. The eager task runs each of its retries
in-process, as a worker would; the tests' ``task_eager_propagates`` is switched off
here, since it would raise the first ``Retry`` instead of running it.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from coresync.ai_agent.tasks import send_confirmation_text
from coresync.notifications.tests.factories import BookingFactory

ATLAS = "https://atlas.test"


@pytest.fixture(autouse=True)
def _retries_run_eagerly():
    from coresync.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.fixture
def atlas(settings):
    settings.ATLAS_API_URL = ATLAS
    settings.ATLAS_API_KEY = "atlas-test-key"
    settings.ATLAS_SEND_CONFIRMATION_TEXT = True
    with respx.mock(base_url=ATLAS, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def booking(demo_spa):
    return BookingFactory(customer_phone="+12125550100")


def test_a_503_from_atlas_is_retried_and_the_text_goes_out_once(atlas, booking):
    route = atlas.post("/v1/messages").mock(
        side_effect=[httpx.Response(503, json={"error": "busy"}), httpx.Response(201, json={"id": "msg-1"})]
    )
    result = send_confirmation_text.delay(booking.pk)
    assert result.successful()
    assert route.call_count == 2
    for call in route.calls:
        assert call.request.headers["Idempotency-Key"] == f"booking-confirmation-{booking.reference}"
        assert call.request.headers["Authorization"] == "Bearer atlas-test-key"
    body = route.calls[-1].request.content.decode()
    assert booking.reference in body and "+12125550100" in body


def test_a_400_from_atlas_is_not_retried(atlas, booking):
    route = atlas.post("/v1/messages").mock(return_value=httpx.Response(400, json={"error": "bad number"}))
    result = send_confirmation_text.delay(booking.pk)
    assert result.successful()  # logged and dropped: sending it again cannot help
    assert route.call_count == 1


def test_atlas_down_for_good_stops_after_the_last_retry(atlas, booking):
    route = atlas.post("/v1/messages").mock(return_value=httpx.Response(503))
    result = send_confirmation_text.delay(booking.pk)
    assert result.failed() and "503" in str(result.result)
    assert route.call_count == send_confirmation_text.max_retries + 1
