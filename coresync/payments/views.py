"""Payment pages: the pay page (Stripe's Payment Element, or a hand-over to the local card page) and the local
gateway's hosted card page. Stripe.js is loaded on the pay page only, and only with the Stripe provider."""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from coresync.bookings.models import Booking
from coresync.core.errors import ApplicationError, NotFound
from coresync.core.formatting import format_money
from coresync.core.links import booking_manage_lookup, booking_manage_path
from coresync.core.ratelimit import rate_limited
from coresync.integrations.payments import payment_provider

from . import cards, services, subscriptions
from .gateway import LocalPaymentProvider, card_entry_clean
from .models import LocalGatewayObject


def _pay(request: HttpRequest, booking: Booking) -> HttpResponse:
    back = booking_manage_path(booking)
    try:
        started = services.payment_start(booking=booking, actor=request.user)
    except ApplicationError as error:
        return render(request, "payments/pay.html", {"booking": booking, "error": error.message, "back": back}, status=error.status_code)
    if started.checkout_url:
        return redirect(started.checkout_url)
    provider = payment_provider(started.provider)
    return render(request, "payments/pay.html", {
        "booking": booking, "started": started, "back": back, "publishable_key": provider.publishable_key,
        "amount_text": format_money(started.amount, started.currency), "stripe_js": provider.uses_stripe_js,
        "return_url": request.build_absolute_uri(back),
    })


@csp_update(settings.STRIPE_CSP)  # Stripe.js and its frames: on the pay pages only
@rate_limited("payments", "PAYMENT_RATE_LIMIT")
def pay_page(request: HttpRequest, token: str) -> HttpResponse:
    """The payment link (e-mails, the account page): a signed token names the booking and its e-mail."""
    found = booking_manage_lookup(token)
    booking = Booking.objects.select_related("service", "location").filter(
        reference=found[0], customer_email__iexact=found[1]).first() if found else None
    if booking is None:
        raise Http404("This link is not valid.")
    return _pay(request, booking)


