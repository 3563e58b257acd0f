"""/v1/members/{id}/inbox: what waits on the acting member, and what they wait on."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.inbox import InboxArgs, InboxOut
from service.use_cases import inbox

blp = Blueprint(
    "inbox",
    __name__,
    url_prefix="/v1/members/<string:member_id>",
    description="Each member's own list (acting as that member only)",
)


@blp.route("/inbox", methods=["GET"])
@blp.arguments(InboxArgs, location="query")
@blp.response(200, InboxOut)
def get_inbox(args: dict[str, Any], member_id: str) -> Any:
    """The acting member's own inbox: waiting on me, waiting on others, finished recently."""
    return inbox.get_inbox(deps(), current_actor(), member_id, days=args["days"])
