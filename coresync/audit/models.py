"""The security log and the change history: both append-only.

``SecurityEvent``: one row per act that matters to security (who, what, from where, which request).
``ChangeRecord``: one row per change to an audited row (payments, prices, schedules, work logs, settings):
who, when, through which channel, which request, and what changed (field: old → new; personal fields by name only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from coresync.core.fields import BlindIndexField, EncryptedCharField


class SecurityKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    REFUND = "refund", "Refund"
    EXPORT = "export", "Export of data"
    PRIVACY_EXPORT = "privacy_export", "Customer's data exported"
    PRIVACY_ERASE = "privacy_erase", "Customer's data erased"
    SETTINGS_CHANGE = "settings_change", "Settings changed"
    TOKEN_ROTATED = "token_rotated", "Token or key rotated"
    ROLE_CHANGE = "role_change", "Role or permissions changed"
    PASSWORD_CHANGE = "password_change", "Password changed or reset"
    API_TOKEN = "api_token", "API token created"
    INTEGRATION = "integration", "Integration connected or disconnected"


class AppendOnly(Exception):
    pass


class SecurityEvent(models.Model):
    kind = models.CharField(max_length=20, choices=SecurityKind.choices, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A failed sign-in's name is an e-mail address: encrypted at rest, found through its blind index.
    actor_label = EncryptedCharField(max_length=254, blank=True, blind_index="actor_label_bidx",
                                     help_text="Who, when no account acted (a failed sign-in's name, a job).")
    actor_label_bidx = BlindIndexField(source="actor_label", kind="email", db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.actor_label or self.actor_id} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("The security log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The security log is append-only.")


class ChangeAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"


class ChangeRecord(models.Model):
    """One change to one audited row. ``changes``: ``{"field": {"old": ..., "new": ...}}``, or ``{"field": {"personal": true}}``."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    parent_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text="The row it belongs to (a price's service, a shift's technician), for that row's history.")
    parent_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=8, choices=ChangeAction.choices)
    changes = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True, help_text="Who, when no account acted: stripe, sheet, task:<name>, system.")
    channel = models.CharField(max_length=40, db_index=True, help_text="web, api, admin, portal, chat, phone, webhook:<provider>, sheet, task, system.")
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "change record"
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="audit_change_object"),
            models.Index(fields=["parent_type", "parent_id", "at"], name="audit_change_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.content_type_id}:{self.object_id} · {self.channel} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("The change history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The change history is append-only.")
