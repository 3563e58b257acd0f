"""/v1/members/{id}/target-preferences: a member's own rules for being introduced."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.target_preferences import TargetPreferencesIn, TargetPreferencesOut
from service.use_cases import target_preferences as prefs

blp = Blueprint(
    "target_preferences",
    __name__,
    url_prefix="/v1/members/<string:member_id>",
    description="A member's rules as a target (themself and the operator only)",
)


@blp.route("/target-preferences")
class TargetPreferences(MethodView):
    @blp.response(200, TargetPreferencesOut)
    def get(self, member_id: str) -> Any:
        """The member's preferences as a target (defaults when never set)."""
        return prefs.get_target_preferences(deps(), current_actor(), member_id)

    @blp.arguments(TargetPreferencesIn)
    @blp.response(200, TargetPreferencesOut)
    def put(self, data: dict[str, Any], member_id: str) -> Any:
        """Replace the member's preferences as a target."""
        return prefs.put_target_preferences(deps(), current_actor(), member_id, data)
