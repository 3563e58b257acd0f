"""Introductions: the filtered list and one introduction's page."""

from __future__ import annotations

from flask import render_template, request

from api.admin import bp, filters
from api.composition import deps
from service.states import State
from service.use_cases.admin_introductions import (
    IntroFilter,
    introduction_detail,
    search_introductions,
)
from service.use_cases.admin_members import workspace_choices

STATES = [s.value for s in State]


@bp.route("/introductions")
def introductions() -> str:
    """Introductions across workspaces, newest first, filtered and paged by cursor."""
    args = request.args
    day_from = filters.optional_day("from", args.get("from"))
    day_to = filters.optional_day("to", args.get("to"))
    if day_from and day_to and day_to < day_from:
        raise filters.FilterError("The 'to' date is before the 'from' date.")
    wanted = IntroFilter(
        state=filters.optional_choice("state", args.get("state"), STATES),
        workspace_id=filters.optional_id("workspace", args.get("workspace")),
        member_id=filters.optional_id("member", args.get("member")),
        created_from=filters.day_start(day_from),
        created_before=filters.day_start(day_to, plus_days=1),
    )
    page = search_introductions(deps(), wanted, args.get("cursor") or None)
    query = {k: v for k, v in args.items() if k != "cursor" and v}
    return render_template(
        "admin/introductions.html",
        page=page,
        query=query,
        states=STATES,
        workspaces=workspace_choices(deps()),
    )


@bp.route("/introductions/<intro_id>")
def introduction(intro_id: str) -> str:
    """One introduction: where it stands, its timeline, risk and emails."""
    return render_template("admin/introduction.html", d=introduction_detail(deps(), intro_id))
