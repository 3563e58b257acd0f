"""The admin web page at /admin: server-rendered Jinja, no JavaScript needed.

Outside /v1 and the OpenAPI document; operators sign in with a username and
password (`vouch admin create`), not an API key. Views are split by page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from api.admin import csrf, session_auth
from api.errors import STATUS_BY_ERROR
from service import errors as domain

bp = Blueprint("admin", __name__, url_prefix="/admin")
PUBLIC_ENDPOINTS = frozenset({"admin.sign_in"})


class AdminSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, or when the request came over
    HTTPS (behind a proxy, trust its headers with werkzeug's ProxyFix)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return configured or (has_request_context() and request.is_secure)


@bp.before_request
def _guard() -> BaseResponse | None:
    csrf.protect()
    g.admin = session_auth.current_admin()
    if g.admin is None and request.endpoint not in PUBLIC_ENDPOINTS:
        target = request.full_path if request.method == "GET" else url_for("admin.dashboard")
        return redirect(url_for("admin.sign_in", next=target.rstrip("?")))
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    # Admin pages show personal data (and, once, keys and contacts): never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("admin_dt")
def _format_datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


@bp.app_template_filter("admin_duration")
def _format_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@bp.context_processor
def _context() -> dict[str, Any]:
    return {"csrf_token": csrf.token, "admin": g.get("admin"), "mailbox_url": _mailbox_url()}


def _mailbox_url() -> str | None:
    """The dev mailbox page, when the running app has one (only in that mode)."""
    if "dev_mailbox.inbox" in current_app.view_functions:
        return url_for("dev_mailbox.inbox")
    return None


def _error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("admin/error.html", status=status, title=title, detail=detail), status


@bp.errorhandler(domain.DomainError)
def _domain_error(error: domain.DomainError) -> tuple[str, int]:
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(error, cls)), 400)
    return _error_page(status, error.title, error.detail)


@bp.errorhandler(DataError)
def _unstorable(error: DataError) -> tuple[str, int]:
    # The database refused a value (a NUL character on PostgreSQL): the input's fault.
    return _error_page(
        400,
        "Bad request",
        "A value in this request cannot be stored or looked up (for example a NUL character).",
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    return _error_page(status, error.name, error.description or error.name)


def init_app(app: Flask) -> None:
    """Register the admin page: cookie settings, the session interface, the views."""
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = (
            str(app.config.get("BASE_URL", "")).startswith("https://")
            or app.config.get("PREFERRED_URL_SCHEME") == "https"
        )
    hours = float(app.config.get("ADMIN_SESSION_HOURS", 8))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    app.session_interface = AdminSessionInterface()

    # Importing the page modules attaches their views to `bp`.
    from api.admin import auth, dashboard, introductions, members, outbox, workspaces  # noqa: F401

    app.register_blueprint(bp)
