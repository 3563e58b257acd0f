"""Data protection endpoints: export, erasure, and the disclosure log of a member."""

from __future__ import annotations

from typing import Any

from flask import make_response
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.schemas.common import PageArgs
from api.schemas.privacy import AuditEventPageOut, MemberExportOut
from service.use_cases import privacy

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/v1/members",
    description="Export and erasure of a member's data; who saw their contact details",
)


@blp.route("/<string:member_id>/export", methods=["GET"])
@blp.response(200, MemberExportOut)
def export(member_id: str) -> Any:
    """Everything held about a member, as JSON (the operator, or the member themself)."""
    return privacy.export_member(deps(), current_actor(), member_id)


@blp.route("/<string:member_id>", methods=["DELETE"])
@blp.response(204)
def erase(member_id: str) -> Any:
    """Erase a member's personal data; their introductions stay only as anonymised counts."""
    privacy.erase_member(deps(), current_actor(), member_id)
    return make_response("", 204)


@blp.route("/<string:member_id>/disclosures", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, AuditEventPageOut)
def disclosures(args: dict[str, Any], member_id: str) -> Any:
    """Who saw the member's contact details, when and through which channel (operator)."""
    page = privacy.list_disclosures(deps(), current_actor(), member_id, **args)
    return {"items": page.items, "next_cursor": page.next_cursor}
