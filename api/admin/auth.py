"""Signing in and out of the admin page."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.admin import bp, session_auth
from api.composition import deps
from service.errors import Unauthenticated
from service.use_cases import admin_users
from service.use_cases.admin_users import SignInThrottled


def _safe_next(target: str | None) -> str:
    """Only a path inside the admin page (never another site) is followed after sign-in."""
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return url_for("admin.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int] | str:
    """The sign-in form; on success a fresh session and a redirect to where the admin was going."""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.admin is not None:
            return redirect(next_url)
        return render_template("admin/sign_in.html", next_url=next_url, username="", error=None)
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    try:
        admin = admin_users.sign_in(deps(), username, password, request.remote_addr or "unknown")
    except (Unauthenticated, SignInThrottled) as exc:
        page = render_template(
            "admin/sign_in.html", next_url=next_url, username=username[:80], error=exc.detail
        )
        if isinstance(exc, SignInThrottled):
            retry_after = str(max(1, int(exc.retry_after.total_seconds())))
            return Response(page, 429, {"Retry-After": retry_after}, mimetype="text/html")
        return page, 401
    session_auth.start(admin)
    return redirect(next_url)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """End the session."""
    admin_users.sign_out(deps(), g.admin.username)
    session_auth.end()
    return redirect(url_for("admin.sign_in"))
