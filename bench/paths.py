"""Benchmark of the warm-path queries on a large graph (SQLite and PostgreSQL).

Builds 100,000 members and 2,000,000 relationships (at --scale 1) in a fresh
database migrated with Alembic, then times the 1-hop and 2-hop queries of
`service.use_cases.paths` and prints p50/p95 in milliseconds.

The graph: members live in communities of 1,000; each has 15 relationships
inside their community and 5 anywhere (20 each), trust 1..5, one in ten not
introducible. 1-hop samples pick a target in the requester's community; 2-hop
samples pick a target that has no 1-hop path from the requester.

    python bench/paths.py                       # both backends, full size
    python bench/paths.py --scale 0.1 --backend sqlite

PostgreSQL: --postgres-url, else VOUCH_BENCH_POSTGRES_URL or VOUCH_TEST_POSTGRES_URL;
a database `vouch_bench_<pid>` is created there and dropped afterwards.
Targets: 1-hop p95 < 5 ms, 2-hop p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from service.db import make_engine  # noqa: E402
from service.models import Member, Relationship, Workspace  # noqa: E402
from service.schema import upgrade  # noqa: E402
from service.use_cases.paths import Chain, one_hop, two_hop  # noqa: E402

COMMUNITY = 1000
INSIDE, ANYWHERE = 15, 5
NOT_INTRODUCIBLE = 0.1
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NAIVE_NOW = NOW.replace(tzinfo=None)
WORKSPACE = "ws_bench"


def member_id(n: int) -> str:
    return f"mem_{n:08d}"


def edges(members: int, rng: random.Random) -> Iterator[tuple[str, str, int, bool]]:
    community = min(COMMUNITY, members)
    for a in range(members):
        base = a - a % community
        chosen: set[int] = set()
        while len(chosen) < INSIDE:
            b = base + rng.randrange(community)
            if b != a and b < members:
                chosen.add(b)
        while len(chosen) < INSIDE + ANYWHERE:
            b = rng.randrange(members)
            if b != a:
                chosen.add(b)
        for b in chosen:
            yield (
                member_id(a),
                member_id(b),
                rng.randint(1, 5),
                rng.random() >= NOT_INTRODUCIBLE,
            )


def load(engine: Engine, members: int, rng: random.Random) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Workspace), [{"id": WORKSPACE, "name": "bench", "created_at": NOW}])
        rows = [
            {
                "id": member_id(n),
                "workspace_id": WORKSPACE,
                "external_ref": f"ref-{n}",
                "name": f"Member {n}",
                "headline": "",
                "contact_email": f"m{n}@example.com",
                "contact_phone": None,
                "contact_links": [],
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(members)
        ]
        for start in range(0, len(rows), 20000):
            conn.execute(insert(Member), rows[start : start + 20000])
    if engine.dialect.name == "postgresql":
        _copy_edges(engine, members, rng)
    else:
        _insert_edges(engine, members, rng)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _insert_edges(engine: Engine, members: int, rng: random.Random) -> None:
    batch: list[dict[str, object]] = []
    with engine.begin() as conn:
        for a, b, trust, introducible in edges(members, rng):
            batch.append(
                {
                    "from_member_id": a, "to_member_id": b, "workspace_id": WORKSPACE,
                    "trust": trust, "introducible": introducible, "context": "",
                    "created_at": NOW, "updated_at": NOW,
                }
            )  # fmt: skip
            if len(batch) == 50000:
                conn.execute(insert(Relationship), batch)
                batch = []
        if batch:
            conn.execute(insert(Relationship), batch)


def _copy_edges(engine: Engine, members: int, rng: random.Random) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        sql = (
            "COPY relationships (from_member_id, to_member_id, workspace_id, trust, "
            "introducible, context, created_at, updated_at) FROM STDIN"
        )
        with cursor.copy(sql) as copy:
            for a, b, trust, introducible in edges(members, rng):
                copy.write_row((a, b, WORKSPACE, trust, introducible, "", NAIVE_NOW, NAIVE_NOW))
        raw.commit()
    finally:
        raw.close()


def timed(
    factory: sessionmaker[Session],
    query: Callable[[Session, str, str], list[Chain]],
    pairs: list[tuple[str, str]],
) -> tuple[list[float], int]:
    times: list[float] = []
    found = 0
    with factory() as session:
        query(session, *pairs[0])  # warm the connection and the statement cache
        for requester, target in pairs:
            start = time.perf_counter()
            chains = query(session, requester, target)
            times.append((time.perf_counter() - start) * 1000)
            found += bool(chains)
    return times, found


def pairs_for(
    factory: sessionmaker[Session], members: int, samples: int, rng: random.Random
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    community = min(COMMUNITY, members)
    near: list[tuple[str, str]] = []
    far: list[tuple[str, str]] = []
    with factory() as session:
        while len(near) < samples:
            a = rng.randrange(members)
            b = a - a % community + rng.randrange(community)
            if a != b and b < members:
                near.append((member_id(a), member_id(b)))
        while len(far) < samples:
            a, b = rng.randrange(members), rng.randrange(members)
            if a != b and not one_hop(session, member_id(a), member_id(b)):
                far.append((member_id(a), member_id(b)))
    return near, far


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(url: str, members: int, samples: int, seed: int) -> None:
    rng = random.Random(seed)
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    load(engine, members, rng)
    built = time.perf_counter() - started
    factory = sessionmaker(engine)
    near, far = pairs_for(factory, members, samples, rng)
    one, one_found = timed(factory, one_hop, near)
    two, two_found = timed(factory, two_hop, far)
    engine.dispose()
    name = make_url(url).get_backend_name()
    print(f"{name}: {members:,} members, {members * (INSIDE + ANYWHERE):,} relationships, "
          f"built in {built:.0f} s")  # fmt: skip
    for label, values, found in (("1-hop", one, one_found), ("2-hop", two, two_found)):
        print(f"  {label}: p50 {pct(values, 50):.2f} ms, p95 {pct(values, 95):.2f} ms "
              f"({len(values)} queries, {found} with a path)")  # fmt: skip


def postgres_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = make_url(admin_url)
    name = f"vouch_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 members")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("VOUCH_BENCH_POSTGRES_URL")
        or os.environ.get("VOUCH_TEST_POSTGRES_URL"),
    )
    args = parser.parse_args()
    members = int(100_000 * args.scale)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.db", members, args.samples, args.seed)
    if args.backend in ("postgres", "both"):
        if not args.postgres_url:
            parser.error("PostgreSQL needs --postgres-url or VOUCH_BENCH_POSTGRES_URL")
        url, drop = postgres_database(args.postgres_url)
        try:
            run(url, members, args.samples, args.seed)
        finally:
            drop()


if __name__ == "__main__":
    main()
