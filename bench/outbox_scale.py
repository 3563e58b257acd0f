"""The outbox as it grows: drain N queued emails into an SMTP sink on PostgreSQL
(or SQLite) and report emails/s, with the due-row index doing the claiming.

    python bench/outbox_scale.py --emails 50000 --db postgres
    python bench/outbox_scale.py --emails 5000 --db sqlite --sink aiosmtpd

Prints the rate of each slice of --step emails as the drain goes, so a claim that
slows down with the backlog shows, then the overall rate. The sink's own count
of accepted messages must match the rows marked sent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fresh_database  # noqa: E402
from bench.seed import seed  # noqa: E402
from bench.smtp_sink import start_sink, stop_sink  # noqa: E402
from service.db import make_engine  # noqa: E402
from service.schema import upgrade  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=50_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean")
    parser.add_argument("--step", type=int, default=10_000, help="report every N emails")
    args = parser.parse_args()
    url, drop = fresh_database(args.db, Path(tempfile.mkdtemp()))
    sink, port = start_sink(args.sink)
    received = None
    try:
        upgrade(url)
        seed(make_engine(url), members=1000, introductions=1000, queued_emails=args.emails)
        from api import create_app
        from api.cli_worker import build_mailer, delivery_policy
        from service.delivery import deliver_batch

        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port, "MAIL_DEFAULT_SENDER": "vouch@bench.example",
            "WORKER_BATCH_SIZE": 200,
        })  # fmt: skip
        with app.app_context():
            deps = app.extensions["vouch"]
            mailer = build_mailer(app)
            policy = delivery_policy(app)
            sent = 0
            started = slice_started = time.perf_counter()
            slice_from = 0
            while sent < args.emails:
                report = deliver_batch(deps, mailer, policy)
                if report.sent == 0:
                    break
                sent += report.sent
                if sent - slice_from >= args.step:
                    now = time.perf_counter()
                    rate = (sent - slice_from) / (now - slice_started)
                    print(f"  {slice_from:>7,}-{sent:<7,} {rate:,.0f} emails/s", flush=True)
                    slice_from, slice_started = sent, now
            elapsed = time.perf_counter() - started
    finally:
        received = stop_sink(sink)
        drop()
    print(
        f"{args.db}: {sent} emails in {elapsed:.1f} s = {sent / elapsed:,.0f} emails/s "
        f"(sink: {args.sink}, accepted {received if received is not None else '?'})"
    )
    if received is not None and received != sent:
        raise SystemExit(f"the sink accepted {received} emails, the worker recorded {sent}")


if __name__ == "__main__":
    main()
