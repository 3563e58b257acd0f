"""Profile the hot endpoints in-process (no gunicorn, no wrk): per-request time
for each, and a pyinstrument profile of one of them.

    python bench/profile.py                       # SQLite, scale 0.2, timings only
    python bench/profile.py --profile list        # plus a pyinstrument tree of the list
    python bench/profile.py --db postgres --scale 1

Timings are means over --requests requests through Flask's test client: the
cost of Vouch's own Python and SQL, without HTTP parsing. The CPU column counts
this process only (all of it on SQLite; PostgreSQL's own work is left out), so
it holds steady while other processes share the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fresh_database  # noqa: E402
from bench.seed import seed  # noqa: E402
from service.db import make_engine  # noqa: E402
from service.schema import upgrade  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", default=None, help="endpoint to profile")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="vouch-profile-"))
    url, drop = fresh_database(args.db, folder)
    try:
        upgrade(url)
        engine = make_engine(url)
        pools = seed(
            engine,
            members=int(10_000 * args.scale),
            introductions=int(50_000 * args.scale),
        )
        engine.dispose()
        from api import create_app

        app = create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "bench-secret-key",
                "DATABASE_URL": url,
                "BASE_URL": "https://vouch.bench",
                "OPEN_REQUEST_CAP": 100000,
                "RATELIMIT_PER_KEY": "10000000 per minute",
                "MAIL_SERVER": "127.0.0.1",
            }
        )
        client = app.test_client()
        key = pools.api_key

        def call(method: str, path: str, member: str | None, body: dict | None = None) -> None:
            headers = {"Authorization": f"Bearer {key}"}
            if member:
                headers["Acting-Member"] = member
            response = client.open(
                path,
                method=method,
                headers=headers,
                data=json.dumps(body) if body else None,
                content_type="application/json" if body else None,
            )
            if response.status_code >= 300:
                raise SystemExit(f"{method} {path}: {response.status_code} {response.get_data()}")

        n = args.requests
        posts = iter(pools.posts)
        consents = iter(pools.consents)

        def pick(pool: list, i: int):  # noqa: ANN202
            return pool[i % len(pool)]

        endpoints = {
            "bare": lambda i: call("GET", "/healthz", None),
            "get": lambda i: call(
                "GET", f"/v1/introductions/{pick(pools.gets, i)[0]}", pick(pools.gets, i)[1]
            ),
            "list": lambda i: call("GET", "/v1/introductions?limit=20", pick(pools.lists, i)),
            "paths": lambda i: call(
                "GET",
                "/v1/members/{}/paths?to={}".format(*pick(pools.paths, i)),
                pick(pools.paths, i)[0],
            ),
            "post": lambda i: _post(call, next(posts)),
            "consent": lambda i: _consent(call, next(consents)),
        }
        for name, fn in endpoints.items():
            for i in range(20):
                fn(i)
            if name == args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                profiler.start()
            started, cpu = time.perf_counter(), time.process_time()
            for i in range(n):
                fn(i + 20)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if name == args.profile:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            print(
                f"{name:8s} {elapsed / n * 1000:7.2f} ms/request wall, "
                f"{cpu / n * 1000:7.2f} ms CPU in this process",
                flush=True,
            )
    finally:
        drop()


def _post(call, triple) -> None:
    r, x, t = triple
    call(
        "POST",
        "/v1/introductions",
        r,
        {
            "introducer_id": x,
            "target_id": t,
            "reason": "Advice on pipelines, please.",
            "blurb": "Data engineer at a small startup.",
        },
    )


def _consent(call, pair) -> None:
    i, x = pair
    call("POST", f"/v1/introductions/{i}/consent", x, {"note": "Good people."})


if __name__ == "__main__":
    main()
