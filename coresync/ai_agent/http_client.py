"""One small base HTTP client for the concierge's outgoing calls: timeouts, error mapping, a log line per call.

(The integrations package may grow a shared ``integrations/common/http.py``;
this class is shaped so it can move there unchanged.)
"""

from __future__ import annotations

import logging
import time

import httpx

logger = logging.getLogger("coresync.http")


class ProviderError(Exception):
    """The provider could not be reached or refused the request."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class BaseHttpClient:
    provider = "http"
    error_class: type[ProviderError] = ProviderError

    def __init__(self, *, base_url: str, headers: dict | None = None, timeout: float = 5.0, transport=None):
        self.client = httpx.Client(
            base_url=base_url,
            headers=headers or {},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
        )

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        status = None
        try:
            response = self.client.request(method, path, **kwargs)
            status = response.status_code
        except httpx.TimeoutException as error:
            raise self.error_class(f"{self.provider} timed out", retryable=True) from error
        except httpx.HTTPError as error:
            raise self.error_class(f"{self.provider} unreachable: {error.__class__.__name__}", retryable=True) from error
        finally:
            elapsed = int((time.perf_counter() - started) * 1000)
            logger.info("provider=%s method=%s path=%s status=%s ms=%s", self.provider, method, path, status, elapsed)
        if response.status_code >= 400:
            retryable = response.status_code == 429 or response.status_code >= 500
            raise self.error_class(f"{self.provider} answered {response.status_code}", status=response.status_code, retryable=retryable)
        return response

    def close(self) -> None:
        self.client.close()
