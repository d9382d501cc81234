from celery import shared_task

from . import payroll_mail


@shared_task(name="staff.payroll_email")
def payroll_email() -> str:
    return payroll_mail.payroll_email_enqueue()
