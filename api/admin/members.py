"""Members: search, a member's page, and the audited reveal of contact details."""

from __future__ import annotations

from flask import g, render_template, request

from api.admin import bp, filters
from api.composition import deps
from service.use_cases.admin_members import (
    member_detail,
    reveal_contact,
    search_members,
    workspace_choices,
)

MAX_QUERY = 200


@bp.route("/members")
def members() -> str:
    """Members whose name, email or external ref contains the search text."""
    q = request.args.get("q", "")[:MAX_QUERY]
    workspace_id = filters.optional_id("workspace", request.args.get("workspace"))
    page = search_members(deps(), q, workspace_id, request.args.get("cursor") or None)
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "admin/members.html",
        page=page,
        q=q,
        query=query,
        workspace_id=workspace_id,
        workspaces=workspace_choices(deps()),
    )


@bp.route("/members/<member_id>")
def member(member_id: str) -> str:
    """A member, contact details masked."""
    return render_template("admin/member.html", d=member_detail(deps(), member_id), contact=None)


@bp.route("/members/<member_id>/reveal", methods=["POST"])
def reveal(member_id: str) -> str:
    """Show the contact details in this response only; the reveal is audited first.

    Rendered directly (not redirect-then-GET) so the details never sit in the
    session cookie and any later visit shows them masked again.
    """
    contact = reveal_contact(deps(), g.admin.username, member_id)
    detail = member_detail(deps(), member_id)
    return render_template("admin/member.html", d=detail, contact=contact)
