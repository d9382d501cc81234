"""The security log: append-only, one row per act that matters to security (who, what, from where, which request)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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


class AppendOnly(Exception):
    pass


class SecurityEvent(models.Model):
    kind = models.CharField(max_length=20, choices=SecurityKind.choices, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True, help_text="Who, when no account acted (a failed sign-in's name, a job).")
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