@csp_update(settings.STRIPE_CSP)
@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("payments", "PAYMENT_RATE_LIMIT")
def pay_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the pay page. POST ``use_saved_card``: one tap, the card on file is charged at once (the account page's button)."""
    booking = Booking.objects.select_related("service", "location", "customer").filter(
        reference=reference.upper(), customer=request.user).first()
    if booking is None:
        raise Http404("No such booking.")
    if request.method == "POST":
        back = reverse("web:my-booking", args=[booking.reference])
        try:
            started = services.payment_start(booking=booking, actor=request.user, use_saved_card=True)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(request, f"Paid {format_money(started.amount, started.currency)} with your card on file. Thank you.")
        return redirect(back)
    return _pay(request, booking)


@csp_update(settings.STRIPE_CSP)  # saving a card runs Stripe.js too
@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("payments", "PAYMENT_RATE_LIMIT")
def cards_page(request: HttpRequest) -> HttpResponse:
    """My cards on file, and saving one for later (consent required): the page twin of the payment-methods endpoints."""
    error = ""
    if request.method == "POST":
        try:
            started = cards.card_setup_start(user=request.user, consent=request.POST.get("consent") == "yes")
        except ApplicationError as error_:
            error = error_.message
        else:
            if started.checkout_url:
                return redirect(started.checkout_url)
            provider = payment_provider(started.provider)
            return render(request, "payments/cards.html", {
                "setup": started, "publishable_key": provider.publishable_key, "stripe_js": provider.uses_stripe_js,
                "return_url": request.build_absolute_uri(reverse("payments:cards")), "consent_text": cards.CONSENT_TEXT,
            })
    return render(request, "payments/cards.html", {"cards": cards.saved_cards_for(request.user), "error": error,
                                                   "consent_text": cards.CONSENT_TEXT})


def _checkout_subject(obj: LocalGatewayObject) -> tuple[str, str, str]:
    """(what is being paid, the amount as text, where to go afterwards)."""
    if obj.kind == "payment_intent":
        reference = obj.data.get("metadata", {}).get("booking_reference", "")
        booking = Booking.objects.filter(reference=reference).first()
        back = booking_manage_path(booking) if booking else "/"
        return f"Booking {reference}", format_money(services.from_cents(obj.data["amount"]), obj.data["currency"].upper()), back
    if obj.kind == "subscription":
        return "Membership, first month", format_money(services.from_cents(obj.data["amount"]), "USD"), "/accounts/membership/"
    return "Save a card for later", "", reverse("payments:cards")


@require_http_methods(["GET", "POST"])
@rate_limited("payments", "PAYMENT_RATE_LIMIT")
def local_checkout(request: HttpRequest, object_id: str) -> HttpResponse:
    """The local test gateway's hosted card page (Stripe's test numbers)."""
    obj = LocalGatewayObject.objects.filter(pk=object_id, kind__in=["payment_intent", "setup_intent", "subscription"]).first()
    if obj is None:
        raise Http404("No such payment.")
    title, amount, back = _checkout_subject(obj)
    context = {"obj": obj, "title": title, "amount": amount, "back": back, "errors": {}, "message": "", "values": {},
               "consent_text": cards.CONSENT_TEXT if obj.kind == "setup_intent" else ""}
    done = obj.status in ("succeeded", "active")
    if request.method == "POST" and not done:
        context["values"] = {"number": request.POST.get("number", ""), "expiry": request.POST.get("expiry", "")}
        try:
            _local_submit(obj, number=request.POST.get("number", ""), expiry=request.POST.get("expiry", ""), cvc=request.POST.get("cvc", ""))
        except ApplicationError as error:
            context.update(errors=error.fields, message=error.message)
            return render(request, "payments/local_checkout.html", context, status=402 if error.status_code == 402 else 400)
        messages.success(request, "Card saved for one-tap checkout." if obj.kind == "setup_intent" else "Payment received. Thank you.")
        return redirect(back)
    context["done"] = done
    return render(request, "payments/local_checkout.html", context)


def _local_submit(obj: LocalGatewayObject, *, number: str, expiry: str, cvc: str) -> None:
    """Pay on the local gateway, then take its answer in at once (the same re-fetch as its event, which still comes)."""
    entry = card_entry_clean(number=number, expiry=expiry, cvc=cvc)
    gateway = payment_provider("local")
    if not isinstance(gateway, LocalPaymentProvider):
        raise NotFound()
    if obj.kind == "payment_intent":
        try:
            gateway.intent_pay(obj.pk, entry)
        finally:  # paid or declined, the payment shows it now
            services.payment_event_for_intent(provider="local", intent_id=obj.pk)
    elif obj.kind == "setup_intent":
        gateway.setup_confirm(obj.pk, entry)
        cards.card_setup_complete(provider="local", setup_id=obj.pk)
    else:
        gateway.subscription_pay(obj.pk, entry)
        subscriptions.subscription_event_apply(provider="local", subscription_id=obj.pk, event_type="", event_key="")


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("payments", "PAYMENT_RATE_LIMIT")
def membership_page(request: HttpRequest) -> HttpResponse:
    """Choose a tier (billed monthly) or cancel at period end: the page twin of the subscribe/cancel endpoints."""
    from coresync.memberships.models import MembershipTier

    message = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                subscriptions.membership_subscription_cancel(user=request.user)
                message = "Your membership ends at the end of the paid period."
            else:
                started = subscriptions.membership_subscribe(user=request.user, tier_slug=request.POST.get("tier", ""))
                if started.get("checkout_url"):
                    return redirect(started["checkout_url"])
                message = "Your membership is active."
        except ApplicationError as error:
            message = error.message
    current = subscriptions.current_membership(request.user)
    tiers = [(tier, format_money(tier.monthly_price, "USD")) for tier in MembershipTier.objects.filter(active=True)]
    return render(request, "payments/membership.html", {"tiers": tiers, "current": current, "message": message})
