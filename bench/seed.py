"""Seed a realistic workspace fast, with bulk inserts (Core, not the ORM).

Default size: 10,000 members, 200,000 relationships (20 out of each member),
50,000 introductions in every state. Returns the pools of valid requests the
load scripts replay (each POST and consent in the pools is legal exactly once).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, text

from service.clock import SystemClock
from service.db import make_session_factory
from service.deps import Deps
from service.models import Introduction, Member, OutboxMessage, Relationship, new_id
from service.settings import Settings
from service.tokens import ItsdangerousSigner
from service.use_cases.workspaces import create_workspace

STATES = [
    ("requested", 0.20),
    ("opting_in", 0.15),
    ("connected", 0.25),
    ("declined", 0.20),
    ("withdrawn", 0.10),
    ("expired", 0.10),
]


@dataclass
class Pools:
    api_key: str
    workspace_id: str
    gets: list[tuple[str, str]] = field(default_factory=list)  # (intro, acting member)
    lists: list[str] = field(default_factory=list)  # acting members with many intros
    posts: list[tuple[str, str, str]] = field(default_factory=list)  # requester, introducer, target
    consents: list[tuple[str, str]] = field(default_factory=list)  # (intro, introducer)
    paths: list[tuple[str, str]] = field(default_factory=list)  # (requester, target)


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def seed(
    engine: Engine,
    *,
    members: int = 10_000,
    out_degree: int = 20,
    introductions: int = 50_000,
    queued_emails: int = 0,
    rng_seed: int = 7,
) -> Pools:
    rng = random.Random(rng_seed)
    deps = Deps(
        make_session_factory(engine), SystemClock(), ItsdangerousSigner(["bench"]), Settings()
    )
    issued = create_workspace(deps, "Bench")
    ws = issued.workspace_id
    now = datetime.now(UTC)
    member_rows = [
        {
            "id": new_id("mem"),
            "workspace_id": ws,
            "external_ref": f"m{i}",
            "name": f"Member {i}",
            "headline": "Engineer",
            "contact_email": f"m{i}@bench.example",
            "contact_phone": None,
            "contact_links": [],
            "created_at": now - timedelta(seconds=members - i),
            "updated_at": now,
        }
        for i in range(members)
    ]
    ids = [m["id"] for m in member_rows]
    edges: dict[str, list[str]] = {}
    rel_rows = []
    for a in ids:
        outs = rng.sample(ids, out_degree + 1)
        outs = [b for b in outs if b != a][:out_degree]
        edges[a] = outs
        for b in outs:
            rel_rows.append(
                {
                    "from_member_id": a,
                    "to_member_id": b,
                    "workspace_id": ws,
                    "trust": rng.randint(1, 5),
                    "introducible": rng.random() < 0.9,
                    "context": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    introducible = {(r["from_member_id"], r["to_member_id"]) for r in rel_rows if r["introducible"]}

    def triple() -> tuple[str, str, str]:
        while True:
            r = rng.choice(ids)
            x = rng.choice(edges[r])
            t = rng.choice(edges[x])
            if t not in (r, x) and (x, t) in introducible:
                return r, x, t

    pools = Pools(api_key=issued.key, workspace_id=ws)
    intro_rows = []
    open_pairs: set[tuple[str, str]] = set()
    used: set[tuple[str, str, str]] = set()
    per_member: dict[str, int] = {}
    weights = [w for _, w in STATES]
    for n in range(introductions):
        state = rng.choices([s for s, _ in STATES], weights)[0]
        r, x, t = triple()
        if state in ("requested", "opting_in"):
            if (r, t) in open_pairs:
                state = "connected"
            else:
                open_pairs.add((r, t))
        used.add((r, x, t))
        created = now - timedelta(minutes=introductions - n)
        consented = created + timedelta(hours=1) if state not in ("requested",) else None
        row = {
            "id": new_id("intro"),
            "workspace_id": ws,
            "requester_id": r,
            "introducer_id": x,
            "target_id": t,
            "reason": "We work on similar problems and I would value an hour of advice.",
            "blurb": "Engineer at a small startup, curious about data pipelines.",
            "introducer_note": None,
            "decline_note": None,
            "declined_by": "introducer" if state == "declined" else None,
            "state": state,
            "state_version": 1 if state == "requested" else 2,
            "consent_deadline": created + timedelta(days=7),
            "opt_in_deadline": consented + timedelta(days=14) if consented else None,
            "requester_opted_in_at": consented if state == "connected" else None,
            "target_opted_in_at": consented if state == "connected" else None,
            "created_at": created,
            "updated_at": created,
            "consented_at": consented if state in ("opting_in", "connected") else None,
            "connected_at": consented if state == "connected" else None,
            "closed_at": None if state in ("requested", "opting_in") else created,
            "risk_level": "medium",
            "risk_score": 50,
            "risk_reasons": ["Seeded for the benchmark."],
        }
        intro_rows.append(row)
        per_member[r] = per_member.get(r, 0) + 1
        if state == "requested":
            pools.consents.append((row["id"], x))
        pools.gets.append((row["id"], r))
    rng.shuffle(pools.consents)
    rng.shuffle(pools.gets)
    pools.lists = [m for m, _ in sorted(per_member.items(), key=lambda kv: -kv[1])[:200]]
    while len(pools.posts) < 40_000:
        r, x, t = triple()
        if (r, t) in open_pairs or (r, x, t) in used:
            continue
        open_pairs.add((r, t))
        pools.posts.append((r, x, t))
    for _ in range(2000):
        r, x, t = triple()
        pools.paths.append((r, t))
    outbox_rows = [
        {
            "id": new_id("msg"),
            "workspace_id": ws,
            "introduction_id": None,
            "to_member_id": ids[i % members],
            "dedupe_key": f"bench:{i}",
            "kind": "email",
            "template": "not_made",
            "to_addr": f"m{i % members}@bench.example",
            "subject": "About your introduction",
            "body_text": "This introduction won't go ahead.\n" * 5,
            "body_html": "<p>This introduction won't go ahead.</p>" * 5,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in range(queued_emails)
    ]
    with engine.begin() as conn:
        for table, rows in (
            (Member.__table__, member_rows),
            (Relationship.__table__, rel_rows),
            (Introduction.__table__, intro_rows),
            (OutboxMessage.__table__, outbox_rows),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
    if engine.dialect.name == "postgresql":
        # Statistics for the bulk-loaded tables, as autovacuum keeps them on a live
        # database: without them the planner guesses, and guesses badly.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return pools
