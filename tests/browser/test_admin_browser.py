"""An operator in a real browser: sign in, read the dashboard, find a stuck
introduction, reveal a contact, retry a failed email, revoke a leaked key."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update

from service.models import ApiKey, OutboxMessage
from service.use_cases.admin_users import create_admin
from tests.browser.conftest import LiveServer
from tests.helpers import ApiClient, make_trio

PASSWORD = "correct horse battery staple"


def _setup(server: LiveServer) -> tuple[ApiClient, str, str, str]:
    """A workspace with one requested introduction whose email to the introducer failed."""
    api = ApiClient.for_new_workspace(server.app.test_client(), server.deps, "Alumni Hub")
    trio = make_trio(api)
    response = api.request(trio)
    assert response.status_code == 201, response.json
    intro_id = response.json["id"]  # type: ignore[index]
    with server.deps.uow() as uow:
        message_id = uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.introduction_id == intro_id)
        ).first()
        assert message_id is not None
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="failed", attempts=12, last_error="550 5.1.1 mailbox unavailable")
        )
        uow.commit()
    create_admin(server.deps, "alice", PASSWORD)
    return api, trio.target, intro_id, message_id


def go(browser: webdriver.Chrome, by: str, value: str) -> None:
    """Click what leads to a new page and wait until that page replaced this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(by, value).click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(old))


def _text(browser: webdriver.Chrome) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)


def test_operator_finds_a_stuck_introduction_fixes_it_and_revokes_a_key(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    api, target_id, intro_id, message_id = _setup(live_server)
    base = live_server.url

    # Signing in, from a deep link.
    browser.get(f"{base}/admin/outbox")
    assert "/admin/sign-in" in browser.current_url
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    go(browser, By.CSS_SELECTOR, "button[type=submit]")
    assert browser.current_url == f"{base}/admin/outbox"

    # The dashboard: the funnel and the chart are drawn without JavaScript.
    go(browser, By.LINK_TEXT, "Dashboard")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    funnel = browser.find_element(By.CSS_SELECTOR, "svg.funnel")
    assert funnel.get_attribute("aria-label") == "Funnel: Requested 1, Consented 0, Connected 0"
    assert browser.find_element(By.CSS_SELECTOR, "svg.per-day").is_displayed()

    # Finding the stuck introduction with the filters, and why it is stuck.
    go(browser, By.LINK_TEXT, "Introductions")
    Select(browser.find_element(By.NAME, "state")).select_by_value("requested")
    go(browser, By.XPATH, "//button[text()='Filter']")
    assert "state=requested" in browser.current_url
    go(browser, By.CSS_SELECTOR, f"a[href='/admin/introductions/{intro_id}']")
    page = _text(browser)
    assert "Waiting for" in page and "(introducer) to consent or decline" in page
    assert "550 5.1.1 mailbox unavailable" in page

    # Retrying the failed email from the introduction's page.
    go(browser, By.CSS_SELECTOR, f"#msg-{message_id} button[type=submit]")
    assert "queued again" in _text(browser)
    assert browser.current_url.endswith(f"/admin/introductions/{intro_id}")
    with live_server.deps.uow() as uow:
        assert uow.session.get(OutboxMessage, message_id).status == "queued"  # type: ignore[union-attr]

    # Revealing the target's contact: masked first, shown after the deliberate click.
    contact = api.get(f"/v1/members/{target_id}").json["contact"]  # type: ignore[index]
    go(browser, By.CSS_SELECTOR, f"a[href='/admin/members/{target_id}']")
    assert contact["email"] not in _text(browser)
    go(browser, By.XPATH, "//button[text()='Reveal contact details']")
    revealed = browser.find_element(By.ID, "contact").text
    assert contact["email"] in revealed and contact["phone"] in revealed

    # Revoking the leaked key: the API refuses it from then on.
    assert api.get("/v1/members").status_code == 200
    with live_server.deps.uow() as uow:
        prefix = uow.session.scalars(select(ApiKey.prefix)).one()
    go(browser, By.PARTIAL_LINK_TEXT, "Workspaces")
    go(browser, By.LINK_TEXT, "Alumni Hub")
    go(browser, By.CSS_SELECTOR, f"#key-{prefix} button[type=submit]")
    assert f"Key {prefix} revoked" in _text(browser)
    assert api.get("/v1/members").status_code == 401
