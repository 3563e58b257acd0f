"""Builds the domain's collaborators from the app config (the composition root)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from service.clock import Clock, SystemClock
from service.db import make_engine, make_session_factory
from service.deps import Deps
from service.settings import Settings
from service.suppression import derive_suppression_key
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
        feedback_window=timedelta(days=float(cfg["FEEDBACK_DAYS"])),
        decline_cooldown=timedelta(days=float(cfg["DECLINE_COOLDOWN_DAYS"])),
    )
    settings = replace(
        settings, link_max_age=_link_ages(cfg, settings), mail_domain=_mail_domain(cfg)
    )
    settings = replace(settings, suppression_keys=suppression_keys(cfg, keys))
    return Deps(
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        signer=ItsdangerousSigner(keys),
        settings=settings,
    )


def _link_ages(cfg: Any, settings: Settings) -> dict[str, timedelta]:
    ages = {"consent": settings.consent_window, "decline": settings.consent_window}
    for purpose in ("opt_in", "opt_out", "withdraw"):
        ages[purpose] = settings.opt_in_window
    for purpose, days in (cfg.get("LINK_MAX_AGE_DAYS") or {}).items():
        ages[purpose] = timedelta(days=float(days))
    return ages


def suppression_keys(cfg: Any, secret_keys: list[str]) -> tuple[bytes, ...]:
    """SUPPRESSION_KEY if set, else one key derived from each SECRET_KEY (service.suppression)."""
    if cfg.get("SUPPRESSION_KEY"):
        return (str(cfg["SUPPRESSION_KEY"]).encode(),)
    return tuple(derive_suppression_key(k) for k in secret_keys)


def _mail_domain(cfg: Any) -> str:
    if cfg.get("MAIL_DOMAIN"):
        return str(cfg["MAIL_DOMAIN"])
    sender = str(cfg.get("MAIL_DEFAULT_SENDER") or "")
    domain = sender.rpartition("@")[2].strip(" >")
    return domain or urlsplit(str(cfg["BASE_URL"])).hostname or "vouch.local"


def deps() -> Deps:
    """The Deps of the running app."""
    value: Deps = current_app.extensions[EXTENSION]
    return value
