"""Admin users: creation (from the CLI) and password sign-in with throttling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.deps import Deps
from service.errors import Conflict, DomainError, InvalidInput, Unauthenticated
from service.models import AdminSignInAttempt, AdminUser, new_id
from service.use_cases.admin_audit import record_admin

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,80}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
# Failed attempts allowed within the window before sign-in is refused.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
# Verified when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this username or from this address; wait and retry."""

    code = "sign_in_throttled"
    title = "Too many sign-in attempts"

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, int(retry_after.total_seconds() // 60))
        super().__init__(
            f"Too many failed sign-in attempts. Try again in about {minutes} minute(s)."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class AdminIdentity:
    id: str
    username: str


def create_admin(deps: Deps, username: str, password: str) -> AdminIdentity:
    """A new admin user; the password is stored as a salted werkzeug hash only."""
    errors: dict[str, list[str]] = {}
    if not USERNAME.match(username):
        errors["username"] = ["1 to 80 letters, digits or . _ @ -."]
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        errors["password"] = [f"Between {MIN_PASSWORD} and {MAX_PASSWORD} characters."]
    if errors:
        raise InvalidInput("The admin user is not valid.", errors=errors)
    now = deps.clock.now()
    with deps.uow() as uow:
        exists = uow.session.scalar(select(AdminUser.id).where(AdminUser.username == username))
        if exists is not None:
            raise Conflict(f"An admin user {username!r} already exists.", code="admin_exists")
        user = AdminUser(
            id=new_id("adm"),
            username=username,
            password_hash=generate_password_hash(password),
            created_at=now,
        )
        uow.session.add(user)
        record_admin(uow.session, username, "admin.created", now)
        uow.commit()
        return AdminIdentity(id=user.id, username=user.username)


def sign_in(deps: Deps, username: str, password: str, address: str) -> AdminIdentity:
    """Check a password; refuse while recent failures for the username or address exceed
    the limits (the refusal itself is not counted, so waiting always helps)."""
    now = deps.clock.now()
    username = username.strip()[:80]
    address = address[:64]
    with deps.uow() as uow:
        _check_throttle(uow.session, username, address, now)
        user = uow.session.scalar(select(AdminUser).where(AdminUser.username == username))
        stored = user.password_hash if user is not None else _DUMMY_HASH
        ok = check_password_hash(stored, password) and user is not None
        uow.session.add(
            AdminSignInAttempt(
                id=new_id("att"), username=username, address=address, succeeded=ok, created_at=now
            )
        )
        if user is None or not ok:
            uow.commit()
            raise Unauthenticated("Unknown username or wrong password.", code="bad_credentials")
        record_admin(uow.session, username, "admin.signed_in", now, detail={"address": address})
        uow.commit()
        return AdminIdentity(id=user.id, username=user.username)


def _check_throttle(session: Session, username: str, address: str, now: datetime) -> None:
    since = now - WINDOW
    for column, value, limit in (
        (AdminSignInAttempt.username, username, MAX_FAILURES_PER_USERNAME),
        (AdminSignInAttempt.address, address, MAX_FAILURES_PER_ADDRESS),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(AdminSignInAttempt.created_at)).where(
                column == value,
                AdminSignInAttempt.succeeded.is_(False),
                AdminSignInAttempt.created_at > since,
            )
        ).one()
        if count >= limit:
            raise SignInThrottled(oldest + WINDOW - now if oldest else WINDOW)


def find_admin(deps: Deps, admin_id: str) -> AdminIdentity | None:
    """The admin a session names, if it still exists (deleting the row ends its sessions)."""
    with deps.uow() as uow:
        user = uow.session.get(AdminUser, admin_id)
        return AdminIdentity(id=user.id, username=user.username) if user else None


def sign_out(deps: Deps, username: str) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        record_admin(uow.session, username, "admin.signed_out", now)
        uow.commit()
