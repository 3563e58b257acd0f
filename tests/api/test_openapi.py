"""openapi.yaml is the true contract: generated from the code, committed, valid OpenAPI 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from api.openapi import openapi_yaml

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"
PROBLEM = "application/problem+json"


def test_the_committed_document_is_what_the_code_generates(app: Flask) -> None:
    assert COMMITTED.read_text() == openapi_yaml(app), "run `vouch openapi` and commit the result"


def test_the_document_is_valid_openapi_3(app: Flask) -> None:
    doc = yaml.safe_load(openapi_yaml(app))
    assert doc["openapi"].startswith("3.")
    validate(doc)


def test_the_served_document_is_the_committed_one(app: Flask, client: FlaskClient) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json == yaml.safe_load(openapi_yaml(app))


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _hash, *parts = node["$ref"].split("/")
        target: Any = doc
        for part in parts:
            target = target[part]
        node = target
    return node


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in doc["paths"].items():
        if path.startswith("/v1/"):
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    ops.append((method, path, op))
    return ops


def test_every_v1_operation_documents_its_errors_as_problem_json(app: Flask) -> None:
    doc = yaml.safe_load(openapi_yaml(app))
    operations = _operations(doc)
    assert len(operations) >= 15
    for method, path, op in operations:
        responses = op["responses"]
        errors = {code: _resolve(doc, r) for code, r in responses.items() if code[0] in "45"}
        assert "401" in errors, (method, path)
        assert any(code != "401" for code in errors) or "default" in responses, (method, path)
        for code, response in errors.items():
            assert PROBLEM in response.get("content", {}), (method, path, code)
        if "{" in path:
            assert "404" in errors or "default" in responses, (method, path)
        if method in ("post", "put", "patch"):
            assert "422" in errors or "default" in responses, (method, path)
        successes = [code for code in responses if code[0] == "2"]
        assert len(successes) == 1, (method, path, successes)


def test_the_problem_schema_names_every_member_of_the_error_shape(app: Flask) -> None:
    doc = yaml.safe_load(openapi_yaml(app))
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= problem["properties"].keys()
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])


def test_every_v1_operation_declares_bearer_auth_and_the_acting_member_header(app: Flask) -> None:
    doc = yaml.safe_load(openapi_yaml(app))
    assert doc["security"] == [{"bearer": []}]
    for method, path, op in _operations(doc):
        names = {p["name"] for p in op.get("parameters", [])}
        assert "Acting-Member" in names, (method, path)
        if method == "post":
            assert "Idempotency-Key" in names, (method, path)


def test_the_shapes_other_apps_code_against_are_documented(app: Flask) -> None:
    schemas = yaml.safe_load(openapi_yaml(app))["components"]["schemas"]
    member = schemas["MemberOut"]["properties"]
    assert {"id", "external_ref", "name", "headline", "contact"} <= member.keys()
    contact_ref = member["contact"].get("allOf", [member["contact"]])[0]
    contact = _resolve({"components": {"schemas": schemas}}, contact_ref)
    assert {"email", "phone", "links"} <= contact["properties"].keys()
    assert {"trust", "introducible", "context"} <= schemas["RelationshipIn"]["properties"].keys()
    request = schemas["IntroductionIn"]["properties"]
    assert {"introducer_id", "target_id", "reason", "blurb"} <= request.keys()
