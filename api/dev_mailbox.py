"""The dev mailbox page: `/dev/mailbox`, on only in development without SMTP.

With no VOUCH_MAIL_SERVER, the worker "delivers" emails to the outbox rows
themselves (`delivered_via = "mailbox"`); this page lists them with their links
clickable, so one person can run the whole flow on one machine. It shows every
member's emails, contact details included, to whoever can open it: it is never
registered in production or when SMTP is configured.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, abort, render_template
from markupsafe import Markup, escape

from api.composition import deps
from api.mail import smtp_configured
from service.mailer import read_mailbox, read_mailbox_message

blp = Blueprint("dev_mailbox", __name__, url_prefix="/dev/mailbox", template_folder="templates")

URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escaped text with its http(s) URLs as links."""
    escaped = str(escape(text))
    return Markup(URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))  # noqa: S704 - input escaped above


@blp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("")
def inbox() -> str:
    """Every email delivered to the dev mailbox, newest first."""
    entries, waiting = read_mailbox(deps().session_factory)
    return render_template("dev_mailbox/inbox.html", entries=entries, waiting=waiting)


@blp.get("/<outbox_id>")
def message(outbox_id: str) -> str:
    """One email: its text with clickable links, and its HTML version."""
    entry = read_mailbox_message(deps().session_factory, outbox_id)
    if entry is None:
        abort(404)
    return render_template("dev_mailbox/message.html", entry=entry, body=linkify(entry.body_text))


@blp.get("/<outbox_id>/html")
def message_html(outbox_id: str) -> Response:
    """The HTML part of one email, as the recipient's mail client would get it."""
    entry = read_mailbox_message(deps().session_factory, outbox_id)
    if entry is None:
        abort(404)
    return Response(entry.body_html, mimetype="text/html")


def enabled(app: Flask) -> bool:
    return not smtp_configured(app) and app.config.get("ENV") != "production"


def register(app: Flask) -> None:
    if enabled(app):
        app.register_blueprint(blp)
