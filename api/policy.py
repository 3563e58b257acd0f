"""/v1/members/{id}/policy and /reputation: a member's own rules and track record."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.policy import PolicyIn, PolicyOut, ReputationOut
from service.use_cases import policy, reputation

blp = Blueprint(
    "policy",
    __name__,
    url_prefix="/v1/members/<string:member_id>",
    description="A member's introducer policy and reputation (themself and the operator only)",
)


@blp.route("/policy")
class MemberPolicy(MethodView):
    @blp.response(200, PolicyOut)
    def get(self, member_id: str) -> Any:
        """The member's introducer policy (defaults when never set)."""
        return policy.get_policy(deps(), current_actor(), member_id)

    @blp.arguments(PolicyIn)
    @blp.response(200, PolicyOut)
    def put(self, data: dict[str, Any], member_id: str) -> Any:
        """Replace the member's introducer policy."""
        return policy.put_policy(deps(), current_actor(), member_id, data)


@blp.route("/reputation")
class MemberReputation(MethodView):
    @blp.response(200, ReputationOut)
    def get(self, member_id: str) -> Any:
        """The member's reputation as requester and as introducer."""
        return reputation.get_reputation(deps(), current_actor(), member_id)
