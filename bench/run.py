"""Benchmark Vouch as an operator would run it, against the ceiling of a bare route.

For each database (SQLite in WAL mode, and PostgreSQL): a fresh database, the
seed of bench/seed.py, the service under gunicorn (workers = cores), and wrk
driving each endpoint from a separate process on loopback; then the outbox
worker draining queued emails into a local SMTP sink over one connection per
batch. Prints one table (also written to bench/results/last.md).

    python bench/run.py                 # both databases, 10 s per endpoint
    python bench/run.py --db sqlite --seconds 5 --scale 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import Pools, seed  # noqa: E402
from service.db import make_engine  # noqa: E402
from service.schema import upgrade  # noqa: E402

PG_ADMIN = os.environ.get(
    "VOUCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CONNECTIONS = 8
TARGETS = {"get": 0.6, "list": 0.4, "post": 0.35, "consent": 0.35}


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(kind: str, folder: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        return url, lambda: None
    name = f"vouch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def write_lines(path: Path, lines: list[str]) -> Path:
    """Writes the lines for the measured run, and the last 30% apart for the
    warm-up, so one-shot requests (POST, consent) are never sent twice."""
    cut = max(1, int(len(lines) * 0.7)) if len(lines) > 1 else 1
    path.write_text("\n".join(lines[:cut]) + "\n")
    warm = lines[cut:] or lines
    path.with_suffix(".warm").write_text("\n".join(warm) + "\n")
    return path


def request_files(pools: Pools, folder: Path) -> dict[str, Path]:
    def line(method: str, path: str, member: str | None, body: dict | None) -> str:
        return "\t".join(
            [method, path, member or "-", json.dumps(body) if body is not None else "-"]
        )

    return {
        "bare": write_lines(folder / "bare.txt", [line("GET", "/healthz", None, None)]),
        "get": write_lines(
            folder / "get.txt",
            [line("GET", f"/v1/introductions/{i}", m, None) for i, m in pools.gets],
        ),
        "list": write_lines(
            folder / "list.txt",
            [line("GET", "/v1/introductions?limit=20", m, None) for m in pools.lists],
        ),
        "post": write_lines(
            folder / "post.txt",
            [
                line(
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
                for r, x, t in pools.posts
            ],
        ),
        "consent": write_lines(
            folder / "consent.txt",
            [
                line("POST", f"/v1/introductions/{i}/consent", x, {"note": "Good people."})
                for i, x in pools.consents
            ],
        ),
        "paths": write_lines(
            folder / "paths.txt",
            [line("GET", f"/v1/members/{r}/paths?to={t}", r, None) for r, t in pools.paths],
        ),
    }


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOUCH_ENV": "production",
        "VOUCH_SECRET_KEY": "bench-secret-key",
        "VOUCH_DATABASE_URL": url,
        "VOUCH_BASE_URL": "https://vouch.bench",
        "VOUCH_OPEN_REQUEST_CAP": "100000",
        "VOUCH_RATELIMIT_PER_KEY": '"10000000 per minute"',
        "VOUCH_MAIL_SERVER": "127.0.0.1",
    }
    process = subprocess.Popen(
        [
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "api:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def worker_rss_mb(master: int) -> list[float]:
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split()
            if int(fields[3]) != master:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sizes


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(name: str, port: int, key: str, lines: Path, seconds: int) -> Result:
    threads = 2
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ROOT / "bench/lua/replay.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        key,
        str(lines),
        str(threads),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Result(name, rps, p50, p99, count)


def worker_throughput(url: str, emails: int) -> tuple[float, int]:
    """Drain the outbox into an SMTP sink (bench/smtp_sink.py: a lean SMTP server
    in its own process); returns (emails/s, emails sent). The sink's own count of
    accepted messages must match what the worker recorded as sent."""
    from bench.smtp_sink import start_sink, stop_sink

    sink, port = start_sink()
    try:
        from api import create_app
        from api.cli_worker import build_mailer, delivery_policy
        from service.delivery import DeliveryReport, deliver_due

        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench-secret-key",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_DEFAULT_SENDER": "vouch@bench.example",
                "WORKER_BATCH_SIZE": 200,
            }
        )
        with app.app_context():
            deps = app.extensions["vouch"]
            mailer = build_mailer(app)
            policy = delivery_policy(app)
            total = DeliveryReport()
            started = time.perf_counter()
            while (report := deliver_due(deps, mailer, policy)).claimed:
                total.add(report)
            elapsed = time.perf_counter() - started
    finally:
        received = stop_sink(sink)
    if received is not None and received != total.sent:
        raise RuntimeError(f"the sink accepted {received} emails, the worker recorded {total.sent}")
    return total.sent / elapsed if elapsed else 0.0, total.sent


def bench_database(kind: str, seconds: int, scale: float) -> tuple[list[Result], dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix=f"vouch-bench-{kind}-"))
    url, drop = fresh_database(kind, folder)
    gunicorn = None
    try:
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        pools = seed(
            engine,
            members=int(10_000 * scale),
            introductions=int(50_000 * scale),
            queued_emails=int(5_000 * scale),
        )
        engine.dispose()
        print(f"[{kind}] seeded in {time.perf_counter() - started:.1f}s", flush=True)
        files = request_files(pools, folder)
        port = free_port()
        gunicorn = start_gunicorn(url, port, os.cpu_count() or 2)
        results = []
        for name in ("bare", "get", "list", "paths", "post", "consent"):
            run_wrk(name, port, pools.api_key, files[name].with_suffix(".warm"), 2)  # warm-up
            results.append(run_wrk(name, port, pools.api_key, files[name], seconds))
            print(f"[{kind}] {results[-1]}", flush=True)
        rss = worker_rss_mb(gunicorn.pid)
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        gunicorn = None
        rate, sent = worker_throughput(url, 0)
        extra = {
            "rss_max_mb": max(rss) if rss else 0.0,
            "worker_emails_per_s": rate,
            "worker_sent": sent,
        }
        return results, extra
    finally:
        if gunicorn is not None:
            gunicorn.kill()
        drop()
        shutil.rmtree(folder, ignore_errors=True)


def table(kind: str, results: list[Result], extra: dict[str, float]) -> str:
    bare = results[0].rps or float("nan")
    rows = [
        f"### {kind}",
        "",
        "| endpoint | req/s | ratio to bare | target | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "bare": "bare Flask JSON route (/healthz)",
        "get": "GET /v1/introductions/{id}",
        "list": "GET /v1/introductions (member's page of 20)",
        "paths": "GET /v1/members/{id}/paths (1-hop)",
        "post": "POST /v1/introductions",
        "consent": "POST /v1/introductions/{id}/consent",
    }
    for r in results:
        target = TARGETS.get(r.name)
        wanted = f">= {target}" if target else ""
        rows.append(
            f"| {labels[r.name]} | {r.rps:,.0f} | {r.rps / bare:.2f} | {wanted} | "
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |"
        )
    rows.append("")
    rows.append(
        f"outbox worker: {extra['worker_emails_per_s']:,.0f} emails/s "
        f"({extra['worker_sent']} emails into a local SMTP sink); "
        f"max RSS per gunicorn worker: {extra['rss_max_mb']:.0f} MB"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the seed size")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    out = [
        f"Machine: {os.cpu_count()} cores, {platform_line()}; {CONNECTIONS} connections, "
        f"{args.seconds} s per endpoint, seed scale {args.scale}",
        "",
    ]
    for kind in kinds:
        results, extra = bench_database(kind, args.seconds, args.scale)
        out.append(table(kind, results, extra))
        out.append("")
    report = "\n".join(out)
    print(report)
    results_dir = ROOT / "bench/results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "last.md").write_text(report)


def platform_line() -> str:
    import platform

    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{platform.processor() or platform.machine()}{mem}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
