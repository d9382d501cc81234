"""Price versions (who changed which price when, from where) and the health of the recurring syncs, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from coresync.integrations.models import PriceVersion, SyncHealth


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the price history is an audit trail


@admin.register(PriceVersion)
class PriceVersionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "source", "actor", "changes_count", "summary")
    list_filter = ("source", ("created_at", admin.DateFieldListFilter))
    search_fields = ("summary", "actor")
    date_hierarchy = "created_at"
    fields = ("created_at", "source", "actor", "summary", "changes_table")
    readonly_fields = fields

    @admin.display(description="changes")
    def changes_count(self, version: PriceVersion) -> int:
        return len(version.changes or [])

    @admin.display(description="what changed")
    def changes_table(self, version: PriceVersion):
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((c.get("item", ""), c.get("column", ""), c.get("old") or "—", c.get("new") or "—") for c in version.changes or []),
        )
        return format_html("<table><tr><th>Item</th><th>Column</th><th>Before</th><th>After</th></tr>{}</table>", rows)


@admin.register(SyncHealth)
class SyncHealthAdmin(ReadOnlyAdmin):
    list_display = ("name", "ok", "failing_since", "last_success_at", "notified_at", "short_error")
    list_filter = (("failing_since", admin.EmptyFieldListFilter),)
    fields = ("name", "failing_since", "last_success_at", "notified_at", "last_error")
    readonly_fields = fields

    @admin.display(description="ok", boolean=True)
    def ok(self, health: SyncHealth) -> bool:
        return health.failing_since is None

    @admin.display(description="last error")
    def short_error(self, health: SyncHealth) -> str:
        return health.last_error[:120]
