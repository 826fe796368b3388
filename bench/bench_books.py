"""The books' backfill on the 1M-line benchmark's orders: orders posted per second.

    .venv/bin/python bench/bench_books.py [--lines 1000000] [--people 300000]
    .venv/bin/python bench/bench_books.py --database-url postgres://postgres@127.0.0.1:5432/bench_books

Builds once (and reuses afterwards) the shop of ``bench_import.py``: the same generated
seller's year (Shopee, TikTok Shop, WhatsApp; cached in ``bench/.data/``) imported
exactly as ``merdeka import`` does. SQLite keeps that database in
``bench/.data/books-<lines>-<people>/``; PostgreSQL keeps it in the database of
``--database-url`` (made on first use; ``--rebuild`` starts it again).

Then, each run:

1. notes every account's balance as the live path (the import's ``order.imported``
   events) posted it, and empties the shop's journal;
2. runs ``merdeka books backfill``'s function over every order, timed: orders/s;
3. runs it a second time, which must post nothing;
4. checks that every account ends where the live path had put it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SLUG = "toko-bench"


def setup(args) -> None:
    folder = ROOT / "bench" / ".data" / f"books-{args.lines}-{args.people}"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    os.environ["MERDEKA_DATA_DIR"] = str(folder)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        create_database(args.database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def shop_built(args):
    """The benchmark's shop with its imported orders: found, or built now."""
    from django.core.management import call_command

    from merdeka.core import services
    from merdeka.core.models import Shop
    from merdeka.orders.models import Order

    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is not None and not args.rebuild and Order.unscoped.filter(shop=shop).exists():
        return shop, None
    import bench_import

    data = bench_import.dataset(args.lines, args.people)
    call_command("flush", interactive=False, verbosity=0)
    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug=SLUG)
    print(f"importing {args.lines:,} order lines once (reused by later runs) …", flush=True)
    totals = bench_import.run_import(shop, bench_import.files_of(data))
    return shop, round(totals["seconds"], 1)


def account_totals(shop) -> dict[str, int]:
    from django.db.models import Sum

    from merdeka.books.models import AccountDay
    from merdeka.core.scoping import shop_scope

    with shop_scope(shop):
        rows = (
            AccountDay.objects.filter(shop=shop)
            .values("account__key", "account__code")
            .annotate(d=Sum("debit"), c=Sum("credit"))
        )
        return {
            r["account__key"] or r["account__code"]: r["d"] - r["c"]
            for r in rows
            if r["d"] - r["c"]
        }


def books_emptied(shop) -> None:
    """The shop's journal and day totals gone (accounts and settings stay)."""
    from django.db import transaction

    from merdeka.books.models import AccountDay, JournalEntry, JournalLine
    from merdeka.core.scoping import shop_scope

    with transaction.atomic(), shop_scope(shop):
        JournalLine.objects.filter(shop=shop)._raw_delete("default")
        JournalEntry.objects.filter(shop=shop).exclude(reverses=None).update(reverses=None)
        JournalEntry.objects.filter(shop=shop)._raw_delete("default")
        AccountDay.objects.filter(shop=shop)._raw_delete("default")


def counts(shop) -> tuple[int, int]:
    from merdeka.books.models import JournalEntry, JournalLine
    from merdeka.core.scoping import shop_scope

    with shop_scope(shop):
        return (
            JournalEntry.objects.filter(shop=shop).count(),
            JournalLine.objects.filter(shop=shop).count(),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rebuild", action="store_true", help="import the orders again")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup(args)

    from django.db import connection

    from merdeka.books.backfill import backfill
    from merdeka.orders.models import Order

    shop, import_seconds = shop_built(args)
    orders = Order.unscoped.filter(shop=shop).count()
    live = account_totals(shop)
    books_emptied(shop)

    started = time.perf_counter()
    written = backfill(shop=shop)
    seconds = time.perf_counter() - started
    entries, lines = counts(shop)
    started = time.perf_counter()
    again = backfill(shop=shop)
    second_seconds = time.perf_counter() - started
    after = account_totals(shop)
    figures = {
        "database": connection.vendor,
        "orders": orders,
        "import_seconds": import_seconds,
        "backfill_seconds": round(seconds, 2),
        "orders_per_second": round(orders / seconds),
        "entries": entries,
        "journal_lines": lines,
        "entries_written": written,
        "second_run_seconds": round(second_seconds, 2),
        "second_run_entries": again,
        "balances_as_live": after == live,
    }
    if after != live:
        figures["balances_differ"] = {
            k: (live.get(k), after.get(k))
            for k in set(live) | set(after)
            if live.get(k) != after.get(k)
        }
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(
            f"{key:>20}: {value:,}"
            if isinstance(value, int) and not isinstance(value, bool)
            else f"{key:>20}: {value}"
        )


if __name__ == "__main__":
    main()
