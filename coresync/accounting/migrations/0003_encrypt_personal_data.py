"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0002_default_item"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountingcustomer",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(kind="email", source="email"),
        ),
        migrations.AddField(
            model_name="receipt",
            name="customer_email_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="email", source="customer_email"),
        ),
        migrations.AlterField(
            model_name="accountingcustomer",
            name="display_name",
            field=coresync.core.fields.EncryptedCharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="accountingcustomer",
            name="email",
            field=coresync.core.fields.EncryptedEmailField(
                blind_index="email_bidx", index_kind="email", max_length=254, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="receipt",
            name="body",
            field=coresync.core.fields.EncryptedJSONField(
                default=dict,
                help_text="The exact JSON QuickBooks receives (and the local ledger keeps); it names the guest: encrypted at rest.",
            ),
        ),
        migrations.AlterField(
            model_name="receipt",
            name="customer_email",
            field=coresync.core.fields.EncryptedEmailField(blind_index="customer_email_bidx", index_kind="email", max_length=254),
        ),
        migrations.RunPython(
            encrypt_existing("accounting", "accountingcustomer"),
            decrypt_existing("accounting", "accountingcustomer", ["display_name", "email"]),
        ),
        migrations.RunPython(
            encrypt_existing("accounting", "receipt"), decrypt_existing("accounting", "receipt", ["body", "customer_email"])
        ),
        migrations.AlterField(
            model_name="accountingcustomer",
            name="email_bidx",
            field=coresync.core.fields.BlindIndexField(kind="email", source="email", unique=True),
        ),
    ]
