"""The one base HTTP client for calls to the outside world: timeouts, error mapping, a log line per call.

Vendors whose official SDK does its own HTTP (Stripe, SendGrid, Google, QuickBooks)
map the SDK's errors onto the same ``ProviderError`` with ``ProviderError.from_status``.
"""

from __future__ import annotations

import logging
import time

import httpx

from coresync.core.errors import ProviderError

__all__ = ["BaseHttpClient", "ProviderError"]

logger = logging.getLogger("coresync.http")


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
            raise self.error_class(f"{self.provider} timed out", retryable=True, provider=self.provider) from error
        except httpx.HTTPError as error:
            raise self.error_class(f"{self.provider} unreachable: {error.__class__.__name__}", retryable=True, provider=self.provider) from error
        finally:
            elapsed = int((time.perf_counter() - started) * 1000)
            logger.info("provider=%s method=%s path=%s status=%s ms=%s", self.provider, method, path, status, elapsed)
        if response.status_code >= 400:
            raise self.error_class.from_status(self.provider, response.status_code)
        return response

    def close(self) -> None:
        self.client.close()
