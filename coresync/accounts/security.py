"""Sign-in protection: the login lockout (django-axes) and rate-limited password-reset e-mails.

django-axes counts failed sign-ins in the database, by e-mail address and by
client address (``coresync.core.ratelimit.client_ip``, so proxy headers are
trusted the same way as everywhere else); past ``LOGIN_FAILURE_LIMIT`` the web
form and the admin refuse even the right password for ``LOGIN_LOCKOUT_MINUTES``.
A password-reset request sends at most ``PASSWORD_RESET_EMAIL_RATE_LIMIT`` mails
to one address and accepts ``PASSWORD_RESET_IP_RATE_LIMIT`` requests from one
client address.
"""

from __future__ import annotations

import hashlib
import logging

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render

from coresync.core import crypto
from coresync.core.ratelimit import UNKNOWN_CLIENT, client_ip, hit

logger = logging.getLogger(__name__)


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, first in ``AUTHENTICATION_BACKENDS``.

    Every sign-in people can reach (the login page, the admin) passes the request;
    a call without one (``Client.login`` in tests, a shell) has no client to lock
    out and is left to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_client_ip(request) -> str | None:
    """The client address for django-axes (``core.ratelimit.client_ip``), None when the request has none."""
    address = client_ip(request)
    return None if address == UNKNOWN_CLIENT else address


def login_username(request, credentials: dict | None) -> str:
    """The e-mail being tried, as one account sees it (case and spaces do not make a new counter): its blind
    index, so the sign-in attempts django-axes stores hold no address in the clear (``coresync.core.crypto``)."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return login_key(str(username or ""))


def login_key(email: str) -> str:
    return crypto.blind_index("email", email)


def locked_out(request, original_response=None, credentials=None):
    """What a locked-out sign-in sees: a page, 429, saying when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


def _address_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view with two limits: per client address (429) and per e-mail address (silently)."""

    def form_valid(self, form):
        if hit("password-reset:ip", client_ip(self.request), settings.PASSWORD_RESET_IP_RATE_LIMIT):
            form.add_error(None, "Too many reset requests. Please wait a while and try again.")
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        email = form.cleaned_data["email"]
        if hit("password-reset:email", _address_key(email), settings.PASSWORD_RESET_EMAIL_RATE_LIMIT):
            # The same page as a sent link: whether an address has an account, or was asked for, stays private.
            logger.info("password reset e-mail not sent: limit reached for one address")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
