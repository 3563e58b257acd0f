"""Rate limits per API key (Flask-Limiter).

- Key: the authenticated API key's prefix for /v1 requests; the client address
  for anything else (link pages, the OpenAPI document). The limiter runs after
  authentication, so a request with a bad key is refused (401) before it is
  counted: it costs one indexed lookup and changes nothing.
- Limit: `RATELIMIT_PER_KEY` (default "600 per minute"), per key, all endpoints
  together: one application-wide limit, one counter per request. (Not
  Flask-Limiter's own `RATELIMIT_DEFAULT`, which would add a second, per-route
  counter to every request.)
- Storage: memory by default (one process); set `VOUCH_RATELIMIT_STORAGE_URI`
  to a `redis://` URI when several processes serve the API, so they share counts.
- A breach is a 429 problem+json (api.errors) with `Retry-After` in seconds;
  every response carries X-RateLimit-Limit / -Remaining / -Reset.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

EXTENSION = "vouch_limiter"


def rate_limit_key() -> str:
    credential = g.get("credential")
    if credential is not None and request.path.startswith("/v1/"):
        return f"key:{credential.prefix}"
    return f"addr:{get_remote_address()}"


def init_app(app: Flask) -> Limiter:
    """One limiter per app (tests build many apps; each gets its own storage)."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "vouch")
    limiter = Limiter(
        key_func=rate_limit_key,
        # Application limits: one budget per key across every endpoint.
        application_limits=[app.config.get("RATELIMIT_PER_KEY", "600 per minute")],
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    return limiter
