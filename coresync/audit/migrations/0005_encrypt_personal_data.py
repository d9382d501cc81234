"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_change_history_append_only_on_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="securityevent",
            name="actor_label_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="actor_label"),
        ),
        migrations.AlterField(
            model_name="securityevent",
            name="actor_label",
            field=coresync.core.fields.EncryptedCharField(
                blank=True,
                blind_index="actor_label_bidx",
                help_text="Who, when no account acted (a failed sign-in's name, a job).",
                index_kind="email",
                max_length=254,
            ),
        ),
        migrations.RunPython(
            encrypt_existing("audit", "securityevent"), decrypt_existing("audit", "securityevent", ["actor_label"])
        ),
    ]
