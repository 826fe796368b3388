"""The import's deferred books' postings alone, on a snapshot: CPU seconds and a digest.

    .venv/bin/python bench/bench_postings.py [--lines 100000] [--people 30000] [--rounds 2]

Builds once (and reuses) ``bench/.data/postings-<lines>-<people>/``: the year of
``bench_import.py`` imported exactly as ``merdeka import`` does, every file committed
and the review pass done, but the outbox's rows of ``books.orders_imported`` left
waiting. Then, on a copy of it, each round delivers them as the outbox does
(``events._deliver``, until none is left) inside one transaction rolled back after, and
prints the CPU seconds of the delivery (``time.thread_time``) and, after the first
round, a digest of the books' tables it wrote (rows hashed in order: the journal's
entries with their chain places and hashes, lines, ``AccountDay``, ``ProfitDay``,
``JournalMonth``, the chain's head). Two trees give the same digest when they post the
same books; run it from each (a detached worktree of the base: its ``sys.path`` wins)
on the same snapshot, alternating, to compare CPU on a shared machine. SQLite only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TABLES = {
    "books_journalentry": "id, shop_id, date, source, key, memo, order_id, reverses_id, "
    "belongs_to, created_by_id, chain_seq, chain_hash",
    "books_journalline": "shop_id, entry_id, account_id, date, debit, credit",
    "books_accountday": "shop_id, account_id, date, debit, credit",
    "books_profitday": "shop_id, date, channel, product_id, name, sales, cost, units, "
    "units_without_cost, sales_without_cost",
    "books_journalmonth": "shop_id, month, account_id, source, debit, credit, lines, "
    "entries, first_seq, last_seq",
    "books_journalchain": "shop_id, head, genesis, seq",
}


def build(folder: Path, lines: int, people: int) -> None:
    """The snapshot: the year imported and reviewed, the deferred steps not delivered."""
    import bench_import

    building = folder.with_suffix(".tmp")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    bench_import.setup_django(str(building))
    from django.db import connection

    from merdeka.core import services
    from merdeka.imports import pipeline

    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug="toko-bench")
    files = bench_import.files_of(bench_import.dataset(lines, people))
    run = pipeline.run_create(shop=shop)
    for path, report in zip(
        files, pipeline.import_paths(shop=shop, run=run, paths=files), strict=True
    ):
        if report.state != "imported":
            raise SystemExit(f"{path.name}: {report.state}")
    pipeline.run_finish(run)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    building.rename(folder)


def digest() -> dict:
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table, columns in TABLES.items():
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}")
            hashed, count = hashlib.sha256(), 0
            for row in cursor.fetchall():
                hashed.update(repr(tuple(str(value) for value in row)).encode())
                count += 1
            found[table] = [count, hashed.hexdigest()[:16]]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    folder = ROOT / "bench" / ".data" / f"postings-{args.lines}-{args.people}"
    if not (folder / "merdeka.sqlite3").exists():
        print(f"building the snapshot in {folder} …", file=sys.stderr)
        build(folder, args.lines, args.people)
        print("built: run again to measure", file=sys.stderr)
        return
    work = Path(f"/tmp/bench-postings-{os.getpid()}")
    work.mkdir()
    for item in folder.iterdir():
        if item.is_file():
            shutil.copy(item, work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    os.environ["MERDEKA_DATA_DIR"] = str(work)
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from merdeka.books.orders import IMPORT_POSTINGS
    from merdeka.core import events
    from merdeka.core.models import EventOutbox

    subscriber = events._subscribers[IMPORT_POSTINGS]
    waiting = EventOutbox.unscoped.filter(subscriber=IMPORT_POSTINGS)
    shop_id = waiting.values_list("shop_id", flat=True).first()
    figures = {"rows": waiting.count(), "cpu_seconds": [], "wall_seconds": []}
    try:
        for round_ in range(args.rounds):
            with transaction.atomic():
                cpu, wall = time.thread_time(), time.perf_counter()
                while events._deliver(
                    subscriber, limit=events.DRAIN_BATCH, now=timezone.now(), shop_id=shop_id
                ):
                    pass
                figures["cpu_seconds"].append(round(time.thread_time() - cpu, 3))
                figures["wall_seconds"].append(round(time.perf_counter() - wall, 3))
                if round_ == 0:
                    figures["digest"] = digest()
                transaction.set_rollback(True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["load_average"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
