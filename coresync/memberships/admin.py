from django.contrib import admin

from coresync.audit.admin import AuditHistoryMixin

from .models import Membership, MembershipTier


@admin.register(MembershipTier)
class MembershipTierAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "price_column", "discount_percent", "booking_window_days", "monthly_price", "active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["member_number", "user", "tier", "status", "started_on", "renews_on", "card_on_file"]
    list_filter = ["tier", "status", "card_on_file"]
    search_fields = ["member_number", "=user__email"]
    list_select_related = ["user", "tier"]
    autocomplete_fields = ["user"]
    date_hierarchy = "started_on"
