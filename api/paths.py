"""/v1/members/{id}/paths: who could introduce the member to someone."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.paths import PathArgs, PathsOut
from service.use_cases import paths

blp = Blueprint(
    "paths",
    __name__,
    url_prefix="/v1/members/<string:member_id>",
    description="Warm paths to a member",
)


@blp.route("/paths", methods=["GET"])
@blp.arguments(PathArgs, location="query")
@blp.response(200, PathsOut)
def get_paths(args: dict[str, Any], member_id: str) -> Any:
    """Who could introduce you to `to`, warmest first (act as the member themself)."""
    return paths.find_paths(deps(), current_actor(), member_id, args["to"], limit=args["limit"])
