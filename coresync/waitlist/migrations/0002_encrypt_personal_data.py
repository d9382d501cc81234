"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("waitlist", "0001_waitlist_entries_and_offers"),
    ]

    operations = [
        migrations.AddField(
            model_name="waitlistentry",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="email"),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="email",
            field=coresync.core.fields.EncryptedEmailField(blind_index="email_bidx", index_kind="email", max_length=254),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="name",
            field=coresync.core.fields.EncryptedCharField(max_length=150),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="phone",
            field=coresync.core.fields.EncryptedCharField(blank=True, max_length=32),
        ),
        migrations.RunPython(
            encrypt_existing("waitlist", "waitlistentry"),
            decrypt_existing("waitlist", "waitlistentry", ["email", "name", "phone"]),
        ),
    ]
