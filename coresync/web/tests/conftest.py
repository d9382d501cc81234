import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings, tmp_path):
    """Unit tests render templates without running collectstatic; uploads go to a temporary MEDIA_ROOT."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "static").mkdir()
    settings.STATIC_ROOT = str(tmp_path / "static")  # WhiteNoise warns (an error here) when STATIC_ROOT is missing


@pytest.fixture
def free_slot(demo_spa):
    """A free start for a Swedish massage at least three days ahead (so it can still be changed online)."""
    from datetime import timedelta

    from django.utils import timezone

    from coresync.bookings.selectors import availability_for

    def find(viewer=None, service="swedish-massage", days_ahead=3, skip=0):
        day = timezone.localdate() + timedelta(days=days_ahead)
        slots = availability_for(service=service, date_from=day, date_to=day + timedelta(days=3), viewer=viewer).slots
        return slots[skip].start

    return find


@pytest.fixture
def premium_booking(demo_spa, free_slot):
    from coresync.bookings.services import booking_create

    return booking_create(service="swedish-massage", start=free_slot(viewer=demo_spa.premium), customer=demo_spa.premium)
