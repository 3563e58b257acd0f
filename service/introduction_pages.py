"""The statement behind a page of introductions, built once per shape.

Building a SQLAlchemy statement (and its cache key) cost more than running it
on an indexed page, so each shape of the query (who is involved, which filters,
whether a cursor is given, the page size) is built once with bound parameters
and reused; only the values change between requests.

For a member, each of three branches walks one role's index (requester,
introducer, target), limited to the page; the outer query joins the few ids
they return by primary key, keeps this workspace's and orders them. A workspace
filter inside a branch, or `id IN (branches)` beside it, makes SQLite walk the
whole workspace's date index instead (tests/integration/test_query_plans.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, or_, select, union_all

from service.models import Introduction
from service.pagination import decode_cursor

_CREATED_TYPE = Introduction.__table__.c.created_at.type


@dataclass(frozen=True)
class PageQuery:
    workspace_id: str
    limit: int
    cursor: str | None = None
    state: str | None = None
    # The member whose introductions these are (the viewer, or the operator's filter).
    involved: str | None = None
    # A viewing member's extra filter: only introductions that also involve this one.
    also_involving: str | None = None
    # A target sees an introduction only once the introducer consented.
    target_needs_consent: bool = False


def page_statement(query: PageQuery) -> tuple[Select[Introduction], dict[str, Any]]:
    """The statement for `query` (limit + 1 rows, to know whether a next page
    exists) and its parameters."""
    stmt = _statement(
        involved=query.involved is not None,
        state=query.state is not None,
        also_involving=query.also_involving is not None,
        cursor=bool(query.cursor),
        target_needs_consent=query.target_needs_consent,
        limit=query.limit,
    )
    params: dict[str, Any] = {
        "workspace_id": query.workspace_id,
        "state": query.state,
        "involved": query.involved,
        "also_involving": query.also_involving,
    }
    if query.cursor:  # an empty cursor is the first page, as on every list
        params["cursor_at"], params["cursor_id"] = decode_cursor(query.cursor)
    return stmt, params


@lru_cache(maxsize=256)
def _statement(
    *,
    involved: bool,
    state: bool,
    also_involving: bool,
    cursor: bool,
    target_needs_consent: bool,
    limit: int,
) -> Select[Introduction]:
    filters: list[ColumnElement[bool]] = []
    if state:
        filters.append(Introduction.state == bindparam("state"))
    if also_involving:
        other: BindParameter[str] = bindparam("also_involving")
        filters.append(
            (Introduction.requester_id == other)
            | (Introduction.introducer_id == other)
            | (Introduction.target_id == other)
        )
    if cursor:
        filters.append(_before_cursor())
    in_workspace = Introduction.workspace_id == bindparam("workspace_id")
    if not involved:
        stmt = select(Introduction).where(in_workspace, *filters)
    else:
        page = _involving(filters, limit, target_needs_consent).subquery("page")
        stmt = select(Introduction).join(page, Introduction.id == page.c.id).where(in_workspace)
    newest: Select[Introduction] = _newest_first(stmt, limit)
    return newest


def _involving(filters: list[ColumnElement[bool]], limit: int, target_needs_consent: bool) -> Any:
    member: BindParameter[str] = bindparam("involved")
    target = Introduction.target_id == member
    if target_needs_consent:
        target = target & Introduction.consented_at.is_not(None)
    branches = []
    for condition in (
        Introduction.requester_id == member,
        Introduction.introducer_id == member,
        target,
    ):
        branch = select(Introduction.id, Introduction.created_at).where(condition, *filters)
        branches.append(select(_newest_first(branch, limit).subquery().c.id))
    return union_all(*branches)


def _before_cursor() -> ColumnElement[bool]:
    at = bindparam("cursor_at", type_=_CREATED_TYPE)
    last_id: BindParameter[str] = bindparam("cursor_id")
    return or_(
        Introduction.created_at < at,
        and_(Introduction.created_at == at, Introduction.id < last_id),
    )


def _newest_first(stmt: Any, limit: int) -> Any:
    return stmt.order_by(Introduction.created_at.desc(), Introduction.id.desc()).limit(limit + 1)


def cursor_key(intro: Introduction) -> tuple[datetime, str]:
    return intro.created_at, intro.id
