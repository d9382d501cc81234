"""Translate every API error into the contract's JSON shape, in one place."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .errors import ApplicationError

_DRF_CODES: list[tuple[type[Exception], str]] = [
    (drf.ParseError, "malformed_json"),
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "authentication_failed"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "rate_limited"),
    (drf.ValidationError, "validation_error"),
]


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict:
    """DRF's nested ``ErrorDetail`` structure → ``{"field": ["message", ...]}``."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list | dict:
    if isinstance(value, dict):
        return {str(k): _messages(v) for k, v in value.items()}
    if isinstance(value, list):
        out: list = []
        for item in value:
            flat = _messages(item)
            out.extend(flat) if isinstance(flat, list) else out.append(flat)
        return out
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if not isinstance(exc, drf.APIException):
        return None
    set_rollback()
    code = next((code for kind, code in _DRF_CODES if isinstance(exc, kind)), "invalid_request")
    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        message = "Some fields are not valid."
    else:
        fields = {}
        message = str(exc.detail)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait))
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_500(request):
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
