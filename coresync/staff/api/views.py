"""Thin views of the staff API (SPEC §10.5): ``/api/v1/technicians/me/...`` for technicians, ``/api/v1/manager/...``.

A technician reaches only their own data (``IsTechnician`` + the row's owner);
a customer gets 403 everywhere; a technician on a manager path gets 403.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.accounts.permissions import IsManager, IsOwnerOrManager, IsTechnician
from coresync.bookings import services as booking_services
from coresync.bookings.models import Booking, EventChannel
from coresync.core.errors import NotFound, PermissionDenied
from coresync.core.ratelimit import RateThrottle, WriteRateThrottle
from coresync.staff import services
from coresync.technicians import services as technician_services
from coresync.technicians.models import ReviewStatus, TimeOff, WorkLog

from . import serializers as s


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _monday(day):
    return day - timedelta(days=day.weekday())


class TechnicianView(APIView):
    permission_classes = [IsTechnician]
    throttle_classes = [WriteRateThrottle]  # a technician's writes (hours, schedule, time off, closing a booking)
    throttle_scope = "staff"

    def technician(self, request):
        technician = services.technician_of(request.user)
        self.tz = ZoneInfo(technician.location.timezone)
        return technician


class MeView(TechnicianView):
    @extend_schema(summary="The signed-in technician", responses={200: dict})
    def get(self, request):
        technician = self.technician(request)
        hours = technician_services.week_hours(technician_id=technician.pk, monday=_monday(timezone.localdate()))
        return Response({
            "id": technician.pk, "name": technician.display_name,
            "skills": sorted(technician.skills.values_list("slug", flat=True)), "week_hours": str(hours),
        })


class MyBookingsView(TechnicianView):
    @extend_schema(summary="Own bookings between two dates (default: today and the next 6 days)", parameters=[s.DateRangeSerializer], responses={200: dict})
    def get(self, request):
        technician = self.technician(request)
        query = _valid(s.DateRangeSerializer, request.query_params)
        today = timezone.now().astimezone(self.tz).date()
        date_from = query.get("date_from") or today
        date_to = query.get("date_to") or date_from + timedelta(days=6)
        bookings = services.my_bookings(technician=technician, date_from=date_from, date_to=date_to)
        return Response({"bookings": [s.technician_booking_payload(b, self.tz) for b in bookings]})


class MyBookingCloseView(TechnicianView):
    outcome = "complete"

    @extend_schema(summary="Mark one of my bookings completed or a no-show", request=None, responses={200: dict})
    def post(self, request, reference):
        technician = self.technician(request)
        booking = Booking.objects.filter(reference=reference).first()
        if booking is None:
            raise NotFound("No such booking.")
        if booking.technician_id != technician.pk:
            raise PermissionDenied("This booking is not yours.")
        close = booking_services.booking_complete if self.outcome == "complete" else booking_services.booking_mark_no_show
        booking = close(booking=booking, actor=request.user, channel=EventChannel.WEB)
        return Response({"reference": booking.reference, "status": booking.status})


class MyWorkLogsView(TechnicianView):
    @extend_schema(summary="Own hours (this week and the 8 before)", parameters=[s.DateRangeSerializer], responses={200: dict})
    def get(self, request):
        technician = self.technician(request)
        query = _valid(s.DateRangeSerializer, request.query_params)
        today = timezone.localdate()
        logs = WorkLog.objects.filter(
            technician=technician, date__gte=query.get("date_from") or _monday(today) - timedelta(weeks=8),
            date__lte=query.get("date_to") or today,
        )
        return Response({"worklogs": [s.worklog_payload(log) for log in logs]})

    @extend_schema(summary="Log hours for a date", request=s.WorkLogCreateSerializer, responses={201: dict})
    def post(self, request):
        technician = self.technician(request)
        data = _valid(s.WorkLogCreateSerializer, request.data)
        if data.get("technician") not in (None, technician.pk):
            raise PermissionDenied("You can log only your own hours.")
        log = technician_services.worklog_create(
            technician=technician, day=data["date"], hours=data["hours"], note=data["note"], actor=request.user
        )
        return Response(s.worklog_payload(log), status=201)


class MyWorkLogView(APIView):
    permission_classes = [IsTechnician, IsOwnerOrManager]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "staff"
    owner_field = "technician.user"

    @extend_schema(summary="Change my pending hours", request=s.WorkLogUpdateSerializer, responses={200: dict})
    def patch(self, request, pk):
        log = WorkLog.objects.select_related("technician__user").filter(pk=pk).first()
        if log is None:
            raise NotFound("No such entry.")
        self.check_object_permissions(request, log)
        data = _valid(s.WorkLogUpdateSerializer, request.data)
        log = technician_services.worklog_update(worklog=log, actor=request.user, hours=data.get("hours"), note=data.get("note"))
        return Response(s.worklog_payload(log))


class MyScheduleView(TechnicianView):
    @extend_schema(summary="Own weekly shifts", responses={200: s.ShiftSerializer(many=True)})
    def get(self, request):
        return Response(services.schedule_of(self.technician(request)))

    @extend_schema(summary="Replace own weekly shifts (409 bookings_affected when a booking would lose its technician)",
                   request=s.ShiftSerializer(many=True), responses={200: s.ShiftSerializer(many=True)})
    def put(self, request):
        technician = self.technician(request)
        shifts = request.data.get("shifts") if isinstance(request.data, dict) else request.data
        services.schedule_replace(technician=technician, shifts=shifts)
        return Response(services.schedule_of(technician))


class MyTimeOffView(TechnicianView):
    @extend_schema(summary="Own time off (upcoming)", responses={200: dict})
    def get(self, request):
        technician = self.technician(request)
        rows = TimeOff.objects.filter(technician=technician, ends_at__gte=timezone.now() - timedelta(days=30))
        return Response({"time_off": [s.time_off_payload(t, self.tz) for t in rows]})

    @extend_schema(summary="Ask for time off (pending until a manager approves)", request=s.TimeOffCreateSerializer, responses={201: dict})
    def post(self, request):
        technician = self.technician(request)
        data = _valid(s.TimeOffCreateSerializer, request.data)
        time_off = services.time_off_request(
            technician=technician, starts_at=data["start"], ends_at=data["end"], reason=data["reason"], actor=request.user
        )
        return Response(s.time_off_payload(time_off, self.tz), status=201)


# --- Manager ----------------------------------------------------------------------------


def _status_filter(request) -> str | None:
    status = request.query_params.get("status")
    if status and status not in ReviewStatus.values:
        from coresync.core.errors import ValidationFailed

        raise ValidationFailed("Unknown status.", fields={"status": [f"One of {', '.join(ReviewStatus.values)}."]})
    return status


class ManagerWorkLogsView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(summary="Every technician's hours", parameters=[OpenApiParameter("status", str), s.DateRangeSerializer], responses={200: dict})
    def get(self, request):
        status = _status_filter(request)
        query = _valid(s.DateRangeSerializer, request.query_params)
        logs = WorkLog.objects.select_related("technician").order_by("-date", "technician__display_name")
        if status:
            logs = logs.filter(status=status)
        if query.get("date_from"):
            logs = logs.filter(date__gte=query["date_from"])
        if query.get("date_to"):
            logs = logs.filter(date__lte=query["date_to"])
        return Response({"worklogs": [s.worklog_payload(log, with_technician=True) for log in logs[:500]]})


class ManagerWorkLogReviewView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"
    approve = True

    @extend_schema(summary="Approve or reject a work log (audited)", request=s.ReviewSerializer, responses={200: dict})
    def post(self, request, pk):
        log = WorkLog.objects.filter(pk=pk).first()
        if log is None:
            raise NotFound("No such entry.")
        data = _valid(s.ReviewSerializer, request.data)
        log = technician_services.worklog_review(worklog=log, actor=request.user, approve=self.approve, reason=data["reason"])
        log = WorkLog.objects.select_related("technician").get(pk=log.pk)
        return Response(s.worklog_payload(log, with_technician=True))


class ManagerTimeOffView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(summary="Time-off requests", parameters=[OpenApiParameter("status", str)], responses={200: dict})
    def get(self, request):
        status = _status_filter(request)
        rows = TimeOff.objects.select_related("technician").filter(ends_at__gte=timezone.now() - timedelta(days=30))
        if status:
            rows = rows.filter(status=status)
        return Response({"time_off": [s.time_off_payload(t, with_technician=True) for t in rows[:500]]})


class ManagerTimeOffReviewView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"
    approve = True

    @extend_schema(summary="Approve (slots vanish at once; 409 bookings_affected) or reject a time off", request=s.ReviewSerializer, responses={200: dict})
    def post(self, request, pk):
        data = _valid(s.ReviewSerializer, request.data)
        time_off = services.time_off_review(time_off_id=pk, actor=request.user, approve=self.approve, reason=data["reason"])
        return Response(s.time_off_payload(TimeOff.objects.select_related("technician").get(pk=time_off.pk), with_technician=True))


class PayrollCsvView(APIView):
    permission_classes = [IsManager]
    throttle_classes = [RateThrottle]
    throttle_scope = "manager"

    @extend_schema(summary="Payroll for an ISO week: approved hours × hourly rate, per technician and total (CSV)",
                   parameters=[s.WeekSerializer], responses={(200, "text/csv"): str})
    def get(self, request):
        data = _valid(s.WeekSerializer, request.query_params)
        monday = technician_services.parse_week(data["week"])
        payroll = technician_services.payroll_for_week(monday=monday)
        response = HttpResponse(technician_services.payroll_csv(payroll), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payroll-{payroll.week}.csv"'
        return response
