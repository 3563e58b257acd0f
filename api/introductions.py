"""/v1/introductions: requests and their consent, opt-in, decline and withdrawal."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.composition import deps
from api.idempotency import idempotent
from api.schemas.introductions import (
    EmptyIn,
    IntroductionIn,
    IntroductionListArgs,
    IntroductionOut,
    IntroductionPageOut,
    NoteIn,
)
from service.use_cases import introductions as intros

blp = Blueprint(
    "introductions",
    __name__,
    url_prefix="/v1/introductions",
    description="Introductions and their workflow",
)


@blp.route("")
class Introductions(MethodView):
    @blp.arguments(IntroductionListArgs, location="query")
    @blp.response(200, IntroductionPageOut)
    def get(self, args: dict[str, Any]) -> Any:
        """List the introductions the caller may see, newest first."""
        page = intros.list_introductions(deps(), current_actor(), **args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @idempotent
    @blp.arguments(IntroductionIn)
    @blp.response(201, IntroductionOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Ask an introducer for an introduction (the acting member is the requester)."""
        return intros.request_introduction(deps(), current_actor(), intros.NewRequest(**data))


@blp.route("/<string:intro_id>")
class IntroductionById(MethodView):
    @blp.response(200, IntroductionOut)
    def get(self, intro_id: str) -> Any:
        """Get an introduction as the caller may see it."""
        return intros.get_introduction(deps(), current_actor(), intro_id)


@blp.route("/<string:intro_id>/consent", methods=["POST"])
@idempotent
@blp.arguments(NoteIn)
@blp.response(200, IntroductionOut)
def consent(data: dict[str, Any], intro_id: str) -> Any:
    """The introducer agrees; `note` is passed on to the target."""
    return intros.consent(deps(), current_actor(), intro_id, data["note"])


@blp.route("/<string:intro_id>/decline", methods=["POST"])
@idempotent
@blp.arguments(NoteIn)
@blp.response(200, IntroductionOut)
def decline(data: dict[str, Any], intro_id: str) -> Any:
    """Say no; `note` is private to the introducer and never reaches the requester."""
    return intros.decline(deps(), current_actor(), intro_id, data["note"])


@blp.route("/<string:intro_id>/withdraw", methods=["POST"])
@idempotent
@blp.arguments(EmptyIn)
@blp.response(200, IntroductionOut)
def withdraw(_data: dict[str, Any], intro_id: str) -> Any:
    """The requester withdraws the request, any time before it is connected."""
    return intros.withdraw(deps(), current_actor(), intro_id)


@blp.route("/<string:intro_id>/opt-in", methods=["POST"])
@idempotent
@blp.arguments(EmptyIn)
@blp.response(200, IntroductionOut)
def opt_in(_data: dict[str, Any], intro_id: str) -> Any:
    """The requester or the target confirms; both confirmations connect them."""
    return intros.opt_in(deps(), current_actor(), intro_id)
