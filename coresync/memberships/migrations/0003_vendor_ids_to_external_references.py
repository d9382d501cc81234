from django.db import migrations


class Migration(migrations.Migration):
    """Vendor ids move to integrations.ExternalReference (none were written before the second wave)."""

    dependencies = [("memberships", "0002_membership_event")]

    operations = [
        migrations.RemoveField(model_name="membershiptier", name="stripe_price_id"),
        migrations.RemoveField(model_name="membership", name="stripe_customer_id"),
        migrations.RemoveField(model_name="membership", name="stripe_subscription_id"),
    ]
