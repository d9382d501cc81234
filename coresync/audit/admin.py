"""The security log and the change history in the admin: read-only, for managers; a "History" link for audited rows."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .models import ChangeRecord, SecurityEvent


def _is_manager(user) -> bool:
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", "") == "manager"))


class _ReadOnlyLog(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _is_manager(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return _is_manager(request.user) and super().has_module_permission(request)


@admin.register(SecurityEvent)
class SecurityEventAdmin(_ReadOnlyLog):
    list_display = ["created_at", "kind", "actor", "actor_label", "ip", "request_id"]
    list_filter = ["kind", "created_at"]
    search_fields = ["=actor_label", "ip", "request_id"]  # the label is encrypted: whole e-mail addresses match
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(_ReadOnlyLog):
    list_display = ["at", "content_type", "object_id", "action", "what_changed", "actor", "actor_label", "channel", "request_id"]
    list_filter = ["content_type", "action", "channel", "at"]
    search_fields = ["object_id", "parent_id", "request_id", "actor_label"]
    date_hierarchy = "at"
    list_select_related = ["content_type", "actor"]
    readonly_fields = [f.name for f in ChangeRecord._meta.fields] + ["what_changed"]

    def lookup_allowed(self, lookup, value, request=None):  # the History links filter by row and by parent row
        return lookup in ("object_id", "parent_type", "parent_id") or super().lookup_allowed(lookup, value, request)

    @admin.display(description="what changed")
    def what_changed(self, record: ChangeRecord):
        return format_html_join(
            "; ", "{}: {}", ((field, "(personal: not recorded)" if change.get("personal") else f"{change.get('old')} → {change.get('new')}")
                             for field, change in sorted(record.changes.items())),
        )  # fmt: skip


def history_url(obj, *, as_parent: bool = False) -> str:
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    url = reverse("admin:audit_changerecord_changelist")
    return f"{url}?parent_type={content_type.pk}&parent_id={obj.pk}" if as_parent else f"{url}?content_type={content_type.pk}&object_id={obj.pk}"


class AuditHistoryMixin:
    """Adds a read-only "Change history" field to a ModelAdmin: links to this row's changes (and its rows', for a parent)."""

    audit_children = ""  # e.g. "shifts, time off, work logs": shown when the changes of rows belonging to this one are linked too

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "change_history"] if obj is not None and _is_manager(request.user) else fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and _is_manager(request.user) and "change_history" not in fields:
            fields.append("change_history")
        return fields

    @admin.display(description="change history")
    def change_history(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        link = format_html('<a href="{}">History of this row</a>', history_url(obj))
        if self.audit_children:
            link = format_html('{} · <a href="{}">History of its {}</a>', link, history_url(obj, as_parent=True), self.audit_children)
        return link
