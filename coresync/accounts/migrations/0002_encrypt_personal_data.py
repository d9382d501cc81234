"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={"ordering": ["date_joined", "id"]},
        ),
        migrations.AddField(
            model_name="user",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(kind="email", source="email"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="phone", source="phone"),
        ),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=coresync.core.fields.EncryptedEmailField(
                blind_index="email_bidx", index_kind="email", max_length=254, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="name",
            field=coresync.core.fields.EncryptedCharField(blank=True, max_length=150),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, blind_index="phone_bidx", index_kind="phone", max_length=32
            ),
        ),
        migrations.RunPython(
            encrypt_existing("accounts", "user"), decrypt_existing("accounts", "user", ["email", "name", "phone"])
        ),
        migrations.AlterField(
            model_name="user",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(kind="email", source="email", unique=True),
        ),
    ]
