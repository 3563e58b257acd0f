"""Builds the domain's collaborators from the app config (the composition root)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app

from service.clock import Clock, SystemClock
from service.db import make_engine, make_session_factory
from service.deps import Deps
from service.settings import Settings
from service.tokens import ItsdangerousSigner

EXTENSION = "vouch"
ENGINE = "vouch_engine"


def build_deps(app: Flask, clock: Clock | None = None) -> Deps:
    cfg = app.config
    engine = make_engine(cfg["DATABASE_URL"])
    app.extensions[ENGINE] = engine
    keys = [*cfg.get("SECRET_KEY_FALLBACKS", []), cfg["SECRET_KEY"]]
    settings = Settings(
        base_url=cfg["BASE_URL"],
        open_request_cap=int(cfg["OPEN_REQUEST_CAP"]),
        consent_window=timedelta(days=float(cfg["CONSENT_DAYS"])),
        opt_in_window=timedelta(days=float(cfg["OPT_IN_DAYS"])),
    )
    return Deps(
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        signer=ItsdangerousSigner(keys),
        settings=settings,
    )


def deps() -> Deps:
    """The Deps of the running app."""
    value: Deps = current_app.extensions[EXTENSION]
    return value
