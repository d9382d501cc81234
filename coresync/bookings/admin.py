"""The front desk's view of bookings.

Adding a booking here goes through ``booking_create`` (channel ``admin``), so the
same availability rules and overlap guarantees apply as on the web; changes of
status go through the booking services too. Times show in the spa's zone.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils import timezone

from coresync.catalog.models import AddOn, Service
from coresync.core.errors import ApplicationError
from coresync.technicians.models import Technician

from . import services
from .models import Booking, BookingAddOn, BookingEvent, Channel, EventChannel


class BookingAddOnInline(admin.TabularInline):
    model = BookingAddOn
    extra = 0
    can_delete = False
    fields = ["name", "extra_minutes", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class BookingEventInline(admin.TabularInline):
    """The booking's history: who changed what, when and through which channel (append-only)."""

    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "actor_label", "channel", "reason", "data"]
    readonly_fields = fields
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BookingAddForm(forms.ModelForm):
    """What the front desk types; the booking service fills in the rest."""

    service_choice = forms.ModelChoiceField(queryset=Service.objects.filter(active=True), label="Service")
    start_at = forms.DateTimeField(label="Start", help_text="In the spa's time zone, e.g. 2026-12-04 15:00.")
    technician_choice = forms.ModelChoiceField(
        queryset=Technician.objects.filter(active=True), required=False, label="Technician", help_text="Leave empty to assign automatically."
    )
    addon_choices = forms.ModelMultipleChoiceField(queryset=AddOn.objects.filter(active=True), required=False, label="Add-ons")
    guest_name = forms.CharField(max_length=150)
    guest_email = forms.EmailField()
    guest_phone = forms.CharField(max_length=32, required=False)

    class Meta:
        model = Booking
        fields = ["notes"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "local_start", "service", "technician", "room", "customer_name", "status", "channel", "total"]
    list_filter = ["status", "channel", "service__category", "technician", "room", "location"]
    # Contact details are encrypted at rest: a whole e-mail address or phone number (no spaces) finds its bookings.
    search_fields = ["reference", "=customer_email", "=customer_phone", "atlas_call_id", "ai_session_id"]
    date_hierarchy = "start"
    list_select_related = ["service", "technician", "room", "location"]
    inlines = [BookingAddOnInline, BookingEventInline]
    actions = ["cancel_bookings", "mark_completed", "mark_no_show"]
    readonly_fields = [
        "reference", "location", "customer", "customer_name", "customer_email", "customer_phone", "service", "technician",
        "room", "start", "end", "blocked_until", "status", "channel", "price_column", "tier_name", "currency", "subtotal",
        "discount", "tax", "total", "price_lines", "hold_expires_at", "cancelled_at", "cancellation_reason",
        "rescheduled_from", "ai_session_id", "atlas_call_id", "created_at", "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "status", "channel", "service", "technician", "room", "start", "end", "blocked_until"]}),
        ("Guest", {"fields": ["customer", "customer_name", "customer_email", "customer_phone", "notes"]}),
        ("Price", {"fields": ["tier_name", "price_column", "currency", "subtotal", "discount", "tax", "total", "price_lines"]}),
        ("History", {"fields": ["hold_expires_at", "cancelled_at", "cancellation_reason", "rescheduled_from", "created_at", "updated_at"]}),
        ("Other systems", {"classes": ["collapse"], "fields": ["ai_session_id", "atlas_call_id"]}),
    ]

    @admin.display(description="Start", ordering="start")
    def local_start(self, booking: Booking) -> str:
        return timezone.localtime(booking.start).strftime("%a %d %b %Y %H:%M")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = BookingAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["service_choice", "start_at", "technician_choice", "addon_choices",
                                       "guest_name", "guest_email", "guest_phone", "notes"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return services.booking_create(
            service=data["service_choice"].slug,
            start=data["start_at"],
            guest=services.GuestDetails(name=data["guest_name"], email=data["guest_email"], phone=data.get("guest_phone") or ""),
            technician=data["technician_choice"].pk if data.get("technician_choice") else None,
            addons=[addon.slug for addon in data["addon_choices"]],
            notes=data.get("notes") or "",
            channel=Channel.ADMIN,
        )

    def save_model(self, request, obj, form, change):
        if change:  # a new booking was saved by booking_create in save_form
            super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, f"Not booked: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def _apply(self, request, queryset, action, done_text: str, **kwargs) -> None:
        """Run one service per selected booking; refusals (wrong state, too late) are listed, not raised."""
        done, failed = 0, []
        for booking in queryset.select_related("location"):
            try:
                action(booking=booking, actor=request.user, channel=EventChannel.ADMIN, **kwargs)
                done += 1
            except ApplicationError as error:
                failed.append(f"{booking.reference}: {error.message}")
        self.message_user(request, done_text.format(count=done))
        for line in failed:
            self.message_user(request, line, level=messages.WARNING)

    @admin.action(description="Cancel selected bookings")
    def cancel_bookings(self, request, queryset):
        self._apply(request, queryset, services.booking_cancel, "Cancelled {count} booking(s).", reason="Cancelled by the front desk")

    @admin.action(description="Mark as completed")
    def mark_completed(self, request, queryset):
        self._apply(request, queryset, services.booking_complete, "Marked {count} booking(s) completed.")

    @admin.action(description="Mark as no-show")
    def mark_no_show(self, request, queryset):
        self._apply(request, queryset, services.booking_mark_no_show, "Marked {count} booking(s) as no-show.")
