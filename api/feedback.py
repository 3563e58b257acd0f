"""/v1/introductions/{id}/feedback: how a connected introduction went."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.idempotency import idempotent
from api.schemas.feedback import FeedbackIn, FeedbackListOut, FeedbackOut
from service.use_cases import feedback

blp = Blueprint(
    "feedback",
    __name__,
    url_prefix="/v1/introductions",
    description="Feedback after an introduction connected",
)


@blp.route("/<string:intro_id>/feedback")
class IntroductionFeedback(MethodView):
    @idempotent
    @blp.arguments(FeedbackIn)
    @blp.response(200, FeedbackOut)
    def post(self, data: dict[str, Any], intro_id: str) -> Any:
        """Rate a connected introduction (requester or target; sending again replaces it)."""
        return feedback.give_feedback(
            deps(), current_actor(), intro_id, data["rating"], data["comment"]
        )

    @blp.response(200, FeedbackListOut)
    def get(self, intro_id: str) -> Any:
        """Feedback on the introduction: all for the operator, your own for a member."""
        return {"items": feedback.list_feedback(deps(), current_actor(), intro_id)}
