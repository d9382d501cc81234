"""The machine's floor, served only when ``settings.BENCH_ENDPOINTS`` is on.

- ``GET /bench/plain``: a plain ``HttpResponse`` (Django's request/response cycle under uvicorn, nothing else).
- ``GET /bench/one-query``: a DRF view that runs one small indexed query and renders JSON
  (the cheapest possible "real" API call: DRF dispatch, auth classes, one pooled DB round trip).
"""

from django.http import HttpResponse
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.catalog.models import Service


def plain(request):
    return HttpResponse(b"ok", content_type="text/plain")


class OneQueryView(APIView):
    permission_classes = [AllowAny]  # a benchmark floor, only with BENCH_ENDPOINTS

    def get(self, request):
        row = Service.objects.order_by("id").values("id", "slug", "duration_minutes").first()
        return Response({"service": row})
