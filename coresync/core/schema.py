"""OpenAPI: every operation documents its 4xx answers in the one error shape (SPEC §4), in one place.

``AutoSchema`` (the ``DEFAULT_SCHEMA_CLASS``) adds to each operation the error
responses it can give, all referencing the ``Error`` component
``{"error": {"code", "message", "fields"}}``:

- 400 when it reads a body or query parameters (validation, malformed JSON),
- 401 when it authenticates (a bad token), 403 when it needs a permission or
  takes a session-authenticated unsafe request (CSRF),
- 404 when its path names an object, 406 always (JSON is the only answer),
- 409 and 413 when it changes state from a body,
- 429 when it is throttled.
"""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework import permissions, serializers

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

DESCRIPTIONS = {
    "400": "Validation failed or the body is not JSON (`validation_error`, `malformed_json`).",
    "401": "Credentials were given but are not valid (`authentication_failed`, `not_authenticated`).",
    "403": "Not allowed for this caller (`permission_denied`, CSRF failure, or a rule such as `outside_booking_window`).",
    "404": "No such object, or not one this caller may see (`not_found`, `booking_not_found`).",
    "409": "Conflicts with the current state (`slot_unavailable`, `cancellation_window_closed`, `invalid_booking_state`).",
    "406": "The `Accept` header asks for something other than JSON (`not_acceptable`).",
    "413": "The body is too large (`request_too_large`, `message_too_long`).",
    "429": "Too many requests; `Retry-After` says how many seconds to wait (`rate_limited`).",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="snake_case, stable: clients branch on it")
    message = serializers.CharField(help_text="for people")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), help_text="field → messages")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _open_to_everyone(view) -> bool:
    return all(isinstance(p, permissions.AllowAny) for p in view.get_permissions())


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for status in self.error_statuses(operation):
            response = responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            response.setdefault("content", {})["application/json"] = {"schema": error_ref}
        return operation

    def error_statuses(self, operation: dict) -> list[str]:
        view, unsafe = self.view, self.method in UNSAFE
        authenticators = view.get_authenticators()
        query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        statuses = {
            "400": unsafe or query,
            "401": bool(authenticators),
            "403": not _open_to_everyone(view) or (unsafe and bool(authenticators)),
            "404": "{" in self.path,
            "406": True,  # content negotiation: every operation answers JSON only
            "409": unsafe,
            "413": unsafe,
            "429": bool(view.get_throttles()),
        }
        return [status for status, applies in statuses.items() if applies]
