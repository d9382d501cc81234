"""The liveness probe, answered before the host is validated.

Platform health checkers (Render's, Docker's, a load balancer's) call ``GET /healthz`` over plain HTTP with a
``Host`` header of their own choosing (often an internal address not in ``ALLOWED_HOSTS``). Answered just
before ``CommonMiddleware`` (which validates the host) and exempt from the HTTPS redirect
(``SECURE_REDIRECT_EXEMPT``), the probe is never a 400 for the host nor a 301, keeps its request id and security
headers, and says only that the process serves: the same body as ``coresync.core.views.healthz``.
``/readyz`` (database, cache, providers) goes through the full stack.
"""

from __future__ import annotations

from django.http import JsonResponse

LIVENESS_PATH = "/healthz"


class LivenessProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == LIVENESS_PATH and request.method in ("GET", "HEAD"):
            return JsonResponse({"status": "ok"})
        return self.get_response(request)
