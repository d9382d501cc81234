from django.contrib import admin

from coresync.audit.admin import AuditHistoryMixin

from .models import AddOn, Location, OpeningHours, Price, Room, RoomType, Service, ServiceCategory, Skill


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Location)
class LocationAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_children = "opening hours"
    list_display = ["name", "timezone", "phone", "slot_step_minutes", "lead_time_minutes", "guest_booking_window_days", "sales_tax_rate"]
    search_fields = ["name", "address"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "timezone", "address", "phone", "email", "map_url"]}),
        ("Guest information (concierge and e-mails)", {"fields": ["directions", "parking", "what_to_bring", "cancellation_policy", "google_review_url"]}),
        ("Booking rules", {"fields": ["slot_step_minutes", "lead_time_minutes", "guest_booking_window_days", "free_cancellation_hours"]}),
        ("Money", {"fields": ["sales_tax_rate", "currency"]}),
    ]


@admin.register(RoomType)
class RoomTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "room_type", "location", "active"]
    list_filter = ["room_type", "location", "active"]
    list_editable = ["active"]
    search_fields = ["name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0
    fields = ["column", "amount"]


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "taxable"]
    list_editable = ["position", "taxable"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Service)
class ServiceAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_children = "prices"
    list_display = ["name", "category", "duration_minutes", "buffer_minutes", "required_room_type", "required_skill", "active"]
    list_filter = ["category", "active", "required_room_type", "required_skill", "taxable"]
    list_editable = ["active"]
    search_fields = ["name", "slug", "synonyms", "description"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["category", "required_room_type", "required_skill"]
    inlines = [PriceInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category", "location", "active", "position"]}),
        ("Time and resources", {"fields": ["duration_minutes", "buffer_minutes", "required_room_type", "required_skill"]}),
        ("Guests see", {"fields": ["short_description", "description", "image", "synonyms"]}),
        ("Tax", {"fields": ["taxable"]}),
    ]


@admin.register(AddOn)
class AddOnAdmin(AuditHistoryMixin, admin.ModelAdmin):
    audit_children = "prices"
    list_display = ["name", "extra_minutes", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["services"]
    inlines = [PriceInline]


@admin.register(Price)
class PriceAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["__str__", "column", "amount"]
    list_filter = ["column", "service__category"]
    search_fields = ["service__name", "addon__name"]
    list_select_related = ["service", "addon"]
