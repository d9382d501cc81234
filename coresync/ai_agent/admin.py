from django.contrib import admin
from django.utils import timezone

from .models import AgentAction, AtlasLog, Conversation, FaqEntry, Handoff


class AgentActionInline(admin.TabularInline):
    model = AgentAction
    extra = 0
    can_delete = False
    fields = ["position", "actor", "message", "intent", "entities", "reply", "engine", "latency_ms", "booking", "created_at"]
    readonly_fields = fields
    ordering = ["position"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["session_id", "channel", "customer", "caller_phone", "turns", "last_intent", "outcome", "handoff", "updated_at"]
    list_filter = ["channel", "outcome", "handoff"]
    search_fields = ["session_id", "=customer__email", "=caller_phone", "atlas_call_id", "booking__reference"]
    readonly_fields = [f.name for f in Conversation._meta.fields]
    list_select_related = ["customer"]
    inlines = [AgentActionInline]
    date_hierarchy = "updated_at"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "reason", "contact", "last_message", "conversation"]
    list_filter = ["status", "reason"]
    readonly_fields = ["conversation", "reason", "last_message", "contact", "notified", "resolved_at", "resolved_by", "created_at"]
    actions = ["mark_resolved"]
    list_select_related = ["conversation"]

    @admin.action(description="Mark selected handoffs resolved")
    def mark_resolved(self, request, queryset):
        queryset.filter(status=Handoff.Status.OPEN).update(status=Handoff.Status.RESOLVED, resolved_at=timezone.now(), resolved_by=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def get_queryset(self, request):
        # Open handoffs first: this list is the team's inbox.
        return super().get_queryset(request).order_by("-status", "-created_at")


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "keywords", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["question", "keywords", "answer"]


@admin.register(AtlasLog)
class AtlasLogAdmin(admin.ModelAdmin):
    list_display = ["received_at", "event_type", "event_id", "call_id", "caller", "status"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "call_id", "caller"]
    readonly_fields = [f.name for f in AtlasLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
