"""Fixtures for the booking tests: a purpose-built small spa, and a calendar provider tests can fill."""

from __future__ import annotations

import pytest

from .support import small_spa


@pytest.fixture
def spa(db):
    return small_spa()


class ListCalendarProvider:
    """A calendar provider whose busy blocks are whatever the test puts in ``blocks``."""

    identifier = "test-list"
    blocks: list = []

    def busy_blocks(self, *, location_id, start, end):
        return [b for b in self.blocks if b.start < end and b.end > start]


@pytest.fixture
def external_busy(settings):
    """A list of ``BusyBlock`` that the calendar provider reports (settings.CALENDAR_PROVIDER points at it)."""
    settings.CALENDAR_PROVIDER = f"{__name__}.ListCalendarProvider"
    ListCalendarProvider.blocks = []
    yield ListCalendarProvider.blocks
    ListCalendarProvider.blocks = []
