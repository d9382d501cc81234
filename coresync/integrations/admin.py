from django.contrib import admin

from .models import ExternalReference


@admin.register(ExternalReference)
class ExternalReferenceAdmin(admin.ModelAdmin):
    list_display = ("content_type", "object_id", "system", "kind", "external_id", "sync_state", "synced_at")
    list_filter = ("system", "kind", "sync_state")
    search_fields = ("external_id",)
    readonly_fields = [f.name for f in ExternalReference._meta.fields]

    def has_add_permission(self, request):
        return False
