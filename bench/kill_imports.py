"""Kill tests across the import path: SIGKILL of the web worker taking an upload and of
the task worker importing it, at seeded moments, then the scheduler's sweep; counts the
runs left stuck, the partial writes and the files left behind (all must be 0).

    .venv/bin/python bench/kill_imports.py [--points 60] [--seed 19] [--orders 2000]
    .venv/bin/python bench/kill_imports.py --database-url postgres://postgres@127.0.0.1/kill

The processes are the real ones (``merdeka/imports/tests/killing.py``): gunicorn as
``merdeka run`` starts it, a real HTTP upload sent in pieces, ``merdeka db_worker``.
Half the points kill the web worker, half the task worker. A fresh data directory and
database (SQLite, or the PostgreSQL database named, dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=60)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    # stopped early: still stop the web server it started (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    scratch = Path(tempfile.mkdtemp(prefix="merdeka-kill-"))
    data = scratch / "data"
    env = {
        **os.environ,
        "MERDEKA_DATA_DIR": str(data),
        "MERDEKA_TESTING": "1",
        "MERDEKA_TEST_DB_TASKS": "1",
        "DJANGO_SETTINGS_MODULE": "merdeka.settings",
        "PYTHONPATH": str(ROOT),
    }
    if args.database_url:
        import psycopg  # local: only with --database-url

        base, _sep, name = args.database_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = args.database_url
    else:
        env["DATABASE_URL"] = f"sqlite:///{data / 'merdeka.sqlite3'}"
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from merdeka.imports.tests import killing

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    bench = killing.Bench(env=env, workdir=scratch, orders=args.orders, seed=args.seed)
    outcomes = []
    try:
        bench.calibrate()
        print(f"upload window {bench.upload_window:.2f} s, import window {bench.task_window:.2f} s")
        for point in range(args.points):
            outcome = (bench.kill_task if point % 2 else bench.kill_web)(point)
            outcomes.append(outcome)
            print(
                f"#{point} {outcome.where} after {outcome.delay:.3f} s: {outcome.stage}"
                + (f"  PROBLEMS {outcome.problems}" if outcome.problems else ""),
                flush=True,
            )
    finally:
        bench.close()
        shutil.rmtree(scratch, ignore_errors=True)
    problems = [p for o in outcomes for p in o.problems]
    summary = {
        "points": len(outcomes),
        "seed": args.seed,
        "orders_per_file": args.orders,
        "database": "postgresql" if args.database_url else "sqlite",
        "by_kind": dict(Counter(o.where for o in outcomes)),
        "stages": dict(Counter(f"{o.where}: {o.stage}" for o in outcomes)),
        "stuck": sum(1 for p in problems if "stuck" in p),
        "partial_writes": sum(1 for p in problems if "partial" in p),
        "files_left": sum(1 for p in problems if "files left" in p),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(summary, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
