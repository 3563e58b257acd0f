"""Soak test: the service under gunicorn on PostgreSQL, mixed traffic for a while.

    python bench/soak.py                 # 10 minutes (the default)
    python bench/soak.py --minutes 2     # a short run

It creates a fresh PostgreSQL database (dropped at the end), migrates it,
creates a workspace and seeds members and relationships, starts gunicorn on a
free loopback port, and drives mixed traffic (reads, requests, consents,
declines, opt-ins, withdrawals, trust changes) from a separate process with
several client threads. Every minute it prints the request count, errors, p50
and p99 latency, and the RSS of each gunicorn worker.

Errors are 5xx answers, connection failures, and 4xx answers that the
operation cannot legitimately get (e.g. a 422 on a read). The run fails
(exit 1) when there is any error or when the workers' RSS grows by more than
`--max-rss-growth` percent between the end of the first minute and the end.

Not part of the default test run (CI runs `pytest`, which never collects
bench/). Rate limits are switched off for the run: the load generator is one
API key, and the point is the service, not the limiter.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MEMBERS = 60

# Which 4xx an operation may legitimately get (rule violations, races between clients).
EXPECTED_4XX: dict[str, set[int]] = {
    "list_members": set(),
    "get_member": set(),
    "list_intros": set(),
    "get_intro": {404},
    "request": {409, 422},
    "consent": {403, 404, 409},
    "decline": {403, 404, 409},
    "opt_in": {403, 404, 409},
    "withdraw": {403, 404, 409},
    "trust": set(),
}


# Setup --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_database(admin_url: str) -> str:
    name = f"vouch_soak_{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:4]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def service_env(url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "VOUCH_DATABASE_URL": url,
        "VOUCH_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "VOUCH_ENV": "production",
        "VOUCH_BASE_URL": f"http://127.0.0.1:{port}",
        "VOUCH_RATELIMIT_ENABLED": "false",
        "VOUCH_LINK_RATE_LIMIT": "100000",
    }


def migrate_and_create_key(url: str) -> str:
    from service.schema import upgrade

    upgrade(url)
    out = subprocess.run(
        [sys.executable, "-c", _CREATE_KEY],
        env={**os.environ, "VOUCH_DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


_CREATE_KEY = """
import os
from service.clock import SystemClock
from service.db import make_engine, make_session_factory
from service.deps import Deps
from service.settings import Settings
from service.tokens import ItsdangerousSigner
from service.use_cases.workspaces import create_workspace
from datetime import timedelta
engine = make_engine(os.environ["VOUCH_DATABASE_URL"])
deps = Deps(session_factory=make_session_factory(engine), clock=SystemClock(),
            signer=ItsdangerousSigner(["soak"]),
            settings=Settings(base_url="http://127.0.0.1", open_request_cap=5,
                              consent_window=timedelta(days=7), opt_in_window=timedelta(days=14)))
