"""A customer's (or a guest's) personal data: everything we hold about an e-mail address, exported or erased.

``personal_data_export(email)`` gathers every record tied to the address (the
account, memberships, bookings and their history, booking parties organised,
waitlist entries, e-mails sent, chat and phone conversations, hand-offs, saved
cards, payments) as plain JSON. ``personal_data_erase(email)`` anonymises the
personal fields of all of them in one transaction and deletes what has no other
purpose (waitlist entries, preferences, saved cards, sign-in attempts). Accounting
records stay: bookings keep their reference, service, time and amounts, payments,
refunds and ledger receipts keep theirs, so the books still add up; only who it
was is gone (receipts already in QuickBooks are the bookkeeper's to edit there).
Both are recorded in ``PrivacyRequest`` under a keyed digest of the address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coresync.accounting.models import AccountingCustomer, Receipt
from coresync.accounts.models import User
from coresync.ai_agent.models import AgentAction, Conversation, Handoff
from coresync.audit.models import SecurityKind
from coresync.audit.services import security_event
from coresync.bookings.models import Booking, BookingEvent, BookingGroup
from coresync.core.fields import with_blind_indexes
from coresync.memberships.models import Membership, MembershipEvent
from coresync.notifications.models import EmailLog, NotificationPreference
from coresync.payments.models import Payment, SavedCard
from coresync.waitlist.models import WaitlistEntry

from .models import PrivacyRequest, RequestKind

ERASED_NAME = "Erased customer"
ERASED_TEXT = "[erased]"


def subject_digest(email: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def erased_email(digest: str) -> str:
    """A unique, undeliverable stand-in (``.invalid`` never resolves): unique columns stay unique."""
    return f"erased-{digest[:16]}@erased.invalid"


@dataclass
class _Subject:
    email: str
    user: User | None

    @property
    def bookings(self):
        match = Q(customer_email__iexact=self.email)
        if self.user:
            match |= Q(customer=self.user)
        return Booking.objects.filter(match)

    @property
    def conversations(self):
        match = Q(booking__in=self.bookings)
        if self.user:
            match |= Q(customer=self.user)
        return Conversation.objects.filter(match)

    @property
    def emails(self):
        match = Q(recipient__iexact=self.email) | Q(booking__in=self.bookings)
        if self.user:
            match |= Q(membership__user=self.user)
        return EmailLog.objects.filter(match)

    @property
    def waitlist(self):
        match = Q(email__iexact=self.email)
        if self.user:
            match |= Q(customer=self.user)
        return WaitlistEntry.objects.filter(match)

    @property
    def groups(self):
        match = Q(organiser_email__iexact=self.email)
        if self.user:
            match |= Q(customer=self.user)
        return BookingGroup.objects.filter(match)


def _subject(email: str) -> _Subject:
    email = (email or "").strip()
    if "@" not in email:
        from coresync.core.errors import ValidationFailed

        raise ValidationFailed("An e-mail address is needed.", fields={"email": ["Enter an e-mail address."]})
    return _Subject(email=email, user=User.objects.filter(email__iexact=email).first())


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _rows(queryset, *fields: str) -> list[dict]:
    return [_plain(row) for row in queryset.values(*fields)]


def personal_data_export(email: str, *, actor=None, reason: str = "", request=None) -> dict:
    """Everything tied to ``email``, as JSON-ready data (an access request answered)."""
    subject = _subject(email)
    bookings = subject.bookings.order_by("start")
    data = {
        "subject": subject.email,
        "exported_at": timezone.now().isoformat(),
        "account": _rows(User.objects.filter(pk=subject.user.pk), "email", "name", "phone", "role", "date_joined", "last_login")
        if subject.user else [],
        "memberships": _rows(Membership.objects.filter(user=subject.user), "tier__name", "status", "member_number", "started_on",
                             "created_at") if subject.user else [],
        "bookings": _rows(bookings, "reference", "service__name", "start", "end", "status", "channel", "customer_name",
                          "customer_email", "customer_phone", "notes", "subtotal", "discount", "tax", "total", "created_at"),
        "booking_history": _rows(BookingEvent.objects.filter(booking__in=bookings).order_by("created_at"), "booking__reference", "kind",
                                 "from_status", "to_status", "channel", "reason", "created_at"),
        "booking_parties_organised": _rows(subject.groups, "organiser_name", "organiser_email", "organiser_phone", "created_at"),
        "waitlist": _rows(subject.waitlist, "service__name", "name", "email", "phone", "date_from", "date_to", "status", "created_at"),
        "emails": _rows(subject.emails.order_by("created_at"), "kind", "recipient", "subject", "status", "sent_at", "created_at"),
        "conversations": [
            {**_plain({"channel": c.channel, "started": c.created_at, "caller_phone": c.caller_phone}),
             "turns": [{"said": a.message, "answered": " ".join(m.get("text", "") for m in (a.reply or {}).get("messages", []))}
                       for a in c.actions.all()]}
            for c in subject.conversations.prefetch_related("actions").order_by("created_at")
        ],
        "saved_cards": _rows(SavedCard.objects.filter(user=subject.user), "brand", "last4", "exp_month", "exp_year", "created_at")
        if subject.user else [],
        "payments": _rows(Payment.objects.filter(Q(booking__in=bookings) | Q(customer=subject.user) if subject.user else Q(booking__in=bookings)),
                          "booking__reference", "purpose", "status", "currency", "amount", "amount_paid", "amount_refunded", "paid_at"),
    }  # fmt: skip
    record = PrivacyRequest.objects.create(
        kind=RequestKind.EXPORT, subject_digest=subject_digest(subject.email), requested_by=actor, reason=reason[:200],
        summary={key: len(value) for key, value in data.items() if isinstance(value, list)},
    )
    security_event(SecurityKind.PRIVACY_EXPORT, request=request, actor=actor, detail={"privacy_request": record.pk})
    return data


def personal_data_erase(email: str, *, actor=None, reason: str = "", request=None) -> dict:
    """Anonymise every personal field tied to ``email`` in one transaction; returns how many rows of each kind."""
    subject = _subject(email)
    digest = subject_digest(subject.email)
    stand_in = erased_email(digest)
    counts: dict[str, int] = {}
    with transaction.atomic():
        bookings = list(subject.bookings.values_list("pk", flat=True))
        conversations = list(subject.conversations.values_list("pk", flat=True))
        counts["emails"] = subject.emails.update(**with_blind_indexes(EmailLog, {
            "recipient": stand_in, "subject": ERASED_TEXT, "body_text": "", "body_html": ""}))
        counts["waitlist_entries"] = subject.waitlist.delete()[0]
        counts["booking_parties"] = subject.groups.update(**with_blind_indexes(BookingGroup, {
            "organiser_name": ERASED_NAME, "organiser_email": stand_in, "organiser_phone": ""}))
        counts["bookings"] = Booking.objects.filter(pk__in=bookings).update(**with_blind_indexes(Booking, {
            "customer_name": ERASED_NAME, "customer_email": stand_in, "customer_phone": "", "notes": ""}))
        counts["booking_history"] = BookingEvent.objects.filter(booking_id__in=bookings).exclude(actor_label="").update(actor_label="")
        counts["membership_history"] = (
            MembershipEvent.objects.filter(membership__user=subject.user).exclude(actor_label="").update(actor_label="")
            if subject.user else 0
        )  # fmt: skip
        counts["conversation_turns"] = AgentAction.objects.filter(conversation_id__in=conversations).update(
            message=ERASED_TEXT, entities={}, reply={}
        )
        counts["conversations"] = Conversation.objects.filter(pk__in=conversations).update(
            **with_blind_indexes(Conversation, {"caller_phone": "", "atlas_call_id": ""}))
        counts["handoffs"] = Handoff.objects.filter(conversation_id__in=conversations).update(last_message="", contact="")
        counts["preferences"] = NotificationPreference.objects.filter(
            Q(email__iexact=subject.email) | (Q(user=subject.user) if subject.user else Q(pk__in=[]))
        ).delete()[0]
        counts["sign_in_attempts"] = _forget_sign_in_attempts(subject.email)
        counts["ledger_receipts"] = _anonymise_receipts(subject.email, stand_in)
        counts["ledger_customers"] = AccountingCustomer.objects.filter(email__iexact=subject.email).update(
            **with_blind_indexes(AccountingCustomer, {"email": stand_in, "display_name": ERASED_NAME}))
        if subject.user:
            user = subject.user
            counts["saved_cards"] = SavedCard.objects.filter(user=user).delete()[0]
            user.email, user.name, user.phone, user.is_active = stand_in, ERASED_NAME, "", False
            user.set_unusable_password()
            user.save(update_fields=["email", "name", "phone", "is_active", "password"])
            from rest_framework.authtoken.models import Token

            counts["api_tokens"] = Token.objects.filter(user=user).delete()[0]
            counts["account"] = 1
        record = PrivacyRequest.objects.create(kind=RequestKind.ERASE, subject_digest=digest, requested_by=actor,
                                               reason=reason[:200], summary=counts)  # fmt: skip
        security_event(SecurityKind.PRIVACY_ERASE, request=request, actor=actor, detail={"privacy_request": record.pk})
    return counts


def _anonymise_receipts(email: str, stand_in: str) -> int:
    """The books keep every receipt and its amounts; only the customer's name and address on them go."""
    receipts = list(Receipt.objects.select_for_update().filter(customer_email__iexact=email))
    for receipt in receipts:
        body = dict(receipt.body or {})
        if isinstance(body.get("CustomerRef"), dict):
            body["CustomerRef"] = {**body["CustomerRef"], "name": ERASED_NAME}
        if isinstance(body.get("BillEmail"), dict):
            body["BillEmail"] = {"Address": stand_in}
        receipt.body, receipt.customer_email = body, stand_in
        receipt.save(update_fields=["body", "customer_email", "updated_at"])
    return len(receipts)


def _forget_sign_in_attempts(email: str) -> int:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from coresync.accounts.security import login_key

    removed = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        removed += model.objects.filter(username__in=[email.strip().lower(), login_key(email)]).delete()[0]
    return removed
