"""Configuration classes. Every setting can be overridden by a `VOUCH_`-prefixed
environment variable (Flask's `from_prefixed_env`), e.g. `VOUCH_DATABASE_URL`."""

from __future__ import annotations

import os


class Config:
    # "development" (the embedded defaults) or "production" (secrets required).
    ENV = "development"
    # Default: a SQLite file in the instance folder (filled in by create_app).
    DATABASE_URL: str | None = None
    SECRET_KEY: str | None = None
    # Older keys, still accepted for signed links while they age out (rotation).
    SECRET_KEY_FALLBACKS: list[str] = []
    BASE_URL = "http://127.0.0.1:5000"
    OPEN_REQUEST_CAP = 5
    CONSENT_DAYS = 7
    OPT_IN_DAYS = 14
    FEEDBACK_DAYS = 30
    DECLINE_COOLDOWN_DAYS = 30
    # Per API key (api.rate_limits): in-process by default; set VOUCH_RATELIMIT_STORAGE_URI
    # (e.g. redis://host:6379/0) when more than one process serves the API.
    RATELIMIT_ENABLED = True
    RATELIMIT_PER_KEY = "600 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    # Email. No MAIL_SERVER: emails go to the dev mailbox (/dev/mailbox in development).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Vouch <no-reply@vouch.local>"
    # Seconds; Flask-Mail has no timeout of its own.
    MAIL_TIMEOUT = 15
    # CA bundle to verify a private SMTP relay's certificate (default: system CAs).
    MAIL_TLS_CA_FILE: str | None = None
    # Domain of Message-IDs (<outbox-{id}@domain>); default: the sender's domain.
    MAIL_DOMAIN: str | None = None
    # The outbox worker (`vouch worker`).
    WORKER_BATCH_SIZE = 50
    WORKER_LEASE_SECONDS = 300
    WORKER_MAX_ATTEMPTS = 12
    WORKER_POLL_SECONDS = 5
    WEBHOOK_TIMEOUT_SECONDS = 10
    WORKER_BACKOFF_BASE_SECONDS = 60
    WORKER_BACKOFF_MAX_SECONDS = 6 * 3600
    # Signed link lifetime per purpose in days, e.g. {"consent": 7}; a purpose left
    # out lives as long as its waiting state (consent/decline: CONSENT_DAYS, the
    # rest: OPT_IN_DAYS).
    LINK_MAX_AGE_DAYS: dict[str, float] = {}
    # Link pages (/l/<token>), per client address, in-process.
    LINK_RATE_LIMIT = 30
    LINK_RATE_WINDOW_SECONDS = 60
    # Admin page (/admin) session cookie: HttpOnly, SameSite=Lax; Secure when this is
    # true, or None (auto) and BASE_URL is https, or the request came over HTTPS.
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None
    ADMIN_SESSION_HOURS = 8
    MAX_CONTENT_LENGTH = 256 * 1024
    API_TITLE = "Vouch"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    JSON_SORT_KEYS = False
    TESTING = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    BASE_URL = "https://vouch.test"
    # Rate limits are tested on their own (tests/api/test_rate_limits.py).
    RATELIMIT_ENABLED = False


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
