"""Card on file: save a card for later (a SetupIntent, off-session) with recorded consent; the saved card appears
when the provider says the setup succeeded (``setup_intent.succeeded``, re-fetched)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from coresync.core.errors import ValidationFailed
from coresync.integrations.payments import payment_provider
from coresync.integrations.references import external_lookup, external_ref, external_ref_set

from .models import CardSetup, SavedCard
from .services import customer_id_for

CONSENT_TEXT = (
    "I authorise CoreSync Spa to save this card and charge it for bookings I make, and for the late-cancellation "
    "and no-show fees of the spa's policy, until I remove it."
)


@dataclass(frozen=True)
class SetupStart:
    provider: str
    status: str
    setup_id: str
    client_secret: str = ""
    checkout_url: str = ""

    def as_dict(self) -> dict:
        body = {"provider": self.provider, "status": self.status, "setup_id": self.setup_id, "consent_version": settings.PAYMENT_CONSENT_VERSION}
        if self.client_secret:
            body["client_secret"] = self.client_secret
        if self.checkout_url:
            body["checkout_url"] = self.checkout_url
        return body


def card_setup_start(*, user, consent: bool) -> SetupStart:
    """Start saving a card for ``user``; ``consent`` (to off-session charges, CONSENT_TEXT) is required and recorded."""
    if consent is not True:
        raise ValidationFailed("Please agree to saving your card for later charges.", code="consent_required",
                               fields={"consent": ["Consent is required to save a card."]})
    provider = payment_provider()
    setup = CardSetup.objects.create(user=user, provider=provider.identifier, consent_at=timezone.now(),
                                     consent_version=settings.PAYMENT_CONSENT_VERSION, idempotency_key=f"setup:{uuid.uuid4().hex}")
    customer = customer_id_for(user, provider=provider.identifier)
    result = provider.setup_create(customer=customer, metadata={"card_setup_id": str(setup.pk), "user_id": str(user.pk)},
                                   idempotency_key=setup.idempotency_key)
    external_ref_set(setup, system=provider.identifier, kind="setup_intent", external_id=result.id)
    CardSetup.objects.filter(pk=setup.pk).update(status=result.status)
    return SetupStart(provider=provider.identifier, status=result.status, setup_id=result.id,
                      client_secret=result.client_secret, checkout_url=result.checkout_url)


def card_setup_complete(*, provider: str, setup_id: str) -> SavedCard | None:
    """Re-fetch a setup and keep its card (once; the first card becomes the default). Safe to run twice."""
    result = payment_provider(provider).setup_get(setup_id)
    setup = external_lookup(CardSetup, system=provider, kind="setup_intent", external_id=setup_id)
    if setup is None or result.status != "succeeded" or not result.payment_method:
        return None
    existing = external_lookup(SavedCard, system=provider, kind="payment_method", external_id=result.payment_method)
    if existing is not None:
        return existing
    card = payment_provider(provider).card_get(result.payment_method)
    try:
        with transaction.atomic():
            has_default = SavedCard.objects.select_for_update().filter(user=setup.user, provider=provider, is_default=True).exists()
            saved = SavedCard.objects.create(
                user=setup.user, provider=provider, brand=card.brand, last4=card.last4, exp_month=card.exp_month,
                exp_year=card.exp_year, is_default=not has_default, consent_at=setup.consent_at,
                consent_version=setup.consent_version, setup=setup,
            )
            external_ref_set(saved, system=provider, kind="payment_method", external_id=card.id)
            CardSetup.objects.filter(pk=setup.pk).update(status=result.status, updated_at=timezone.now())
    except IntegrityError:  # a concurrent run saved it first
        return external_lookup(SavedCard, system=provider, kind="payment_method", external_id=result.payment_method)
    return saved


def saved_cards_for(user) -> list[SavedCard]:
    return list(SavedCard.objects.filter(user=user, provider=payment_provider().identifier))


def saved_card_payload(card: SavedCard) -> dict:
    reference = external_ref(card, system=card.provider, kind="payment_method")
    return {"id": reference.external_id if reference else str(card.pk), "brand": card.brand, "last4": card.last4,
            "exp_month": card.exp_month, "exp_year": card.exp_year, "default": card.is_default}
