"""Integration fixtures: a real SMTP server, and an app config pointed at it.

Modules that send through SMTP opt in by overriding `app_config` with
`smtp_app_config`; everything else keeps the default config.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import config_for
from tests.integration.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app_config(database_url: str, tmp_path: Path, smtp: SmtpServer) -> dict[str, Any]:
    return config_for(
        database_url,
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="Vouch <no-reply@vouch.test>",
        MAIL_TIMEOUT=5,
        WORKER_BATCH_SIZE=10,
    )
