"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.conf import settings
from django.db import migrations, models

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_waitlist_offer_and_payroll_report_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notificationpreference",
            name="preference_user_or_email",
        ),
        migrations.RemoveConstraint(
            model_name="notificationpreference",
            name="preference_unique_guest_email",
        ),
        migrations.AddField(
            model_name="emaillog",
            name="recipient_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="recipient"),
        ),
        migrations.AddField(
            model_name="notificationpreference",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(kind="email", source="email"),
        ),
        migrations.AlterField(
            model_name="emaillog",
            name="body_html",
            field=coresync.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="emaillog",
            name="body_text",
            field=coresync.core.fields.EncryptedTextField(
                blank=True, help_text="The stored message, for kinds rendered when queued."
            ),
        ),
        migrations.AlterField(
            model_name="emaillog",
            name="recipient",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, blind_index="recipient_bidx", index_kind="email", max_length=254
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="email",
            field=coresync.core.fields.EncryptedEmailField(
                blank=True,
                blind_index="email_bidx",
                help_text="For guests without an account.",
                index_kind="email",
                max_length=254,
            ),
        ),
        migrations.RunPython(
            encrypt_existing("notifications", "emaillog"),
            decrypt_existing("notifications", "emaillog", ["body_html", "body_text", "recipient"]),
        ),
        migrations.RunPython(
            encrypt_existing("notifications", "notificationpreference"),
            decrypt_existing("notifications", "notificationpreference", ["email"]),
        ),
        migrations.AddConstraint(
            model_name="notificationpreference",
            constraint=models.CheckConstraint(
                condition=models.Q(("user__isnull", False), models.Q(("email_bidx", ""), _negated=True), _connector="OR"),
                name="preference_user_or_email",
            ),
        ),
        migrations.AddConstraint(
            model_name="notificationpreference",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", True)), fields=("email_bidx",), name="preference_unique_guest_email"
            ),
        ),
    ]
