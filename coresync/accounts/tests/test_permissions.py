"""Roles as DRF permissions, and an API that is closed unless a view opens itself (issue 9 item 6; issue 8 item 18)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from coresync.accounts.permissions import IsCustomer, IsManager, IsOwnerOrManager, IsTechnician


def _view(permission, **attrs):
    class View(APIView):
        permission_classes = [permission] if permission else APIView.permission_classes

        def get(self, request):
            return Response({"ok": True})

    for name, value in attrs.items():
        setattr(View, name, value)
    return View.as_view()


def _status(view, user=None) -> int:
    request = APIRequestFactory().get("/api/v1/somewhere/")
    if user is not None:
        force_authenticate(request, user=user)
    return view(request).status_code


@pytest.mark.django_db
def test_a_new_endpoint_is_closed_to_anonymous_callers_by_default(demo_spa):
    view = _view(None)
    assert _status(view) == 401
    assert _status(view, demo_spa.premium) == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("permission", "allowed"),
    [(IsCustomer, {"premium", "base", "guest"}), (IsTechnician, {"tech"}), (IsManager, {"manager"})],
)
def test_each_role_permission_admits_its_role_only(demo_spa, permission, allowed):
    view = _view(permission)
    assert _status(view) == 401
    answers = {name: _status(view, demo_spa.users[name]) for name in ("manager", "tech", "premium", "base", "guest")}
    assert {name for name, status in answers.items() if status == 200} == allowed
    assert {status for name, status in answers.items() if name not in allowed} == {403}


@pytest.mark.django_db
def test_an_inactive_manager_is_no_manager(demo_spa):
    demo_spa.manager.is_active = False
    assert _status(_view(IsManager), demo_spa.manager) == 403


@pytest.mark.django_db
def test_owner_or_manager_on_an_object(demo_spa):
    permission = IsOwnerOrManager()
    booking = SimpleNamespace(customer=demo_spa.premium)
    worklog = SimpleNamespace(technician=SimpleNamespace(user=demo_spa.tech))

    def allowed(user, obj, owner_field="customer") -> bool:
        request = SimpleNamespace(user=user)
        view = SimpleNamespace(owner_field=owner_field)
        return permission.has_permission(request, view) and permission.has_object_permission(request, view, obj)

    assert allowed(demo_spa.premium, booking) and allowed(demo_spa.manager, booking)
    assert not allowed(demo_spa.base, booking) and not allowed(demo_spa.tech, booking)
    assert not allowed(demo_spa.premium, SimpleNamespace(customer=None))
    assert allowed(demo_spa.tech, worklog, "technician.user") and not allowed(demo_spa.users["base"], worklog, "technician.user")


def test_only_the_public_operations_are_open_to_anonymous_callers(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    anonymous = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if {} in operation.get("security", [{}])
    }
    assert anonymous == {
        "GET /api/v1/services/",
        "GET /api/v1/availability/",
        "POST /api/v1/bookings/",
        "GET /api/v1/bookings/{reference}/",
        "POST /api/v1/bookings/{reference}/cancel/",
        "POST /api/v1/bookings/{reference}/reschedule/",
        "POST /api/v1/bookings/{reference}/pay/",  # a guest pays with reference + e-mail
        "GET /api/v1/chat/",  # a guest resumes their own chat session (history of a session id they hold)
        "POST /api/v1/chat/",
        "POST /api/v1/waitlist/",  # a guest joins the waitlist with a name and an e-mail
        "DELETE /api/v1/waitlist/{id}/",  # left with the token given at joining (or as the owner)
    }
