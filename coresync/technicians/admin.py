from django.contrib import admin

from coresync.audit.admin import AuditHistoryMixin

from .models import ExtraShift, Technician, TimeOff, WeeklyShift, WorkLog


class WeeklyShiftInline(admin.TabularInline):
    model = WeeklyShift
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["starts_at", "ends_at", "reason", "status"]


class ExtraShiftInline(admin.TabularInline):
    model = ExtraShift
    extra = 0
    fields = ["starts_at", "ends_at", "note"]


@admin.register(Technician)
class TechnicianAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_children = "shifts, time off and work logs"
    list_display = ["display_name", "user", "location", "hourly_rate", "active"]
    list_filter = ["active", "skills", "location"]
    search_fields = ["display_name", "=user__email"]
    filter_horizontal = ["skills"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "location"]
    inlines = [WeeklyShiftInline, TimeOffInline, ExtraShiftInline]


@admin.register(TimeOff)
class TimeOffAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["technician", "starts_at", "ends_at", "reason", "status", "reviewed_by"]
    list_filter = ["status", "technician"]
    readonly_fields = ["reviewed_by", "reviewed_at"]
    date_hierarchy = "starts_at"


@admin.register(ExtraShift)
class ExtraShiftAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["technician", "starts_at", "ends_at", "note"]
    list_filter = ["technician"]
    date_hierarchy = "starts_at"


@admin.register(WorkLog)
class WorkLogAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read-mostly: hours are reviewed through the manager API and pages, which keep the audit history."""

    list_display = ["technician", "date", "hours", "status", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "technician"]
    date_hierarchy = "date"
    readonly_fields = ["status", "reviewed_by", "reviewed_at", "reason", "history"]
    list_select_related = ["technician", "reviewed_by"]
