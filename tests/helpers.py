"""Small helpers for driving the API in tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.deps import Deps
from service.use_cases.workspaces import create_workspace

_refs = itertools.count(1)


@dataclass
class ApiClient:
    client: FlaskClient
    key: str
    workspace_id: str

    @classmethod
    def for_new_workspace(cls, client: FlaskClient, deps: Deps, name: str = "Test") -> ApiClient:
        issued = create_workspace(deps, name)
        return cls(client, issued.key, issued.workspace_id)

    def headers(self, member: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}", **extra}
        if member is not None:
            headers["Acting-Member"] = member
        return headers

    def get(self, path: str, member: str | None = None, **kw: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers(member), **kw)

    def post(
        self, path: str, json: Any = None, member: str | None = None, **headers: str
    ) -> TestResponse:
        return self.client.post(path, json=json, headers=self.headers(member, **headers))

    def put(self, path: str, json: Any = None, member: str | None = None) -> TestResponse:
        return self.client.put(path, json=json, headers=self.headers(member))

    def patch(self, path: str, json: Any = None, member: str | None = None) -> TestResponse:
        return self.client.patch(path, json=json, headers=self.headers(member))

    def delete(self, path: str, member: str | None = None) -> TestResponse:
        return self.client.delete(path, headers=self.headers(member))

    def member(self, name: str, **contact: Any) -> str:
        ref = f"{name.lower()}-{next(_refs)}"
        body = {
            "external_ref": ref,
            "name": name,
            "headline": f"{name}'s headline",
            "contact": {"email": f"{ref}@example.com", **contact},
        }
        response = self.post("/v1/members", body)
        assert response.status_code == 201, response.json
        return str(response.json["id"])  # type: ignore[index]

    def trust(self, a: str, b: str, level: int, introducible: bool = True) -> None:
        response = self.put(
            f"/v1/members/{a}/relationships/{b}", {"trust": level, "introducible": introducible}
        )
        assert response.status_code == 200, response.json

    def request(self, trio: Trio, **overrides: Any) -> TestResponse:
        body = {
            "introducer_id": trio.introducer,
            "target_id": trio.target,
            "reason": "I am hiring a data engineer and Tia built the pipeline I admire.",
            "blurb": "Ann runs data at Acme and would love 20 minutes of Tia's advice.",
            **overrides,
        }
        return self.post("/v1/introductions", body, member=trio.requester)

    def act(self, intro_id: str, action: str, member: str, json: Any = None) -> TestResponse:
        return self.post(f"/v1/introductions/{intro_id}/{action}", json or {}, member=member)


@dataclass
class Trio:
    requester: str
    introducer: str
    target: str

    @property
    def all(self) -> dict[str, str]:
        return {"requester": self.requester, "introducer": self.introducer, "target": self.target}


def make_trio(api: ApiClient) -> Trio:
    ann = api.member("Ann", phone="+44 20 7946 0000")
    ben = api.member("Ben")
    tia = api.member("Tia", phone="+1 555 0100", links=["https://tia.example.com"])
    api.trust(ann, ben, 3)
    api.trust(ben, tia, 4)
    return Trio(requester=ann, introducer=ben, target=tia)
