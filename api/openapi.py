"""The API object, its blueprints, and the OpenAPI document (served and committed)."""

from __future__ import annotations

import copy
import http
from typing import Any

import yaml
from flask import Flask, Response, jsonify
from flask_smorest import Api, Blueprint
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
    from api import (
        feedback,
        inbox,
        introductions,
        members,
        no_go,
        paths,
        policy,
        privacy,
        relationships,
        target_preferences,
        webhooks,
    )

    app.config.setdefault("OPENAPI_URL_PREFIX", None)
    # webargs ignores unknown query parameters by default; let StrictSchema's RAISE
    # apply there too, so `?stat=open` (a typo) is a 422, not a silently wider answer.
    Blueprint.ARGUMENTS_PARSER.unknown = None
    api = VouchApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Consent-first introductions: the introducer consents, both "
                "sides opt in, and only then are contact details shared."
            },
        },
    )
    for module in (
        members,
        relationships,
        introductions,
        privacy,
        webhooks,
        feedback,
        policy,
        paths,
        inbox,
        target_preferences,
        no_go,
    ):
        api.register_blueprint(module.blp)
    app.extensions["vouch_api"] = api

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        """The OpenAPI document of this API."""
        return jsonify(openapi_document(app))

    return api


def openapi_document(app: Flask) -> dict[str, Any]:
    api: VouchApi = app.extensions["vouch_api"]
    # A deep copy: to_dict() hands out the spec's own lists, and the additions
    # below would otherwise pile up on every call (duplicate parameters).
    doc: dict[str, Any] = copy.deepcopy(api.spec.to_dict())
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
            _declare_no_nul(doc, operation)
    doc.setdefault("components", {}).setdefault("responses", {}).setdefault(
        "UNAUTHORIZED",
        {
            "description": "Missing, unknown or revoked API key",
            "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )
    return doc


NO_NUL = "^[^\\u0000]*$"


def _declare_no_nul(doc: dict[str, Any], operation: dict[str, Any]) -> None:
    """Input text may not hold a NUL (api.schemas.common.StrictSchema): the contract
    says so with a `pattern` on every string of request bodies and query parameters."""
    schemas = doc.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def mark(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                mark(item)
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[-1] not in seen:
            seen.add(ref.rsplit("/", 1)[-1])
            mark(schemas.get(ref.rsplit("/", 1)[-1]))
        if node.get("type") == "string" and not {"pattern", "enum", "format"} & set(node):
            node["pattern"] = NO_NUL
        for value in node.values():
            mark(value)

    mark(operation.get("requestBody"))
    for param in operation.get("parameters", []):
        if param.get("in") == "query":
            mark(param.get("schema"))


def openapi_yaml(app: Flask) -> str:
    return yaml.safe_dump(openapi_document(app), sort_keys=True, allow_unicode=True)
