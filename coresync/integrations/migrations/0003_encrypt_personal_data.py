"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_google_calendars_feeds_price_versions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mirroredcalendar",
            name="channel_token",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, help_text="Secret Google echoes in X-Goog-Channel-Token (encrypted at rest).", max_length=128
            ),
        ),
        migrations.RunPython(
            encrypt_existing("integrations", "mirroredcalendar"),
            decrypt_existing("integrations", "mirroredcalendar", ["channel_token"]),
        ),
    ]
