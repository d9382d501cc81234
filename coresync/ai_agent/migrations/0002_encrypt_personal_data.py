"""Personal data encrypted at rest (issue 16): the columns become Fernet tokens, found through blind indexes;
the rows already stored are encrypted here (and decrypted again if the migration is reversed)."""

from django.db import migrations

import coresync.core.fields
from coresync.core.pii import decrypt_existing, encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("ai_agent", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="caller_phone_bidx",
            field=coresync.core.fields.BlindIndexField(db_index=True, kind="phone", source="caller_phone"),
        ),
        migrations.AlterField(
            model_name="agentaction",
            name="actor",
            field=coresync.core.fields.EncryptedCharField(help_text="user:<id>, guest or caller:<number>.", max_length=80),
        ),
        migrations.AlterField(
            model_name="agentaction",
            name="entities",
            field=coresync.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="agentaction",
            name="message",
            field=coresync.core.fields.EncryptedTextField(help_text="The user's message, cleaned."),
        ),
        migrations.AlterField(
            model_name="agentaction",
            name="reply",
            field=coresync.core.fields.EncryptedJSONField(
                blank=True, default=dict, help_text="The messages sent back (text, cards, actions)."
            ),
        ),
        migrations.AlterField(
            model_name="atlaslog",
            name="caller",
            field=coresync.core.fields.EncryptedCharField(blank=True, max_length=32),
        ),
        migrations.AlterField(
            model_name="atlaslog",
            name="payload",
            field=coresync.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="atlaslog",
            name="raw_body",
            field=coresync.core.fields.EncryptedTextField(
                blank=True, help_text="Kept (truncated) only when the body could not be used."
            ),
        ),
        migrations.AlterField(
            model_name="atlaslog",
            name="reply",
            field=coresync.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="conversation",
            name="caller_phone",
            field=coresync.core.fields.EncryptedCharField(
                blank=True, blind_index="caller_phone_bidx", index_kind="phone", max_length=32
            ),
        ),
        migrations.AlterField(
            model_name="handoff",
            name="contact",
            field=coresync.core.fields.EncryptedCharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="handoff",
            name="last_message",
            field=coresync.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(
            encrypt_existing("ai_agent", "agentaction"),
            decrypt_existing("ai_agent", "agentaction", ["actor", "entities", "message", "reply"]),
        ),
        migrations.RunPython(
            encrypt_existing("ai_agent", "atlaslog"),
            decrypt_existing("ai_agent", "atlaslog", ["caller", "payload", "raw_body", "reply"]),
        ),
        migrations.RunPython(
            encrypt_existing("ai_agent", "conversation"), decrypt_existing("ai_agent", "conversation", ["caller_phone"])
        ),
        migrations.RunPython(
            encrypt_existing("ai_agent", "handoff"), decrypt_existing("ai_agent", "handoff", ["contact", "last_message"])
        ),
    ]
