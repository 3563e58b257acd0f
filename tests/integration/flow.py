"""Driving the delivery worker and clicking links the way a person would."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.cli_worker import build_mailer, delivery_policy
from service.delivery import CycleReport, DeliveryPolicy, run_cycle
from service.deps import Deps
from service.mailer import Mailer
from tests.helpers import ApiClient

LINK = re.compile(r"https://vouch\.test/l/[A-Za-z0-9_.\-]+")
FORM = re.compile(
    r'<form method="post" action="(?P<action>/l/[^"]+)">\s*'
    r'<input type="hidden" name="csrf" value="(?P<csrf>[0-9a-f]+)">'
)


@dataclass
class Worker:
    deps: Deps
    mailer: Mailer
    policy: DeliveryPolicy
    rng: random.Random

    @classmethod
    def for_app(cls, app: Flask, deps: Deps) -> Worker:
        return cls(deps, build_mailer(app), delivery_policy(app), random.Random(7))

    def cycle(self) -> CycleReport:
        return run_cycle(self.deps, self.mailer, self.policy, self.rng)


def address(api: ApiClient, member_id: str) -> str:
    """The member's email address, as the operator sees it."""
    return str(api.get(f"/v1/members/{member_id}").json["contact"]["email"])


def links(text: str) -> list[str]:
    """Every link in an email body, in order (the 'yes' link comes first)."""
    return LINK.findall(text)


def path_of(url: str) -> str:
    return urlsplit(url).path


def forms(html: str) -> list[tuple[str, str]]:
    """(action, csrf) of each form on a link page: yes first, then no."""
    return [(m["action"], m["csrf"]) for m in FORM.finditer(html)]


def click(
    client: FlaskClient, url: str, answer: str = "yes", note: str | None = None
) -> TestResponse:
    """Open the link (GET), then press the yes or no button on the page (POST)."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.get_data(as_text=True)
    found = forms(page.get_data(as_text=True))
    assert len(found) == 2
    action, csrf = found[0] if answer == "yes" else found[1]
    data = {"csrf": csrf}
    if note is not None:
        data["note"] = note
    return client.post(action, data=data)
