"""Contract fuzzing: schemathesis drives every operation of the OpenAPI document
against the in-process WSGI app, with a real API key, and checks that nothing
answers 5xx, every response conforms to the document, and every error is
problem+json.

The document is the one the app serves at /openapi.json; `vouch openapi --check`
(run in CI) proves the committed openapi.yaml is the same document.

Generated ids would almost never exist, so path parameters and the
Acting-Member header are drawn half of the time from seeded members and
introductions (every state is represented), and the other half left to
schemathesis. The example count is bounded so the file stays inside CI's time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import positive_data_acceptance

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.clock import FrozenClock
from service.deps import Deps
from service.use_cases.introductions import expire_overdue
from tests.conftest import config_for
from tests.databases import SqliteTemplate
from tests.helpers import ApiClient, Trio

PROBLEM = "application/problem+json"
# Raise it for a deeper hunt: VOUCH_FUZZ_EXAMPLES=500 pytest tests/fuzz
MAX_EXAMPLES = int(os.environ.get("VOUCH_FUZZ_EXAMPLES", "40"))


@schemathesis.check
def errors_are_problem_json(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx/5xx is application/problem+json with the documented members."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), f"error served as {content_type!r}"
    body = response.json()
    missing = {"type", "title", "status", "detail", "code"} - set(body)
    assert not missing, f"problem document misses {sorted(missing)}"
    assert body["status"] == response.status_code
    return True


# Schema-valid requests may still break a business rule (a duplicate request, an
# opaque cursor the API never issued): 400 and 422 are documented answers to them.
# What must never happen is that such a request fails *validation*.
VALIDATION_CODES = {"validation_failed", "malformed_json", "unsupported_media_type"}
ACCEPTABLE_FOR_VALID = {400, 401, 403, 404, 409, 422}


@schemathesis.check
def schema_valid_requests_pass_validation(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """Stricter stand-in for `positive_data_acceptance` (see above)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return None
    assert response.status_code in ACCEPTABLE_FOR_VALID, (
        f"schema-valid request answered {response.status_code}"
    )
    code = response.json().get("code")
    assert code not in VALIDATION_CODES, f"schema-valid request failed validation: {code}"
    return True


class Seeds:
    """Ids that exist in the fuzzed workspace, filled in by the `fuzz_app` fixture."""

    members: list[str] = []
    introductions: list[str] = []


def _seed(api: ApiClient, clock: FrozenClock, deps: Deps) -> None:
    people = [api.member(name) for name in ("Ann", "Ben", "Tia", "Uma", "Vic", "Wes")]
    ann, ben, tia, uma, vic, wes = people
    for a, b, level in [(ann, ben, 3), (ben, tia, 4), (ben, uma, 5), (ben, vic, 2),
                        (ben, wes, 4), (uma, ben, 4), (uma, tia, 3)]:  # fmt: skip
        api.trust(a, b, level)
    intros = []

    def ask(requester: str, target: str) -> str:
        response = api.request(Trio(requester, ben, target))
        assert response.status_code == 201, response.json
        intros.append(str(response.json["id"]))  # type: ignore[index]
        return intros[-1]

    connected = ask(ann, tia)
    api.act(connected, "consent", ben, {"note": "Good people"})
    api.act(connected, "opt-in", tia)
    api.act(connected, "opt-in", ann)
    api.act(ask(ann, uma), "decline", ben, {"note": "Not now"})
    opting = ask(ann, vic)
    api.act(opting, "consent", ben)
    api.act(ask(uma, tia), "withdraw", uma)
    ask(ann, wes)  # stays requested until the clock moves past its deadline
    clock.advance(timedelta(days=30))
    assert expire_overdue(deps) >= 1
    ask(uma, vic)  # requested, fresh
    Seeds.members = people
    Seeds.introductions = intros


@pytest.fixture
def fuzz_app(sqlite_template: SqliteTemplate, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """A fresh seeded database per operation (erasure would otherwise eat the seeds)."""
    clock = FrozenClock()
    config = config_for(sqlite_template.fresh_url(), tmp_path)
    app = create_app(config, clock=clock)
    deps: Deps = app.extensions[EXTENSION]
    api = ApiClient.for_new_workspace(app.test_client(), deps)
    _seed(api, clock, deps)
    yield app, api.key
    app.extensions[ENGINE].dispose()


PATH_SEEDS = {
    "member_id": lambda: Seeds.members,
    "other_id": lambda: Seeds.members,
    "intro_id": lambda: Seeds.introductions,
}


def _or_seeded(value: Any, seeds: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(value), st.sampled_from(seeds))


@pytest.fixture
def api_schema(fuzz_app: tuple[Flask, str]) -> Any:
    app, _key = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(
        _context: Any, path_parameters: dict[str, Any]
    ) -> st.SearchStrategy[dict[str, Any]]:
        drawn: dict[str, st.SearchStrategy[Any]] = {
            name: _or_seeded(value, PATH_SEEDS[name]()) if name in PATH_SEEDS else st.just(value)
            for name, value in (path_parameters or {}).items()
        }
        return st.fixed_dictionaries(drawn)

    @schema.hook
    def flatmap_headers(
        _context: Any, headers: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        headers = dict(headers or {})
        acting = headers.pop("Acting-Member", None)
        choices = st.one_of(st.none(), st.just(acting), st.sampled_from(Seeds.members))

        def with_actor(member: str | None) -> dict[str, Any]:
            return {**headers, "Acting-Member": member} if member is not None else headers

        return choices.map(with_actor)

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_honours_the_contract(case: Case, fuzz_app: tuple[Flask, str]) -> None:
    app, key = fuzz_app
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {key}"},
        additional_checks=[errors_are_problem_json, schema_valid_requests_pass_validation],
        excluded_checks=[positive_data_acceptance],
    )
