"""/v1/members/{id}/no-go: targets an introducer never introduces anyone to."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.no_go import NoGoListOut, NoGoOut
from service.use_cases import no_go

blp = Blueprint(
    "no_go",
    __name__,
    url_prefix="/v1/members/<string:member_id>/no-go",
    description="An introducer's no-go list (themself and the operator only)",
)


@blp.route("")
class NoGoList(MethodView):
    @blp.response(200, NoGoListOut)
    def get(self, member_id: str) -> Any:
        """The introducer's no-go list."""
        return no_go.list_no_go(deps(), current_actor(), member_id)


@blp.route("/<string:target_id>")
class NoGoEntry(MethodView):
    @blp.response(200, NoGoOut)
    def put(self, member_id: str, target_id: str) -> Any:
        """Never introduce anyone to this target."""
        return no_go.add_no_go(deps(), current_actor(), member_id, target_id)

    @blp.response(204)
    def delete(self, member_id: str, target_id: str) -> None:
        """Take this target off the no-go list."""
        no_go.remove_no_go(deps(), current_actor(), member_id, target_id)
