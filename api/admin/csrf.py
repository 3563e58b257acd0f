"""CSRF protection for the admin forms: a per-session token in every form.

The token lives in the (signed) session cookie and must come back as the
`csrf_token` form field on every POST; a missing or different token is refused
before the view runs. SameSite=Lax on the cookie is a second line, not the only one.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

SESSION_KEY = "csrf"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CSRFError(BadRequest):
    description = (
        "The form could not be accepted: its security token is missing or out of date. "
        "Go back, reload the page and try again."
    )


def token() -> str:
    """The session's token (created on first use); put it in every form."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def protect() -> None:
    """before_request: refuse an unsafe request without the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not sent:
        raise CSRFError()
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CSRFError()
