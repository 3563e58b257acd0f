"""The pages behind signed email links: `/l/<token>`.

GET (and HEAD) only show the page; the POST from its form acts. Mail scanners
and link previews fetch links before people do, so nothing happens on GET.

The POST must carry the form's `csrf` field, an HMAC of the link token under the
app's secret key, and must not come from another site (`Origin` other than
VOUCH_BASE_URL's, or `Sec-Fetch-Site: cross-site`). Every outcome is an HTML
page; a dead link shows the introduction's current state and changes nothing.

Pages send `Referrer-Policy: no-referrer` (the token is in the URL) and
`Cache-Control: no-store`. Tokens are never logged: `redact()` is what the
request log uses. Link pages are rate-limited per client address with a small
in-process limiter (`LinkRateLimiter`): each process counts on its own, so with
several processes the effective limit multiplies; api.rate_limits' Redis
windows could replace it. Behind a proxy, set up ProxyFix so `remote_addr` is the client's.

This blueprint is not part of the /v1 JSON API and not in openapi.yaml.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from api.composition import deps
from service.use_cases.fresh_links import request_fresh_link
from service.use_cases.links import LinkPage, LinkStatus, act_on_link, open_link

log = logging.getLogger(__name__)

blp = Blueprint("links", __name__, template_folder="templates")

MAX_TOKEN_LENGTH = 512
MAX_NOTE_LENGTH = 2000
TOKEN_IN_PATH = re.compile(r"/l/[^/?\s]+")
LIMITER = "vouch_link_rate_limiter"

STATUS_CODES = {
    LinkStatus.READY: 200,
    LinkStatus.DONE: 200,
    LinkStatus.ALREADY_DONE: 409,
    LinkStatus.SUPERSEDED: 409,
    LinkStatus.EXPIRED: 410,
    LinkStatus.INVALID: 404,
}


def redact(text: str) -> str:
    """`text` with any link token replaced, for logs."""
    return TOKEN_IN_PATH.sub("/l/[token]", text)


class LinkRateLimiter:
    """At most `limit` requests per `window` seconds per client address (sliding)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """0 if this request may go ahead (and counts it), else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(address, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, int(hits[0] + self.window - now) + 1)
            hits.append(now)
            if len(self._hits) > 10_000:
                self._forget_idle(now)
            return 0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


def csrf_for(token: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"vouch.link.csrf:" + token.encode(), hashlib.sha256).hexdigest()


@blp.before_request
def _limit() -> Response | None:
    limiter: LinkRateLimiter = current_app.extensions[LIMITER]
    wait = limiter.retry_after(request.remote_addr or "unknown")
    if wait:
        response = _render(
            "error.html",
            429,
            title="Too many requests",
            message="Please wait a moment and try the link again.",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    return None


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@blp.get("/l/<token>")
def show(token: str) -> Response:
    """The page for a link: who, what, and the buttons. Changes nothing."""
    if len(token) > MAX_TOKEN_LENGTH:
        return _page(LinkPage(status=LinkStatus.INVALID))
    return _page(open_link(deps(), token), token=token)


@blp.post("/l/<token>")
def act(token: str) -> Response:
    """The button on a link page: acts once, through the same use cases as the API."""
    if len(token) > MAX_TOKEN_LENGTH:
        return _page(LinkPage(status=LinkStatus.INVALID))
    if not _same_site() or not hmac.compare_digest(request.form.get("csrf", ""), csrf_for(token)):
        return _render(
            "error.html",
            403,
            title="This form did not come from us",
            message="Open the link from your email again and use the button there.",
        )
    note = (request.form.get("note") or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        page = open_link(deps(), token)
        return _page(
            page,
            status=422,
            error=f"Please keep the note under {MAX_NOTE_LENGTH} characters.",
            note=note,
        )
    return _page(act_on_link(deps(), token, note), token=token)


@blp.post("/l/<token>/fresh")
def fresh(token: str) -> Response:
    """Email a fresh link to the address on file; the same answer whether or not one went."""
    if len(token) > MAX_TOKEN_LENGTH:
        return _page(LinkPage(status=LinkStatus.INVALID))
    if not _same_site() or not hmac.compare_digest(request.form.get("csrf", ""), csrf_for(token)):
        return _render(
            "error.html",
            403,
            title="This form did not come from us",
            message="Open the link from your email again and use the button there.",
        )
    request_fresh_link(deps(), token)
    return _render("fresh_sent.html", 200)


def _same_site() -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    base = urlsplit(current_app.config["BASE_URL"])
    return origin == f"{base.scheme}://{base.netloc}"


def _page(page: LinkPage, *, status: int | None = None, **extra: Any) -> Response:
    context: dict[str, Any] = {"page": page, "csrf_for": csrf_for, **extra}
    template = "ask.html" if page.status is LinkStatus.READY else "result.html"
    return _render(template, status or STATUS_CODES[page.status], **context)


def _render(template: str, status: int, **context: Any) -> Response:
    product = current_app.config.get("API_TITLE", "Vouch")
    html = render_template(f"links/{template}", product=product, **context)
    return Response(html, status=status, mimetype="text/html")


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    return _render(
        "error.html",
        status,
        title=error.name,
        message="That did not work. Open the link from your email again.",
    )


@blp.errorhandler(OperationalError)
def _database_down(error: OperationalError) -> Response:
    log.warning("link page: database unavailable (%s)", type(error.orig).__name__)
    response = _render(
        "error.html",
        503,
        title="Please try again in a minute",
        message="We could not reach our database. Nothing was changed.",
    )
    response.headers["Retry-After"] = "30"
    return response


@blp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    # The message and traceback never include the URL, so the token stays out of logs.
    log.error("link page failed on %s", redact(request.path), exc_info=error)
    return _render(
        "error.html",
        500,
        title="Something went wrong",
        message="Nothing was changed. Please try the link again later.",
    )


def register(app: Flask) -> None:
    app.extensions[LIMITER] = LinkRateLimiter(
        int(app.config["LINK_RATE_LIMIT"]), float(app.config["LINK_RATE_WINDOW_SECONDS"])
    )
    app.register_blueprint(blp)
