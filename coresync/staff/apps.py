from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The technicians' and the manager's side: hours, schedules and time off checked against bookings, payroll mail."""

    name = "coresync.staff"
    label = "staff"
    verbose_name = "Staff"
