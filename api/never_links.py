"""The pages behind the one-tap "never" link: `/n/<token>` (GET shows, POST acts).

Same protections as the other link pages (api.links): the POST carries the
form's `csrf` HMAC and must be same-site; pages are not cached, not indexed and
send no referrer. Not part of the /v1 JSON API.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app, render_template, request

from api.composition import deps
from api.links import MAX_TOKEN_LENGTH, _headers, _limit, _same_site, csrf_for
from service.use_cases.never_links import NeverPage, act_on_never_link, open_never_link

blp = Blueprint("never_links", __name__, template_folder="templates")
blp.before_request(_limit)
blp.after_request(_headers)

STATUS = {"ready": 200, "done": 200, "kept": 200, "invalid": 404}


@blp.get("/n/<token>")
def show(token: str) -> Response:
    """Ask: never be introduced through this service again? Changes nothing."""
    if len(token) > MAX_TOKEN_LENGTH:
        return _page(NeverPage("invalid"), token)
    return _page(open_never_link(deps(), token), token)


@blp.get("/n/<token>/kept")
def kept(token: str) -> Response:
    """The "no" button: nothing changes."""
    return _page(NeverPage("kept"), token)


@blp.post("/n/<token>")
def act(token: str) -> Response:
    """Put the address on the suppression list."""
    if len(token) > MAX_TOKEN_LENGTH:
        return _page(NeverPage("invalid"), token)
    if not _same_site() or not hmac.compare_digest(request.form.get("csrf", ""), csrf_for(token)):
        html = render_template(
            "links/error.html",
            product=_product(),
            title="This form did not come from us",
            message="Open the link from your email again and use the button there.",
        )
        return Response(html, status=403, mimetype="text/html")
    return _page(act_on_never_link(deps(), token), token)


def _product() -> str:
    return str(current_app.config.get("API_TITLE", "Vouch"))


def _page(page: NeverPage, token: str) -> Response:
    html = render_template(
        "never/page.html", page=page, token=token, csrf=csrf_for(token), product=_product()
    )
    return Response(html, status=STATUS[page.status], mimetype="text/html")


def register(app: Flask) -> None:
    app.register_blueprint(blp)
