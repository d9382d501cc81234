from django.contrib import admin
from django.utils.html import format_html

from .models import GalleryImage, LegalPage
from .services import gallery_image_render_variants


@admin.register(LegalPage)
class LegalPageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published", "updated_at"]
    list_editable = ["published"]


@admin.register(GalleryImage)
class GalleryImageAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "page", "alt", "position", "active"]
    list_display_links = ["thumbnail", "alt"]
    list_editable = ["position", "active"]
    list_filter = ["page", "active"]
    readonly_fields = ["width", "height", "variants"]

    @admin.display(description="Picture")
    def thumbnail(self, obj: GalleryImage):
        return format_html('<img src="{}" alt="" style="height:48px;width:auto">', obj.image.url) if obj.image else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data:
            gallery_image_render_variants(image=obj)
