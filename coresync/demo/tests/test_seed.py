"""The demo spa is loaded by ``manage.py seed_demo`` from the top-floor demo app, as often as one likes."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from coresync.catalog.models import Service
from coresync.demo.seed import SERVICES
from coresync.technicians.models import Technician


def test_seed_demo_command_loads_the_spa_and_lists_the_demo_accounts(db):
    out = StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())

    assert "Demo spa ready" in out.getvalue() and "premium@coresync.test" in out.getvalue()
    assert Service.objects.filter(slug__in=[row[0] for row in SERVICES]).count() == len(SERVICES)
    assert all(t.user.email.endswith("@coresync.test") for t in Technician.objects.select_related("user"))
