"""The HTTP layer: `create_app(config)` builds the Flask app around the domain."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from api import auth, errors, rate_limits, security_headers
from api.composition import EXTENSION, build_deps
from api.config import Config
from service.clock import Clock


class ConfigurationError(RuntimeError):
    """The service cannot start with this configuration."""


def create_app(
    config: type[Config] | dict[str, Any] | None = None, *, clock: Clock | None = None
) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("VOUCH_INSTANCE_PATH"))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.from_prefixed_env("VOUCH")
    _fill_defaults(app)

    app.extensions[EXTENSION] = build_deps(app, clock)
    errors.register(app)
    app.before_request(auth.authenticate_request)
    # After authentication: the limiter counts per API key (api.rate_limits).
    rate_limits.init_app(app)
    security_headers.register(app)

    from api.openapi import register_api

    register_api(app)
    # HTML pages outside the /v1 JSON API (not in openapi.yaml).
    from api import dev_mailbox, health, links, never_links

    health.register(app)

    links.register(app)
    never_links.register(app)
    dev_mailbox.register(app)
    from api import admin

    admin.init_app(app)
    return app


def _fill_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'vouch.db'}"
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV"] == "production":
            raise ConfigurationError(
                "VOUCH_SECRET_KEY is not set. In production the secret key signs every "
                "link and must be set explicitly (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')."
            )
        app.config["SECRET_KEY"] = _development_secret(instance)
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
    if isinstance(fallbacks, str):
        fallbacks = [k for k in fallbacks.split(",") if k]
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks


def _development_secret(instance: Path) -> str:
    """A random secret kept in the instance folder, so links survive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
