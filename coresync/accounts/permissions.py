"""Role permissions for the API (DRF), one per role, ready for ``/api/v1/technicians/`` and ``/api/v1/manager/``.

The API is closed by default (``DEFAULT_PERMISSION_CLASSES`` is ``IsAuthenticated``);
a view opens itself with ``AllowAny`` or narrows to a role with these. SPEC §10.5:
a technician calling another technician's data or any manager path gets 403, a
customer gets 403 on all of them; anonymous callers get 401 (with a token
challenge) before any role is looked at.

``IsOwnerOrManager`` is an object permission: the object's owner is found through
``owner_field`` on the view (default ``"customer"``; e.g. ``"user"`` for a
technician's own profile, ``"technician.user"`` for a work log).
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .models import User


def _role(request) -> str | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return User.Role.MANAGER if user.is_manager else user.role


class IsCustomer(BasePermission):
    """Signed in as a customer (members and guests with an account)."""

    def has_permission(self, request, view) -> bool:
        return _role(request) == User.Role.CUSTOMER


class IsTechnician(BasePermission):
    """Signed in as a technician."""

    def has_permission(self, request, view) -> bool:
        return _role(request) == User.Role.TECHNICIAN


class IsManager(BasePermission):
    """Signed in as a manager (role ``manager``, or a superuser)."""

    def has_permission(self, request, view) -> bool:
        return _role(request) == User.Role.MANAGER


def owner_of(obj, path: str):
    """Follow ``"technician.user"`` from ``obj``; None when a link is missing."""
    for name in path.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class IsOwnerOrManager(BasePermission):
    """Signed in; on an object, its owner (``view.owner_field``, default ``customer``) or a manager."""

    def has_permission(self, request, view) -> bool:
        return _role(request) is not None

    def has_object_permission(self, request, view, obj) -> bool:
        if _role(request) == User.Role.MANAGER:
            return True
        owner = owner_of(obj, getattr(view, "owner_field", "customer"))
        return owner is not None and getattr(owner, "pk", None) == request.user.pk
