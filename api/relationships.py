"""/v1/members/{id}/relationships: a member's trust in the people they know."""

from __future__ import annotations

from typing import Any

from flask import make_response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.common import PageArgs
from api.schemas.members import RelationshipIn, RelationshipOut, RelationshipPageOut
from service.use_cases import members

blp = Blueprint(
    "relationships",
    __name__,
    url_prefix="/v1/members/<string:member_id>/relationships",
    description="Directed relationships and trust levels",
)


@blp.route("")
class Relationships(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, RelationshipPageOut)
    def get(self, args: dict[str, Any], member_id: str) -> Any:
        """List a member's own relationships (the operator, or the member)."""
        page = members.list_relationships(deps(), current_actor(), member_id, **args)
        return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/<string:other_id>")
class RelationshipByPair(MethodView):
    @blp.arguments(RelationshipIn)
    @blp.response(200, RelationshipOut)
    def put(self, data: dict[str, Any], member_id: str, other_id: str) -> Any:
        """Set how much the member trusts the other (creates or replaces)."""
        view, _created = members.put_relationship(
            deps(), current_actor(), member_id, other_id, data
        )
        return view

    @blp.response(200, RelationshipOut)
    def get(self, member_id: str, other_id: str) -> Any:
        """Get the member's relationship to the other."""
        return members.get_relationship(deps(), current_actor(), member_id, other_id)

    @blp.response(204)
    def delete(self, member_id: str, other_id: str) -> Any:
        """Remove the member's relationship to the other."""
        members.delete_relationship(deps(), current_actor(), member_id, other_id)
        return make_response("", 204)
