"""/v1/members: the people of a workspace."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.idempotency import idempotent
from api.schemas.members import (
    MemberIn,
    MemberListArgs,
    MemberOut,
    MemberPageOut,
    MemberPatchIn,
)
from service.use_cases import members

blp = Blueprint("members", __name__, url_prefix="/v1/members", description="Members of a workspace")


@blp.route("")
class Members(MethodView):
    @blp.arguments(MemberListArgs, location="query")
    @blp.response(200, MemberPageOut)
    def get(self, args: dict[str, Any]) -> Any:
        """List members, newest first (members acting see public profiles only)."""
        page = members.list_members(deps(), current_actor(), **args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @idempotent
    @blp.arguments(MemberIn)
    @blp.response(201, MemberOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a member to the workspace (operator only)."""
        return members.create_member(deps(), current_actor(), data)


@blp.route("/<string:member_id>")
class MemberById(MethodView):
    @blp.response(200, MemberOut)
    def get(self, member_id: str) -> Any:
        """Get a member; contact details only for whom they are meant."""
        return members.get_member(deps(), current_actor(), member_id)

    @blp.arguments(MemberPatchIn)
    @blp.response(200, MemberOut)
    def patch(self, data: dict[str, Any], member_id: str) -> Any:
        """Change a member's profile or contact details."""
        return members.update_member(deps(), current_actor(), member_id, data)
