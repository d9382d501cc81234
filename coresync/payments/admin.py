"""The manager's view of payments: refunds (full or partial) go through the service, never a field edit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages

from coresync.audit.admin import AuditHistoryMixin
from coresync.core.errors import ApplicationError

from .models import MembershipSubscription, Payment, ProviderEventRecord, Refund, SavedCard
from .services import refund_request


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "status", "reason", "actor", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_children = "refunds"
    list_display = ["booking", "purpose", "status", "amount", "amount_paid", "amount_refunded", "provider", "created_at"]
    list_filter = ["status", "purpose", "provider"]
    search_fields = ["booking__reference", "=booking__customer_email"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["refund_in_full", "refund_partially"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Refund in full (what is left)")
    def refund_in_full(self, request, queryset):
        self._refund(request, queryset, amount=None)

    @admin.action(description="Refund part: the amount typed in the search box (e.g. 25.00)")
    def refund_partially(self, request, queryset):
        try:
            amount = Decimal(request.GET.get("q", "") or request.POST.get("q", ""))
        except InvalidOperation:
            self.message_user(request, "Type the amount to refund in the search box first (e.g. 25.00).", messages.ERROR)
            return
        self._refund(request, queryset, amount=amount)

    def _refund(self, request, queryset, *, amount):
        done = 0
        for payment in queryset:
            try:
                if refund_request(payment=payment, amount=amount, reason="refund by the manager", actor=request.user):
                    done += 1
            except ApplicationError as error:
                self.message_user(request, f"{payment.booking}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} refund(s) queued; they are sent through the outbox.", messages.SUCCESS)


@admin.register(ProviderEventRecord)
class ProviderEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "type", "event_id", "object_id"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id", "object_id"]
    readonly_fields = ["provider", "event_id", "type", "object_id", "data", "received_at"]


@admin.register(SavedCard)
class SavedCardAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["user", "brand", "last4", "exp_month", "exp_year", "is_default", "consent_at", "consent_version"]
    readonly_fields = ["consent_at", "consent_version", "setup"]


@admin.register(MembershipSubscription)
class MembershipSubscriptionAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["user", "tier", "status", "cancel_at_period_end", "current_period_end", "provider"]
    list_filter = ["status", "provider"]
    readonly_fields = ["status", "membership", "idempotency_key"]
