from django.contrib import admin, messages

from .models import EmailLog, NotificationPreference
from .services import email_resend


@admin.register(EmailLog)
class EmailLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "kind", "status", "recipient", "booking", "sequence", "membership", "dedupe_key", "attempts", "sent_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["=recipient", "booking__reference", "membership__member_number", "dedupe_key", "provider_message_id"]
    list_select_related = ["booking", "membership"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [field.name for field in EmailLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Resend the selected e-mails now")
    def resend(self, request, queryset) -> None:
        results = [email_resend(log=log, actor=request.user) for log in queryset]
        sent = sum(1 for log in results if log.status == "sent")
        level = messages.SUCCESS if sent == len(results) else messages.WARNING
        self.message_user(request, f"{sent} of {len(results)} e-mails sent.", level)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email_enabled", "sms_enabled", "push_enabled", "updated_at"]
    list_filter = ["email_enabled", "sms_enabled", "push_enabled"]
    search_fields = ["=user__email", "=email"]
    raw_id_fields = ["user"]
