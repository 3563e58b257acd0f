"""The API object, its blueprints, and the OpenAPI document (served and committed)."""

from __future__ import annotations

import http
from typing import Any

import yaml
from flask import Flask, Response, jsonify
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api.problems import PROBLEM_MIMETYPE
from api.schemas.common import ProblemSchema

ACTING_MEMBER = {
    "name": "Acting-Member",
    "in": "header",
    "required": False,
    "description": "The member on whose behalf the app acts. Without it, the app acts as the "
    "workspace operator.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key and body returns the first response; the same "
    "key with another body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class VouchApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with errors documented and served as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        # api.errors registers the one handler for every error.
        pass

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def register_api(app: Flask) -> VouchApi:
    from api import introductions, members, relationships

    app.config.setdefault("OPENAPI_URL_PREFIX", None)
    api = VouchApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Consent-first introductions: the introducer consents, both "
                "sides opt in, and only then are contact details shared."
            },
        },
    )
    for module in (members, relationships, introductions):
        api.register_blueprint(module.blp)
    app.extensions["vouch_api"] = api

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        """The OpenAPI document of this API."""
        return jsonify(openapi_document(app))

    return api


def openapi_document(app: Flask) -> dict[str, Any]:
    api: VouchApi = app.extensions["vouch_api"]
    doc: dict[str, Any] = api.spec.to_dict()
    doc.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A workspace API key, as printed by `vouch workspace create`.",
    }
    doc["security"] = [{"bearer": []}]
    for path, operations in doc.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            if method == "parameters":
                continue
            params = operation.setdefault("parameters", [])
            params.append(ACTING_MEMBER)
            if method == "post":
                params.append(IDEMPOTENCY_KEY)
            operation.setdefault("responses", {}).setdefault(
                "401", {"$ref": "#/components/responses/UNAUTHORIZED"}
            )
    doc.setdefault("components", {}).setdefault("responses", {}).setdefault(
        "UNAUTHORIZED",
        {
            "description": "Missing, unknown or revoked API key",
            "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )
    return doc


def openapi_yaml(app: Flask) -> str:
    return yaml.safe_dump(openapi_document(app), sort_keys=True, allow_unicode=True)
