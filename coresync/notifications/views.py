"""Guest-facing unsubscribe page and the manager's e-mail preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .emails import compose
from .models import EmailKind
from .sample import REGISTERED_SAMPLES, sample_booking, sample_dead_letter, sample_handoff, sample_member, sample_sync_notice
from .services import preference_email_opt_out
from .unsubscribe import unsubscribe_target, unsubscribe_url


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs carry no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners prefetch GETs); POST, from the button or a mail client's one-click, unsubscribes."""
    target = unsubscribe_target(token)
    if target is None:
        return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)
    if request.method == "POST":
        preference_email_opt_out(user_id=target.get("u"), email=target.get("e", ""))
        return render(request, "notifications/unsubscribe.html", {"state": "done"})
    return render(request, "notifications/unsubscribe.html", {"state": "ask"})


def _is_manager(user) -> bool:
    return user.is_authenticated and (user.is_staff or getattr(user, "is_manager", False))


def email_preview_index(request: HttpRequest) -> HttpResponse:
    if not _is_manager(request.user):
        return redirect_to_login(request.get_full_path())
    return render(request, "notifications/preview_index.html", {"kinds": EmailKind.choices})


def sample_email(kind: str):
    """Render ``kind`` with sample data: what a guest would receive."""
    if kind in REGISTERED_SAMPLES:
        return REGISTERED_SAMPLES[kind]()
    if kind == EmailKind.MEMBERSHIP_WELCOME:
        return compose(kind, sample_member())
    if kind == EmailKind.HANDOFF_NOTICE:
        return compose(kind, sample_handoff())
    if kind == EmailKind.DEAD_LETTER_NOTICE:
        return compose(kind, sample_dead_letter())
    if kind == EmailKind.SYNC_NOTICE:
        return compose(kind, sample_sync_notice())
    link = unsubscribe_url(email="amelia@example.com") if kind in (EmailKind.BOOKING_REMINDER, EmailKind.REVIEW_REQUEST) else ""
    booking = sample_booking()
    if kind == EmailKind.BOOKING_RESCHEDULED:
        booking = replace(booking, previous_start=booking.start - timedelta(days=1), ics_sequence=1)
    elif kind == EmailKind.BOOKING_CANCELLED:
        booking = replace(booking, ics_sequence=1)
    return compose(kind, booking, unsubscribe_url=link)


@csp_replace({"style-src": [SELF, "'unsafe-inline'"]})  # e-mails are styled inline; this page is the e-mail itself
def email_preview(request: HttpRequest, kind: str) -> HttpResponse:
    if not _is_manager(request.user):
        return redirect_to_login(request.get_full_path())
    if kind not in EmailKind.values:
        raise Http404("No such e-mail.")
    email = sample_email(kind)
    if request.GET.get("format") == "text":
        return HttpResponse(email.text, content_type="text/plain; charset=utf-8")
    response = HttpResponse(email.html)
    response["X-Email-Subject"] = email.subject.encode("ascii", "replace").decode("ascii")
    return response
