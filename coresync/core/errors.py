"""One error hierarchy for the whole product.

Services raise these; the DRF exception handler (``coresync.core.api``) and the
WebSocket consumer translate them into the contract's JSON error shape::

    {"error": {"code": "slot_unavailable", "message": "...", "fields": {...}}}
"""

from __future__ import annotations


class ApplicationError(Exception):
    status_code = 400
    code = "invalid_request"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, fields: dict | None = None, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra = extra or {}
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message, "fields": self.fields}
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "validation_error"
    default_message = "Some fields are not valid."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = "You are not allowed to do that."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    default_message = "That time is no longer available."


class OutsideBookingWindow(PermissionDenied):
    code = "outside_booking_window"
    default_message = "That date is outside your booking window."


class CancellationWindowClosed(Conflict):
    code = "cancellation_window_closed"
    default_message = "Bookings can be changed online until 24 hours before the start. Please call the spa."


class InvalidBookingState(Conflict):
    code = "invalid_booking_state"
    default_message = "The booking cannot be changed in its current state."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request."


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests. Please wait a moment and try again."


class ProviderError(ApplicationError):
    """An outside system (mail, Atlas, Stripe, QuickBooks, Google, an LLM) could not do what we asked.

    ``retryable`` says whether trying again later can help (timeouts, connection
    errors, 429 and 5xx answers); the outbox and Celery retries read it. ``status``
    is the vendor's HTTP status, when it answered. Raised into a request it is a 503.
    """

    status_code = 503
    code = "provider_unavailable"
    default_message = "A service we depend on is not answering. Please try again shortly."

    def __init__(self, message: str | None = None, *, status: int | None = None, retryable: bool = False, provider: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.status = status
        self.retryable = retryable
        self.provider = provider

    @classmethod
    def from_status(cls, provider: str, status: int, detail: str = "") -> ProviderError:
        """The error for an HTTP answer ``status`` (>= 400) from ``provider``: 408/425/429/5xx are retryable."""
        retryable = status in (408, 425, 429) or status >= 500
        message = f"{provider} answered {status}" + (f": {detail}" if detail else "")
        return cls(message, status=status, retryable=retryable, provider=provider)


class RequestTooLarge(ApplicationError):
    status_code = 413
    code = "request_too_large"
    default_message = "The request body is too large."
