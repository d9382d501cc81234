"""The offer's one-click page (the link in the e-mail shows the time and one button that books it), and the signed-in
guest's waitlist page at ``/accounts/waitlist/`` (join, see, leave)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from coresync.catalog.models import Service
from coresync.core.errors import ApplicationError
from coresync.core.ratelimit import rate_limited

from . import services
from .models import EntryStatus, OfferStatus, WaitlistEntry


@require_http_methods(["GET", "POST"])
@rate_limited("waitlist", "WAITLIST_RATE_LIMIT")
def offer_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the offer (mail scanners that follow links book nothing); POST books it, once."""
    try:
        offer = services.offer_from_token(token)
    except ApplicationError as error:
        return render(request, "waitlist/offer.html", {"error": error.message}, status=error.status_code)
    context = {"offer": offer, "entry": offer.entry, "open": offer.status == OfferStatus.OPEN and offer.expires_at > timezone.now()}
    if request.method == "POST":
        try:
            offer = services.offer_accept(offer=offer)
        except ApplicationError as error:
            context.update(error=error.message, open=False)
            return render(request, "waitlist/offer.html", context, status=error.status_code)
        context.update(offer=offer, open=False, booked=offer.booking)
    return render(request, "waitlist/offer.html", context)


# --- The customer's account page: join and leave ------------------------------------------


class JoinForm(forms.Form):
    service = forms.ChoiceField()
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    time_from = forms.TimeField(label="Earliest start", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                                help_text="Leave both times empty for any time of day.")
    time_to = forms.TimeField(label="Latest start", required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, services: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = services


def _services() -> list[tuple[str, str]]:
    return list(Service.objects.filter(active=True).order_by("category__position", "position").values_list("slug", "name"))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("waitlist", "WAITLIST_RATE_LIMIT")
def my_waitlist(request: HttpRequest) -> HttpResponse:
    """The signed-in guest's waitlist: join for a service and a range (the tier window applies), see and leave entries."""
    today = timezone.localdate()
    initial = {"service": request.GET.get("service", ""), "date_from": today, "date_to": today + timedelta(days=7)}
    form = JoinForm(request.POST or None, services=_services(), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.waitlist_join(service=data["service"], date_from=data["date_from"], date_to=data["date_to"],
                                           time_from=data["time_from"], time_to=data["time_to"], customer=request.user)
        except ApplicationError as error:
            for name, problems in (error.fields or {}).items():
                if name in form.fields:
                    for problem in problems:
                        form.add_error(name, str(problem))
            if not any(name in form.fields for name in error.fields or {}):
                form.add_error(None, error.message)
        else:
            messages.success(request, f"You are on the waitlist for {entry.service.name}. We e-mail {entry.email} as soon as a time opens.")
            return redirect("waitlist:mine")
    entries = list(WaitlistEntry.objects.filter(customer=request.user, status__in=(EntryStatus.WAITING, EntryStatus.OFFERED))
                   .select_related("service").order_by("date_from", "pk"))
    return render(request, "waitlist/mine.html", {"form": form, "entries": entries})


@login_required
@require_POST
@rate_limited("waitlist", "WAITLIST_RATE_LIMIT")
def my_waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.waitlist_leave(entry_id=pk, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "You have left that waitlist.")
    return redirect("waitlist:mine")
