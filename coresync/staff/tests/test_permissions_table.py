"""Every role × every staff endpoint (SPEC §10.5): anonymous 401, customer 403 everywhere, technician own paths only,
manager the manager paths (a manager is no technician: the ``me`` paths are 403 for them)."""

from __future__ import annotations

import pytest

from coresync.technicians.models import TimeOff, WorkLog

pytestmark = pytest.mark.django_db

TECH_ONLY = [
    ("get", "/api/v1/technicians/me/"),
    ("get", "/api/v1/technicians/me/bookings/"),
    ("post", "/api/v1/technicians/me/bookings/CS-NOPE00/complete/"),
    ("post", "/api/v1/technicians/me/bookings/CS-NOPE00/no-show/"),
    ("get", "/api/v1/technicians/me/worklogs/"),
    ("post", "/api/v1/technicians/me/worklogs/"),
    ("patch", "/api/v1/technicians/me/worklogs/{log}/"),
    ("get", "/api/v1/technicians/me/schedule/"),
    ("put", "/api/v1/technicians/me/schedule/"),
    ("get", "/api/v1/technicians/me/time-off/"),
    ("post", "/api/v1/technicians/me/time-off/"),
]
MANAGER_ONLY = [
    ("get", "/api/v1/manager/worklogs/"),
    ("post", "/api/v1/manager/worklogs/{log}/approve/"),
    ("post", "/api/v1/manager/worklogs/{log}/reject/"),
    ("get", "/api/v1/manager/time-off/"),
    ("post", "/api/v1/manager/time-off/{off}/approve/"),
    ("post", "/api/v1/manager/time-off/{off}/reject/"),
    ("get", "/api/v1/manager/payroll.csv?week=2030-W23"),
    ("get", "/api/v1/manager/dashboard/"),
    ("get", "/api/v1/manager/dashboard.csv"),
]
ROLES = ["anonymous", "customer", "technician", "manager"]


def _expected(role: str, endpoint) -> str:
    if role == "anonymous":
        return "401"
    if role == "customer":
        return "403"
    if role == "technician":
        return "allowed" if endpoint in TECH_ONLY else "403"
    return "allowed" if endpoint in MANAGER_ONLY else "403"


@pytest.mark.parametrize("endpoint", TECH_ONLY + MANAGER_ONLY, ids=lambda e: f"{e[0].upper()} {e[1]}")
def test_every_role_on_every_endpoint(demo_spa, client_for, endpoint):
    technician = demo_spa.tech.technician
    log = WorkLog.objects.create(technician=technician, date="2030-01-02", hours="4")
    off = TimeOff.objects.create(technician=technician, starts_at="2099-01-02T10:00Z", ends_at="2099-01-02T12:00Z", status="pending")
    users = {"anonymous": None, "customer": demo_spa.premium, "technician": demo_spa.tech, "manager": demo_spa.manager}
    method, path = endpoint
    path = path.format(log=log.pk, off=off.pk)
    seen = {}
    for role in ROLES:
        response = getattr(client_for(users[role]), method)(path, {}, format="json") if method != "get" else client_for(users[role]).get(path)
        status = response.status_code
        seen[role] = str(status) if status in (401, 403) else ("allowed" if status < 500 else f"{status}!")
        if status in (401, 403):
            assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")
    assert seen == {role: _expected(role, endpoint) for role in ROLES}
