"""Numbers for the admin dashboard: states, the funnel, timings, outbox health."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.deps import Deps
from service.models import Introduction, OutboxMessage, WebhookDelivery
from service.states import State

CHART_DAYS = 30
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    # Share of the step before (None for the first step or when that one is empty).
    rate: float | None


@dataclass(frozen=True)
class OutboxHealth:
    queued: int
    sending: int
    failed: int
    oldest_waiting: datetime | None
    webhooks_queued: int
    webhooks_failed: int


@dataclass(frozen=True)
class DashboardStats:
    now: datetime
    total: int
    counts: dict[str, int]
    funnel: list[FunnelStep]
    median_to_consent: timedelta | None
    median_to_connect: timedelta | None
    per_day: list[tuple[date, int]]
    outbox: OutboxHealth


def dashboard_stats(deps: Deps, workspace_id: str | None = None) -> DashboardStats:
    """Counts per state; the funnel requested -> consented -> connected, each step with
    its rate of the step before; the median time from request to consent and from
    request to connection; requests per UTC day over the last 30 days; outbox health.

    Everything counts all workspaces unless `workspace_id` narrows it.
    """
    now = deps.clock.now()
    since = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC) - timedelta(
        days=CHART_DAYS - 1
    )
    with deps.uow() as uow:
        s = uow.session
        rows = s.execute(
            _scoped(select(Introduction.state, func.count()), workspace_id).group_by(
                Introduction.state
            )
        ).all()
        counts = {st.value: 0 for st in State}
        counts.update({state: int(n) for state, n in rows})
        consented = _count(s, workspace_id, Introduction.consented_at.is_not(None))
        connected = _count(s, workspace_id, Introduction.connected_at.is_not(None))
        timings = s.execute(
            _scoped(
                select(
                    Introduction.created_at, Introduction.consented_at, Introduction.connected_at
                ),
                workspace_id,
            ).where(Introduction.consented_at.is_not(None))
        ).all()
        created = s.scalars(
            _scoped(select(Introduction.created_at), workspace_id).where(
                Introduction.created_at >= since
            )
        ).all()
        outbox = _outbox_health(s, workspace_id)
    total = sum(counts.values())
    return DashboardStats(
        now=now,
        total=total,
        counts=counts,
        funnel=funnel([("Requested", total), ("Consented", consented), ("Connected", connected)]),
        median_to_consent=median([c - r for r, c, _ in timings if c is not None]),
        median_to_connect=median([x - r for r, _, x in timings if x is not None]),
        per_day=per_day(created, since.date(), CHART_DAYS),
        outbox=outbox,
    )


def _scoped(stmt: Select[*Ts], workspace_id: str | None) -> Select[*Ts]:
    stmt = stmt.select_from(Introduction)
    return stmt.where(Introduction.workspace_id == workspace_id) if workspace_id else stmt


def _count(s: Session, workspace_id: str | None, condition: Any) -> int:
    return int(s.scalar(_scoped(select(func.count()), workspace_id).where(condition)) or 0)


def _outbox_health(s: Session, workspace_id: str | None) -> OutboxHealth:
    stmt = select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
    if workspace_id:
        stmt = stmt.where(OutboxMessage.workspace_id == workspace_id)
    by_status = {
        status: (int(n), oldest)
        for status, n, oldest in s.execute(stmt.group_by(OutboxMessage.status)).all()
    }
    waiting = [by_status[k][1] for k in ("queued", "sending") if k in by_status]
    hooks = select(WebhookDelivery.status, func.count()).where(
        WebhookDelivery.status.in_(("queued", "sending", "failed"))
    )
    if workspace_id:
        hooks = hooks.where(WebhookDelivery.workspace_id == workspace_id)
    webhooks = {status: int(n) for status, n in s.execute(hooks.group_by(WebhookDelivery.status))}
    return OutboxHealth(
        queued=by_status.get("queued", (0, None))[0],
        sending=by_status.get("sending", (0, None))[0],
        failed=by_status.get("failed", (0, None))[0],
        oldest_waiting=min(waiting) if waiting else None,
        webhooks_queued=webhooks.get("queued", 0) + webhooks.get("sending", 0),
        webhooks_failed=webhooks.get("failed", 0),
    )


def funnel(steps: Sequence[tuple[str, int]]) -> list[FunnelStep]:
    out: list[FunnelStep] = []
    previous: int | None = None
    for label, count in steps:
        rate = count / previous if previous else None
        out.append(FunnelStep(label=label, count=count, rate=rate))
        previous = count
    return out


def median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def per_day(created: Sequence[datetime], first: date, days: int) -> list[tuple[date, int]]:
    """One (day, count) per UTC day from `first`, zeros included."""
    counter = Counter(c.astimezone(UTC).date() for c in created)
    return [(d, counter.get(d, 0)) for d in (first + timedelta(days=i) for i in range(days))]
