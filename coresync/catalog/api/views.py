"""The public catalog: categories, services and add-ons with durations — never prices."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.catalog.selectors import CatalogSnapshot, catalog_snapshot


def media_url(name: str) -> str | None:
    return f"{settings.MEDIA_URL}{name}" if name else None


def catalog_payload(snapshot: CatalogSnapshot) -> dict:
    by_category: dict[int, list[dict]] = {}
    for service in snapshot.services.values():
        by_category.setdefault(service.category_id, []).append(
            {
                "slug": service.slug,
                "name": service.name,
                "duration_minutes": service.duration,
                "description": service.short_description or service.description,
                "image": media_url(service.image),
                "addons": [
                    {"slug": addon.slug, "name": addon.name, "extra_minutes": addon.extra_minutes}
                    for addon in (snapshot.addons[a] for a in service.addon_ids if a in snapshot.addons)
                ],
            }
        )
    return {
        "categories": [
            {
                "slug": category.slug,
                "name": category.name,
                "description": category.description,
                "image": media_url(category.image),
                "services": by_category[category.id],
            }
            for category in snapshot.categories.values()
            if category.id in by_category
        ]
    }


class ServiceListView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]  # the public catalog

    @extend_schema(
        summary="The public catalog (no prices)",
        responses=inline_serializer("Catalog", {"categories": serializers.ListField(child=serializers.DictField())}),
    )
    def get(self, request):
        return Response(catalog_payload(catalog_snapshot()))
