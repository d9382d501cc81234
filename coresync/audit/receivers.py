"""Into the security log: sign-ins, failures, lockouts, role and permission changes, password changes, API tokens.

Also the audit context of Celery tasks (channel ``task``, actor ``task:<name>``)."""

from __future__ import annotations

from contextlib import suppress

from axes.signals import user_locked_out
from celery.signals import task_postrun, task_prerun
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .context import Channel, reset_context, set_context
from .models import SecurityKind
from .services import security_event


@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender, request, user, **kwargs):
    security_event(SecurityKind.LOGIN, request=request, actor=user)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        security_event(SecurityKind.LOGOUT, request=request, actor=user)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username") or credentials.get("email") or "")
    security_event(SecurityKind.LOGIN_FAILED, request=request, actor_label=name)  # the name is encrypted at rest


@receiver(user_locked_out, dispatch_uid="audit.locked_out")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    # django-axes knows the address by its blind index only (accounts.security.login_username): the form has it.
    tried = request.POST.get("username", "") if request is not None and request.method == "POST" else ""
    security_event(SecurityKind.LOCKED_OUT, request=request, actor_label=str(tried or username or ""), detail={"ip": ip_address})


# --- roles, passwords and API tokens ------------------------------------------------------------------------------
ROLE_FIELDS = ("is_staff", "is_superuser", "role")


def _user_loaded(sender, instance, **kwargs):
    instance.__dict__["_audit_role"] = tuple(instance.__dict__.get(f) for f in ROLE_FIELDS)


def _user_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    now = tuple(instance.__dict__.get(f) for f in ROLE_FIELDS)
    before = instance.__dict__.get("_audit_role", now)
    instance.__dict__["_audit_role"] = now
    if created:
        if instance.is_staff or instance.is_superuser:
            security_event(SecurityKind.ROLE_CHANGE, detail={"user": instance.pk, "created": True,
                                                             "changes": {f: [None, v] for f, v in zip(ROLE_FIELDS, now, strict=True) if v}})
        return
    changed = {f: [old, new] for f, old, new in zip(ROLE_FIELDS, before, now, strict=True) if old != new and None not in (old, new)}
    if changed:
        security_event(SecurityKind.ROLE_CHANGE, detail={"user": instance.pk, "changes": changed})
    # ``set_password`` keeps the new raw password on ``_password`` until the save; a login's silent re-hash clears it first.
    if getattr(instance, "_password", None) is not None:
        security_event(SecurityKind.PASSWORD_CHANGE, detail={"user": instance.pk})


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    what = "groups" if sender is get_user_model().groups.through else "permissions"
    users = sorted(pk_set or []) if reverse else [instance.pk]
    targets = [instance.pk] if reverse else sorted(pk_set or [])
    security_event(SecurityKind.ROLE_CHANGE, detail={"users": users, what: {action.removeprefix("post_"): targets}})


def _token_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        security_event(SecurityKind.API_TOKEN, detail={"user": instance.user_id})


def connect_accounts() -> None:
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_init, post_save

    user = get_user_model()
    post_init.connect(_user_loaded, sender=user, dispatch_uid="audit.user-loaded")
    post_save.connect(_user_saved, sender=user, dispatch_uid="audit.user-saved")
    m2m_changed.connect(_groups_changed, sender=user.groups.through, dispatch_uid="audit.user-groups")
    m2m_changed.connect(_groups_changed, sender=user.user_permissions.through, dispatch_uid="audit.user-permissions")
    if apps.is_installed("rest_framework.authtoken"):  # the token and the admin's proxy of it (each save names its own class)
        for model in apps.get_app_config("authtoken").get_models():
            post_save.connect(_token_created, sender=model, dispatch_uid=f"audit.api-token-{model.__name__}")


# --- Celery tasks: the channel is "task", the actor the task's name ---------------------------------------------------
_task_tokens: dict[str, object] = {}


@task_prerun.connect(dispatch_uid="audit.task-start")
def _task_start(task_id=None, task=None, **kwargs):
    _task_tokens[task_id] = set_context(channel=Channel.TASK, actor=None, actor_label=f"task:{getattr(task, 'name', '')}"[:120],
                                        request=None, gather=None)


@task_postrun.connect(dispatch_uid="audit.task-end")
def _task_end(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        with suppress(ValueError):  # set in another context (a worker's pool thread): nothing to undo here
            reset_context(token)
