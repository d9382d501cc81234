"""``/api/v1/manager/dashboard/`` (JSON, SPEC shape) and ``/api/v1/manager/dashboard.csv`` (the same figures as a table)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.accounts.permissions import IsManager
from coresync.analytics import selectors
from coresync.core.ratelimit import RateThrottle


class RangeSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


def window_from(request) -> selectors.Range:
    query = RangeSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    today = timezone.now().astimezone(selectors.spa_zone()).date()
    return selectors.dashboard_range(date_from=query.validated_data.get("date_from"), date_to=query.validated_data.get("date_to"),
                                     today=today)


def dashboard_csv(data: dict) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(selectors.dashboard_csv_rows(data))
    return out.getvalue()


class DashboardView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(summary="The manager's dashboard figures for a date range (default: the last 30 days)",
                   parameters=[RangeSerializer], responses={200: dict})
    def get(self, request):
        return Response(selectors.dashboard(window_from(request)))


class DashboardCsvView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(summary="The dashboard as CSV", parameters=[RangeSerializer], responses={(200, "text/csv"): str})
    def get(self, request):
        window = window_from(request)
        response = HttpResponse(dashboard_csv(selectors.dashboard(window)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dashboard-{window.date_from}-{window.date_to}.csv"'
        return response
