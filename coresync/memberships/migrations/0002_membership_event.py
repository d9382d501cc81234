import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("memberships", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MembershipEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("from_status", models.CharField(blank=True, choices=[("active", "Active"), ("past_due", "Past due"), ("cancelled", "Cancelled")], max_length=16)),
                ("to_status", models.CharField(choices=[("active", "Active"), ("past_due", "Past due"), ("cancelled", "Cancelled")], max_length=16)),
                ("actor_label", models.CharField(blank=True, max_length=120)),
                ("channel", models.CharField(help_text="web, admin, payment (the payment provider), system (a scheduled job)", max_length=10)),
                ("reason", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("membership", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="events", to="memberships.membership")),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
    ]
