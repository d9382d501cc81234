"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_booking_groups_share_a_room"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="customer_email_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="customer_email"),
        ),
        migrations.AddField(
            model_name="booking",
            name="customer_phone_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="phone", source="customer_phone"),
        ),
        migrations.AddField(
            model_name="bookinggroup",
            name="organiser_email_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="organiser_email"),
        ),
        migrations.AlterField(
            model_name="booking",
            name="customer_email",
            field=coresync.core.fields.EncryptedEmailField(blind_index="customer_email_bidx", index_kind="email", max_length=254),
        ),
        migrations.AlterField(
            model_name="booking",
            name="customer_name",
            field=coresync.core.fields.EncryptedCharField(max_length=150),
        ),
        migrations.AlterField(
            model_name="booking",
            name="customer_phone",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, blind_index="customer_phone_bidx", index_kind="phone", max_length=32
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="notes",
            field=coresync.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="actor_label",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, help_text="Who, when no account acted: a guest's e-mail, a job's name.", max_length=120
            ),
        ),
        migrations.AlterField(
            model_name="bookinggroup",
            name="organiser_email",
            field=coresync.core.fields.EncryptedEmailField(
                blind_index="organiser_email_bidx", index_kind="email", max_length=254
            ),
        ),
        migrations.AlterField(
            model_name="bookinggroup",
            name="organiser_name",
            field=coresync.core.fields.EncryptedCharField(max_length=150),
        ),
        migrations.AlterField(
            model_name="bookinggroup",
            name="organiser_phone",
            field=coresync.core.fields.EncryptedCharField(blank=True, max_length=32),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_body",
            field=coresync.core.fields.EncryptedJSONField(
                default=dict, help_text="The first answer (it names the guest): encrypted at rest."
            ),
        ),
        migrations.RunPython(
            encrypt_existing("bookings", "booking"),
            decrypt_existing("bookings", "booking", ["customer_email", "customer_name", "customer_phone", "notes"]),
        ),
        migrations.RunPython(
            encrypt_existing("bookings", "bookingevent"), decrypt_existing("bookings", "bookingevent", ["actor_label"])
        ),
        migrations.RunPython(
            encrypt_existing("bookings", "bookinggroup"),
            decrypt_existing("bookings", "bookinggroup", ["organiser_email", "organiser_name", "organiser_phone"]),
        ),
        migrations.RunPython(
            encrypt_existing("bookings", "idempotencykey"), decrypt_existing("bookings", "idempotencykey", ["response_body"])
        ),
    ]
