"""The outbox: failed and waiting messages; retry or discard a failed one."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.admin import bp, filters
from api.composition import deps
from service.use_cases.admin_outbox import (
    EMAIL_STATUSES,
    KINDS,
    WEBHOOK_STATUSES,
    discard_message,
    list_outbox,
    retry_message,
)


@bp.route("/outbox")
def outbox() -> str:
    """Emails or webhook deliveries of one status (failed emails by default), newest first."""
    kind = filters.optional_choice("kind", request.args.get("kind"), list(KINDS)) or "email"
    statuses = WEBHOOK_STATUSES if kind == "webhook" else EMAIL_STATUSES
    status = filters.optional_choice("status", request.args.get("status"), list(statuses))
    status = status or "failed"
    page = list_outbox(deps(), status, kind, request.args.get("cursor") or None)
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "admin/outbox.html",
        page=page,
        status=status,
        kind=kind,
        statuses=statuses,
        kinds=KINDS,
        query=query,
    )


def _back() -> Response:
    return redirect(_safe_back(request.form.get("back")))


def _safe_back(target: str | None) -> str:
    if target and target.startswith("/admin/") and "//" not in target and "\\" not in target:
        return target
    return url_for("admin.outbox")


@bp.route("/outbox/<message_id>/retry", methods=["POST"])
def outbox_retry(message_id: str) -> Response:
    """Queue a failed message again, due now."""
    retry_message(deps(), g.admin.username, message_id)
    flash("The message is queued again; the worker will send it shortly.")
    return _back()


@bp.route("/outbox/<message_id>/discard", methods=["POST"])
def outbox_discard(message_id: str) -> Response:
    """Cancel a failed message for good."""
    discard_message(deps(), g.admin.username, message_id)
    flash("The message was discarded; it will not be sent.")
    return _back()
