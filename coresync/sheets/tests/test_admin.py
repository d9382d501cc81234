"""Price versions and sync health in the admin: who changed what when, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coresync.integrations.models import PriceVersion, SyncHealth

pytestmark = pytest.mark.django_db


def test_a_price_version_shows_what_changed_and_cannot_be_edited_or_deleted(client, demo_spa):
    client.force_login(demo_spa.manager)
    version = PriceVersion.objects.create(source="pricing sheet", actor="sheet edit", summary="1 change(s)",
                                          changes=[{"item": "Swedish Massage", "column": "non_member", "old": "120.00", "new": "125.00"}])
    SyncHealth.objects.create(name="pricing_sheet", last_error="Massages row 3: 'abc' is not an amount")

    listing = client.get(reverse("admin:integrations_priceversion_changelist"), {"source": "pricing sheet"})
    assert listing.status_code == 200 and b"sheet edit" in listing.content
    detail = client.get(reverse("admin:integrations_priceversion_change", args=[version.pk]))
    body = detail.content.decode()
    assert detail.status_code == 200 and "<td>Swedish Massage</td>" in body and "<td>125.00</td>" in body
    assert client.post(reverse("admin:integrations_priceversion_delete", args=[version.pk])).status_code == 403
    assert client.get(reverse("admin:integrations_priceversion_add")).status_code == 403
    health = client.get(reverse("admin:integrations_synchealth_changelist"))
    assert health.status_code == 200 and b"pricing_sheet" in health.content
