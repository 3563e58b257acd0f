"""A real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium,
against the service served by werkzeug in a thread on 127.0.0.1 (SQLite).

If the browser cannot start, the test fails with the reason: nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import BaseWSGIServer, make_server

from api import create_app
from api.composition import ENGINE, EXTENSION
from service.deps import Deps
from tests.conftest import config_for
from tests.databases import SqliteTemplate

CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
]


@dataclass
class LiveServer:
    app: Flask
    url: str

    @property
    def deps(self) -> Deps:
        value: Deps = self.app.extensions[EXTENSION]
        return value


@pytest.fixture
def live_server(sqlite_template: SqliteTemplate, tmp_path: Path) -> Iterator[LiveServer]:
    config = config_for(
        sqlite_template.fresh_url(), tmp_path, BASE_URL="http://127.0.0.1", TESTING=False
    )
    app = create_app(config)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions[ENGINE].dispose()


def _find(name: str, env: str, *candidates: str) -> str:
    override = os.environ.get(env)
    if override:
        return override
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(
        f"{name} not found (tried {', '.join(candidates)}; or set {env}). "
        "Install Debian's: apt-get install -y chromium chromium-driver"
    )


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _find("Chromium", "VOUCH_CHROMIUM", "chromium", "chromium-browser")
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path / 'chrome-profile'}")
    service = Service(executable_path=_find("chromedriver", "VOUCH_CHROMEDRIVER", "chromedriver"))
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        pytest.fail(f"headless Chromium could not start: {exc.msg}")
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
