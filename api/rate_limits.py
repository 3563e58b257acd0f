"""Rate limits per API key.

- Key: the authenticated API key's prefix for /v1 requests; the client address
  for anything else (link pages, the OpenAPI document). The check runs after
  authentication, so a request with a bad key is refused (401) before it is
  counted: it costs one indexed lookup and changes nothing.
- Limit: `RATELIMIT_PER_KEY` (default "600 per minute"), per key, all endpoints
  together: one fixed window and one counter per key.
- Storage: in-process by default; set `VOUCH_RATELIMIT_STORAGE_URI` to a
  `redis://` URI when several processes serve the API, so they share counts
  (the `limits` library's Redis storage and fixed-window strategy).
- A breach is a 429 problem+json (api.errors) with `Retry-After` in seconds;
  every response carries X-RateLimit-Limit / -Remaining / -Reset (epoch seconds).

Why not Flask-Limiter, which this module used before: for one application-wide
limit it resolved its decorators, per-route defaults and exemptions on every
request, and its memory storage started a new expiry thread whenever the last
one had finished; together about a tenth of a consent's time in the profile
(bench/profile.py). This is the part of it Vouch uses.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

EXTENSION = "vouch_rate_limits"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    allowed: bool
    remaining: int
    reset_at: float  # epoch seconds


class Windows(Protocol):
    def hit(self, key: str, limit: RateLimitItem) -> Window: ...


class InProcessWindows:
    """Fixed windows in this process's memory (one process, or tests)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, key: str, limit: RateLimitItem) -> Window:
        now = time.time()
        length = limit.get_expiry()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now >= start + length:
                start, count = now, 0
            if count >= limit.amount:
                return Window(False, 0, start + length)
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 10_000 and now >= self._next_sweep:
                self._forget_expired(now, length)
            return Window(True, limit.amount - count - 1, start + length)

    def _forget_expired(self, now: float, length: float) -> None:
        """Drop the keys whose window ended; at most once per window length, so
        many clients at once do not make every request scan them all."""
        for key in [k for k, (start, _) in self._windows.items() if now >= start + length]:
            del self._windows[key]
        self._next_sweep = now + length


class SharedWindows:
    """Fixed windows in a shared store (Redis), through the `limits` library."""

    def __init__(self, uri: str, prefix: str) -> None:
        self._limiter = FixedWindowRateLimiter(storage_from_string(uri))
        self._prefix = prefix

    def hit(self, key: str, limit: RateLimitItem) -> Window:
        allowed = self._limiter.hit(limit, self._prefix, key)
        stats = self._limiter.get_window_stats(limit, self._prefix, key)
        return Window(allowed, stats.remaining, stats.reset_time)


@dataclass(frozen=True)
class RateLimits:
    limit: RateLimitItem
    windows: Windows


def rate_limit_key() -> str:
    credential = g.get("credential")
    if credential is not None and request.path.startswith("/v1/"):
        return f"key:{credential.prefix}"
    return f"addr:{request.remote_addr or 'unknown'}"


def check_rate_limit() -> None:
    """before_request hook, after authentication: count this request or refuse it.
    The liveness check (/healthz) is never limited: a load balancer must not be
    told a healthy process is down."""
    if request.path == "/healthz":
        return
    limits: RateLimits = current_app.extensions[EXTENSION]
    window = limits.windows.hit(rate_limit_key(), limits.limit)
    g.rate_window = window
    if not window.allowed:
        refused = TooManyRequests(description=str(limits.limit))
        retry_after = max(1, int(window.reset_at - time.time()) + 1)
        refused.data = {"headers": {"Retry-After": str(retry_after)}}  # type: ignore[attr-defined]
        raise refused


def add_headers(response: Response) -> Response:
    window: Window | None = g.get("rate_window")
    if window is not None:
        limits: RateLimits = current_app.extensions[EXTENSION]
        response.headers["X-RateLimit-Limit"] = str(limits.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(window.reset_at))
    return response


def per_key_limit(app: Flask) -> str:
    """`RATELIMIT_PER_KEY`; the setting's earlier name, `RATELIMIT_DEFAULT`, is
    still read (with a warning) so that a deployment that set it keeps its limit."""
    old = app.config.get("RATELIMIT_DEFAULT")
    if old:
        log.warning("VOUCH_RATELIMIT_DEFAULT is now VOUCH_RATELIMIT_PER_KEY; using its value")
        return str(old)
    return str(app.config.get("RATELIMIT_PER_KEY", "600 per minute"))


def init_app(app: Flask) -> None:
    """One set of windows per app (tests build many apps; each gets its own)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    uri = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    prefix = app.config.get("RATELIMIT_KEY_PREFIX", "vouch")
    windows: Windows = InProcessWindows() if uri == "memory://" else SharedWindows(uri, prefix)
    app.extensions[EXTENSION] = RateLimits(parse(per_key_limit(app)), windows)
    app.before_request(check_rate_limit)
    app.after_request(add_headers)
