"""The dashboard: states, the funnel, timings, outbox health, requests per day."""

from __future__ import annotations

from flask import render_template, request

from api.admin import bp, svg
from api.composition import deps
from service.use_cases.admin_dashboard import dashboard_stats
from service.use_cases.admin_members import workspace_choices


@bp.route("/")
def dashboard() -> str:
    """Counts, funnel and outbox health, for all workspaces or one."""
    workspace_id = request.args.get("workspace") or None
    stats = dashboard_stats(deps(), workspace_id)
    return render_template(
        "admin/dashboard.html",
        stats=stats,
        funnel_chart=svg.funnel_svg(stats.funnel),
        per_day_chart=svg.per_day_svg(stats.per_day),
        workspaces=workspace_choices(deps()),
        workspace_id=workspace_id,
    )
