"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_payments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="providereventrecord",
            name="data",
            field=coresync.core.fields.EncryptedJSONField(
                blank=True, default=dict, help_text="The event's object (billing names and e-mails): encrypted at rest."
            ),
        ),
        migrations.RunPython(
            encrypt_existing("payments", "providereventrecord"), decrypt_existing("payments", "providereventrecord", ["data"])
        ),
    ]
