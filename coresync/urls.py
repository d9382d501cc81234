from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from coresync.catalog.api.views import ServiceListView
from coresync.core import api as core_api
from coresync.core import views as core_views
from coresync.core.metrics import metrics_view

api_v1 = [
    path("services/", ServiceListView.as_view(), name="services"),
    path("", include("coresync.bookings.api.urls")),
    path("", include("coresync.payments.api.urls")),
    path("", include("coresync.staff.api.urls")),
    path("", include("coresync.analytics.api.urls")),
    path("", include("coresync.waitlist.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI inserts its own <style> elements: this page alone allows inline styles (scripts stay strict).
    path("api/docs/", csp_replace({"style-src": [SELF, "'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="swagger-ui"),
    path("", include("coresync.notifications.urls")),
    path("", include("coresync.payments.urls")),
    path("", include("coresync.calendars.urls")),
    path("", include("coresync.sheets.urls")),
    path("", include("coresync.ai_agent.urls")),
    path("", include("coresync.waitlist.urls")),
    path("", include("coresync.staff.urls")),  # /portal/, /manager/hours/ (issue 15)
    path("", include("coresync.analytics.urls")),  # /manager/ (issue 15)
    path("", include("coresync.web.urls")),
]

if settings.BENCH_ENDPOINTS:
    urlpatterns.append(path("bench/", include("bench.urls")))

handler400 = core_api.bad_request
handler404 = core_api.page_not_found
handler500 = core_api.server_error
