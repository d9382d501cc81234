from django.db import migrations


class Migration(migrations.Migration):
    """Vendor ids move to integrations.ExternalReference (none were written before the second wave)."""

    dependencies = [("bookings", "0003_booking_event")]

    operations = [
        migrations.RemoveField(model_name="booking", name="google_calendar_event_id"),
        migrations.RemoveField(model_name="booking", name="stripe_payment_intent_id"),
        migrations.RemoveField(model_name="booking", name="quickbooks_synced"),
    ]
