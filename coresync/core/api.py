"""Translate every API error into the contract's JSON shape, in one place."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
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


def _flatten(detail, prefix: str = "") -> dict:
    """DRF's nested ``ErrorDetail`` structure → ``{"guest.email": ["message", ...]}``."""
    if not isinstance(detail, dict):
        return {prefix or "non_field_errors": _messages(detail)}
    fields: dict = {}
    for key, value in detail.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            fields.update(_flatten(value, name))
        else:
            fields[name] = _messages(value)
    return fields


def _messages(value) -> list:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, messages in _flatten(value).items() for message in messages]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
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


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def bad_request(request, exception=None):
    """Django's 400s (a body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` among them, which is really a 413)."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body("request_too_large", "The request body is too large."), status=413)
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    from django.views import defaults

    return defaults.bad_request(request, exception)


def page_not_found(request, exception=None):
    """JSON for API clients, the site's 404 page for people."""
    if _wants_json(request):
        return json_404(request, exception)
    from django.views import defaults

    return defaults.page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return json_500(request)
    from django.views import defaults

    return defaults.server_error(request)
