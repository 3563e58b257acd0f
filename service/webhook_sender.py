"""Sending one webhook over HTTP (stdlib only): the port and its real adapter."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    error: str | None


class WebhookSender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> HttpResult: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is an answer like any other non-2xx: retried later


class UrllibSender:
    """POSTs with a timeout and without following redirects."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect())

    def post(self, url: str, headers: dict[str, str], body: bytes) -> HttpResult:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - operator-configured http(s) URL, scheme checked at creation
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return HttpResult(int(response.status), None)
        except urllib.error.HTTPError as exc:
            return HttpResult(int(exc.code), f"HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return HttpResult(None, f"{type(exc).__name__}: {reason}"[:300])
