"""Rate limits per API key: memory storage by default, Redis when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.clock import FrozenClock
from service.deps import Deps
from tests.conftest import config_for
from tests.helpers import ApiClient

REDIS_URL = os.environ.get("VOUCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[AppFactory]:
    apps: list[Flask] = []

    def build(**extra: Any) -> Flask:
        config = config_for(
            database_url, tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_PER_KEY="3 per minute"
        )
        config.update(extra)
        app = create_app(config, clock=clock)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions[ENGINE].dispose()


def client_for(app: Flask) -> ApiClient:
    deps: Deps = app.extensions[EXTENSION]
    return ApiClient.for_new_workspace(app.test_client(), deps)


def test_fourth_request_in_a_minute_is_a_429_problem_with_retry_after(
    make_app: AppFactory,
) -> None:
    api = client_for(make_app())
    for _ in range(3):
        assert api.get("/v1/members").status_code == 200
    response = api.get("/v1/members")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "rate_limited"
    assert response.json["type"] == "urn:vouch:problem:rate_limited"
    assert "3 per 1 minute" in response.json["detail"]
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_each_api_key_has_its_own_budget(make_app: AppFactory) -> None:
    app = make_app()
    first, second = client_for(app), client_for(app)
    for _ in range(3):
        first.get("/v1/members")
    assert first.get("/v1/members").status_code == 429
    assert second.get("/v1/members").status_code == 200


def test_all_endpoints_share_one_budget_per_key(make_app: AppFactory) -> None:
    api = client_for(make_app())
    member = api.member("Ann")  # a POST counts too
    api.get(f"/v1/members/{member}")
    api.get("/v1/introductions")
    body = {"external_ref": "x", "name": "X", "contact": {"email": "x@example.com"}}
    response = api.post("/v1/members", body)
    assert response.status_code == 429
    assert api.get("/v1/members?external_ref=x").status_code == 429


def test_a_refused_request_changes_nothing(make_app: AppFactory) -> None:
    api = client_for(make_app())
    for _ in range(3):
        api.get("/v1/members")
    body = {"external_ref": "late", "name": "Late", "contact": {"email": "late@example.com"}}
    assert api.post("/v1/members", body).status_code == 429
    deps: Deps = api.client.application.extensions[EXTENSION]
    from sqlalchemy import select

    from service.models import Member

    with deps.session_factory() as session:
        assert session.scalar(select(Member).where(Member.external_ref == "late")) is None


def test_limits_can_be_switched_off(make_app: AppFactory) -> None:
    api = client_for(make_app(RATELIMIT_ENABLED=False))
    assert all(api.get("/v1/members").status_code == 200 for _ in range(5))


def test_redis_storage_is_shared_between_processes(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"vouch-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("VOUCH_RATELIMIT_STORAGE_URI", REDIS_URL)
    one = make_app(RATELIMIT_KEY_PREFIX=prefix)
    two = make_app(RATELIMIT_KEY_PREFIX=prefix)
    assert one.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    api_one = client_for(one)
    api_two = ApiClient(two.test_client(), api_one.key, api_one.workspace_id)
    try:
        assert api_one.get("/v1/members").status_code == 200
        assert api_two.get("/v1/members").status_code == 200
        assert api_one.get("/v1/members").status_code == 200
        response = api_two.get("/v1/members")
        assert response.status_code == 429
        assert response.json["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) > 0
        store = redis.Redis.from_url(REDIS_URL)
        assert store.keys(f"*{prefix}*")
    finally:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_a_request_counts_once_against_one_shared_counter(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One application-wide counter per key: no second, per-route counter (which
    a per-route default would add to every request)."""
    prefix = f"vouch-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("VOUCH_RATELIMIT_STORAGE_URI", REDIS_URL)
    api = client_for(make_app(RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_PER_KEY="50 per minute"))
    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert api.get("/v1/members").status_code == 200
        assert api.get("/v1/introductions").status_code == 200
        keys = list(store.scan_iter(f"*{prefix}*"))
        assert len(keys) == 1
        assert int(store.get(keys[0]) or 0) == 2
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_in_process_window_opens_again_when_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    from limits import parse

    from api import rate_limits

    now = [1_000.0]
    monkeypatch.setattr(rate_limits.time, "time", lambda: now[0])
    windows = rate_limits.InProcessWindows()
    limit = parse("2 per minute")
    assert [windows.hit("k", limit).allowed for _ in range(3)] == [True, True, False]
    refused = windows.hit("k", limit)
    assert (refused.remaining, refused.reset_at) == (0, 1_060.0)
    assert windows.hit("other", limit).allowed  # each key its own window
    now[0] = 1_060.0
    reopened = windows.hit("k", limit)
    assert (reopened.allowed, reopened.remaining, reopened.reset_at) == (True, 1, 1_120.0)


def test_in_process_windows_forget_keys_whose_window_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from limits import parse

    from api import rate_limits

    now = [0.0]
    monkeypatch.setattr(rate_limits.time, "time", lambda: now[0])
    windows = rate_limits.InProcessWindows()
    limit = parse("1 per second")
    for i in range(10_000):
        windows.hit(f"old{i}", limit)
    now[0] = 5.0
    windows.hit("new", limit)
    assert windows.hit("new", limit).allowed is False
    assert len(windows._windows) == 1
    # At most one sweep per window length, however many keys come in.
    for i in range(10_001):
        windows.hit(f"burst{i}", limit)
    assert len(windows._windows) == 10_002
    now[0] = 5.5
    windows.hit("later", limit)
    assert len(windows._windows) == 10_003
    now[0] = 7.0
    windows.hit("after", limit)
    assert len(windows._windows) == 1


def test_the_liveness_check_is_never_limited(make_app: AppFactory) -> None:
    client = make_app().test_client()
    responses = [client.get("/healthz") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "X-RateLimit-Limit" not in responses[-1].headers


def test_the_settings_earlier_name_still_sets_the_limit(make_app: AppFactory) -> None:
    api = client_for(make_app(RATELIMIT_PER_KEY="100 per minute", RATELIMIT_DEFAULT="2 per minute"))
    assert [api.get("/v1/members").status_code for _ in range(3)] == [200, 200, 429]
