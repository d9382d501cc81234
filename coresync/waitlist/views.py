"""The offer's one-click page: the link in the e-mail shows the time and one button that books it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coresync.core.errors import ApplicationError

from . import services
from .models import OfferStatus


@require_http_methods(["GET", "POST"])
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
