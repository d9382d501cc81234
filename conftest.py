"""Fixtures shared by every test: the seeded demo spa, eager Celery, a clean cache, markers."""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import pytest
from django.core.cache import cache

CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config):
    from django.conf import settings

    # The demo seed checks and sets eleven passwords; full-strength PBKDF2 made that most of the setup time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DB_VENDOR == "postgresql"
    has_chromium = os.path.exists(CHROMIUM) or shutil.which("chromium") is not None
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    skip_browser = pytest.mark.skip(reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    e2e_dir = os.path.join(os.path.dirname(__file__), "tests", "e2e")
    for item in items:
        if str(item.path).startswith(e2e_dir):
            # One worker runs every browser test, so the session's live server starts once.
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(skip_browser)


def pytest_report_header(config):
    from django.conf import settings

    chromium = "yes" if os.path.exists(CHROMIUM) else "no (browser tests skipped)"
    return [f"database: {settings.DB_VENDOR}; redis: {'yes' if settings.REDIS_URL else 'no'}; chromium: {chromium}"]


@pytest.fixture(scope="session", autouse=True)
def _celery_eager():
    from coresync.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and a catalog snapshot rebuilt from its own data."""
    from coresync.catalog.selectors import catalog_invalidate

    cache.clear()
    catalog_invalidate()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the demo spa once per session; transactional tests that flush it get it back via ``demo_spa``.

    At the end, on PostgreSQL, connections that worker threads (race tests, the
    concurrency of Channels and Celery) left open are ended, so the test database
    can be dropped.
    """
    from django.db import connection

    from coresync.demo.seed import seed_demo

    with django_db_blocker.unblock():
        seed_demo()
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def demo_spa(db):
    """The seeded demo spa (SPEC §4): location, services by slug, tiers, technicians, and the demo accounts."""
    from coresync.accounts.models import User
    from coresync.catalog.models import Location, Service
    from coresync.demo.seed import LOCATION, seed_demo
    from coresync.memberships.models import MembershipTier
    from coresync.technicians.models import Technician

    if not Location.objects.filter(slug=LOCATION["slug"]).exists():
        seed_demo()
    users = {u.email.split("@")[0]: u for u in User.objects.all() if u.email.endswith("@coresync.test")}  # e-mail is ciphertext in SQL
    return SimpleNamespace(
        location=Location.objects.get(slug=LOCATION["slug"]),
        services={s.slug: s for s in Service.objects.select_related("category")},
        tiers={t.slug: t for t in MembershipTier.objects.all()},
        technicians={t.display_name: t for t in Technician.objects.select_related("user")},
        manager=users["manager"],
        tech=users["tech"],
        premium=users["premium"],
        base=users["base"],
        guest=users["guest"],
        users=users,
    )
