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


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
