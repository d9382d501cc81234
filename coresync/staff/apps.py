from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The technicians' and the manager's side: hours, schedules and time off checked against bookings, payroll mail."""

    name = "coresync.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from coresync.notifications.sample import register_sample

        from .payroll_mail import KIND, sample_payroll_email

        register_sample(KIND, sample_payroll_email)
