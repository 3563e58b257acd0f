"""Who is signed in: the admin id kept in the session cookie, checked on each request."""

from __future__ import annotations

from flask import session

from api.composition import deps
from service.use_cases.admin_users import AdminIdentity, find_admin

SESSION_KEY = "admin_id"


def current_admin() -> AdminIdentity | None:
    admin_id = session.get(SESSION_KEY)
    if not isinstance(admin_id, str):
        return None
    return find_admin(deps(), admin_id)


def start(admin: AdminIdentity) -> None:
    """A fresh session for the admin (nothing from before sign-in is carried over)."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = admin.id


def end() -> None:
    session.clear()
