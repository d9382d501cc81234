"""Sign-ins, sign-outs, failed sign-ins and lockouts into the security log."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
    security_event(SecurityKind.LOGIN_FAILED, request=request, actor_label=name, detail={"username": name})


@receiver(user_locked_out, dispatch_uid="audit.locked_out")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    security_event(SecurityKind.LOCKED_OUT, request=request, actor_label=str(username or ""), detail={"ip": ip_address})