print(create_workspace(deps, "Soak").key)
"""


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning",
        "api:create_app()",
    ]  # fmt: skip
    log = open(Path(tempfile.gettempdir()) / "vouch-soak-gunicorn.log", "wb")  # noqa: SIM115
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


# Load generator (runs in its own process) ------------------------------------------------


class Client:
    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.key = key
        self.conn = HTTPConnection("127.0.0.1", port, timeout=30)

    def call(
        self, method: str, path: str, body: Any = None, member: str | None = None
    ) -> tuple[int, Any, float]:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if member:
            headers["Acting-Member"] = member
        payload = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except OSError:
            self.conn.close()
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, None, time.perf_counter() - started
        elapsed = time.perf_counter() - started
        data = json.loads(raw) if raw else None
        return response.status, data, elapsed


def seed(client: Client, rng: random.Random) -> list[str]:
    members = []
    for i in range(MEMBERS):
        status, body, _ = client.call("POST", "/v1/members", {
            "external_ref": f"soak-{i}", "name": f"Member {i}", "headline": "Soak test",
            "contact": {"email": f"soak{i}@example.com"},
        })  # fmt: skip
        assert status == 201, (status, body)
        members.append(body["id"])
    for a in members:
        for b in rng.sample(members, 12):
            if a != b:
                status, body, _ = client.call(
                    "PUT", f"/v1/members/{a}/relationships/{b}", {"trust": rng.randint(3, 5)}
                )
                assert status == 200, (status, body)
    return members


@dataclass
class Stats:
    latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_operation(client: Client, rng: random.Random, members: list[str],
                  intros: list[tuple[str, str, str, str]]) -> tuple[str, int, float]:  # fmt: skip
    roll = rng.random()
    if roll < 0.30:
        who = rng.choice(members)
        status, _, took = client.call("GET", "/v1/introductions?limit=20", member=who)
        return "list_intros", status, took
    if roll < 0.45:
        status, _, took = client.call("GET", f"/v1/members/{rng.choice(members)}",
                                      member=rng.choice(members))  # fmt: skip
        return "get_member", status, took
    if roll < 0.50:
        status, _, took = client.call("GET", "/v1/members?limit=50")
        return "list_members", status, took
    if roll < 0.55:
        a, b = rng.sample(members, 2)
        status, _, took = client.call(
            "PUT", f"/v1/members/{a}/relationships/{b}", {"trust": rng.randint(3, 5)}
        )
        return "trust", status, took
    if roll < 0.70 or not intros:
        requester, introducer, target = rng.sample(members, 3)
        status, body, took = client.call("POST", "/v1/introductions", {
            "introducer_id": introducer, "target_id": target,
            "reason": "Soak traffic: a realistic reason for asking.", "blurb": "A short blurb.",
        }, member=requester)  # fmt: skip
        if status == 201:
            intros.append((body["id"], requester, introducer, target))
            del intros[:-500]
        return "request", status, took
    intro_id, requester, introducer, target = rng.choice(intros)
    if roll < 0.75:
        status, _, took = client.call("GET", f"/v1/introductions/{intro_id}", member=requester)
        return "get_intro", status, took
    action, actor = rng.choice([
        ("consent", introducer), ("consent", introducer), ("decline", introducer),
        ("opt-in", target), ("opt-in", requester), ("withdraw", requester),
    ])  # fmt: skip
    status, _, took = client.call("POST", f"/v1/introductions/{intro_id}/{action}",
                                  {}, member=actor)  # fmt: skip
    return action.replace("-", "_"), status, took


def load_process(port: int, key: str, seconds: float, clients: int, out: Any, ready: Any) -> None:
    rng = random.Random(7)  # noqa: S311 - load shape, not security
    members = seed(Client(port, key), rng)
    ready.set()
    stats = Stats()
    started = time.monotonic()
    stop_at = started + seconds

    def worker(n: int) -> None:
        local = random.Random(n)  # noqa: S311
        client = Client(port, key)
        intros: list[tuple[str, str, str, str]] = []
        while time.monotonic() < stop_at:
            name, status, took = one_operation(client, local, members, intros)
            minute = int((time.monotonic() - started) // 60)
            bad = (
                status == 0
                or status >= 500
                or (400 <= status < 500 and status not in EXPECTED_4XX[name])
            )
            with stats.lock:
                stats.latencies[minute].append(took)
                stats.counts[name] += 1
                if bad:
                    stats.errors[f"{name} {status}"] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({
        "latencies": {m: v for m, v in stats.latencies.items()},
        "counts": dict(stats.counts),
        "errors": dict(stats.errors),
    })  # fmt: skip


# Measuring ------------------------------------------------------------------------------


def worker_rss(master: subprocess.Popen[bytes]) -> list[int]:
    try:
        children = psutil.Process(master.pid).children()
    except psutil.NoSuchProcess:
        return []
    return sorted(c.memory_info().rss for c in children if c.is_running())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("VOUCH_SOAK_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--sample-seconds", type=float, default=10)
    parser.add_argument("--max-rss-growth", type=float, default=20.0)
    args = parser.parse_args()

    url = create_database(args.postgres_url)
    port = free_port()
    gunicorn = None
    try:
        key = migrate_and_create_key(url)
        gunicorn = start_gunicorn(service_env(url, port), port, args.workers)
        wait_ready(port)
        print(f"gunicorn pid {gunicorn.pid}, {args.workers} workers, port {port}, "
              f"database {make_url(url).database}, {args.clients} client threads")  # fmt: skip
        spawn = mp.get_context("spawn")
        results: Any = spawn.Queue()
        seeded = spawn.Event()
        load = spawn.Process(
            target=load_process,
            args=(port, key, args.minutes * 60, args.clients, results, seeded),
        )
        load.start()
        seeded.wait(timeout=600)
        print("seeded; traffic starts")
        samples: list[tuple[float, list[int]]] = []
        started = time.monotonic()
        report = None
        # Read the result while sampling: a child with a large result on a queue
        # does not exit until it is read.
        while report is None:
            samples.append((time.monotonic() - started, worker_rss(gunicorn)))
            try:
                report = results.get(timeout=args.sample_seconds)
            except queue.Empty:
                if not load.is_alive():
                    raise SystemExit("the load process died without a report") from None
        load.join()
        return print_report(report, samples, args)
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        drop_database(args.postgres_url, url)


def print_report(report: dict[str, Any], samples: list[tuple[float, list[int]]],
                 args: argparse.Namespace) -> int:  # fmt: skip
    all_latencies = [x for v in report["latencies"].values() for x in v]
    total = len(all_latencies)
    errors = sum(report["errors"].values())
    print("\nminute  requests   p50 ms   p99 ms")
    for minute in sorted(report["latencies"], key=int):
        values = report["latencies"][minute]
        print(f"{int(minute):>6} {len(values):>9} {percentile(values, .5) * 1000:>8.1f} "
              f"{percentile(values, .99) * 1000:>8.1f}")  # fmt: skip
    print("\nRSS of gunicorn workers (MiB) over time")
    for at, rss in samples:
        print(f"  {at:>7.0f}s  " + "  ".join(f"{r / 2**20:6.1f}" for r in rss))
    warm = next((rss for at, rss in samples if at >= 60 and rss), samples[0][1] if samples else [])
    last = samples[-1][1] if samples else []
    growth = 100.0 * (sum(last) - sum(warm)) / sum(warm) if warm and last else 0.0
    print(f"\noperations: {json.dumps(report['counts'], sort_keys=True)}")
    print(f"errors: {errors} {json.dumps(report['errors'], sort_keys=True)}")
    print(f"total requests: {total} in {args.minutes:g} min ({total / (args.minutes * 60):.0f}/s)")
    mean = statistics.fmean(all_latencies) if all_latencies else 0.0
    p50, p99 = percentile(all_latencies, 0.5), percentile(all_latencies, 0.99)
    print(f"latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, mean {mean * 1000:.1f} ms")
    print(f"worker RSS total after warm-up {sum(warm) / 2**20:.1f} MiB, at the end "
          f"{sum(last) / 2**20:.1f} MiB ({growth:+.1f}%)")  # fmt: skip
    ok = errors == 0 and growth <= args.max_rss_growth
    print("SOAK PASSED" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
