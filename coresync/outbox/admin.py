from django.contrib import admin, messages

from .models import OutboxMessage
from .services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "dedupe_key", "status", "attempts", "next_attempt_at", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("dedupe_key", "request_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="last error")
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:120]

    @admin.action(description="Retry now (fresh attempts)")
    def retry_now(self, request, queryset):
        count = outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)
