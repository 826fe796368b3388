"""The books' backfill on the 1M-line benchmark's orders: orders posted per second.

    .venv/bin/python bench/bench_books.py [--lines 1000000] [--people 300000]
    .venv/bin/python bench/bench_books.py --database-url postgres://postgres@127.0.0.1:5432/bench_books

Builds once (and reuses afterwards) the shop of ``bench_import.py``: the same generated
seller's year (Shopee, TikTok Shop, WhatsApp; cached in ``bench/.data/``) imported
exactly as ``merdeka import`` does. SQLite keeps that database in
``bench/.data/books-<lines>-<people>/``; PostgreSQL keeps it in the database of
``--database-url`` (made on first use; ``--rebuild`` starts it again), with the very
same orders, payments and events copied set-wise from the SQLite build.

Then, each run:

1. notes every account's balance as the live path (the import's ``order.imported``
   events) posted it, and empties the shop's journal;
2. runs ``merdeka books backfill``'s function over every order, timed: orders/s;
3. runs it a second time, which must post nothing;
4. checks that every account ends where the sum of every order's ``target`` says, and
   where the live path (the import's postings) had put it, that the gross-profit
   days (``ProfitDay``) add up to the journal's net sales and cost of goods, that the
   kept months (``JournalMonth``) are the journal's lines grouped, and that the hash
   chain re-hashes from its genesis to its head.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SLUG = "toko-bench"


def setup(args) -> Path:
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
    return folder


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def shop_built(args, folder: Path):
    """The benchmark's shop with its imported orders: found, or built now. PostgreSQL
    takes the very same orders from the SQLite build (made first if missing), copied
    set-wise: importing a million lines again there measures the importer, not the
    books."""
    from django.core.management import call_command
    from django.db import connection

    from merdeka.core import services
    from merdeka.core.models import Shop
    from merdeka.orders.models import Order

    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is not None and not args.rebuild and Order.unscoped.filter(shop=shop).exists():
        return shop, None
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug=SLUG)
    if connection.vendor == "postgresql":
        source = folder / "merdeka.sqlite3"
        if not source.exists():
            subprocess.run(
                [sys.executable, __file__, "--lines", str(args.lines),
                 "--people", str(args.people), "--build-only"],
                check=True,
            )  # fmt: skip
        print(f"copying the orders of {source} …", flush=True)
        orders_copied(shop, source)
        return shop, round(time.perf_counter() - started, 1)
    import bench_import

    data = bench_import.dataset(args.lines, args.people)
    print(f"importing {args.lines:,} order lines once (reused by later runs) …", flush=True)
    bench_import.run_import(shop, bench_import.files_of(data))
    return shop, round(time.perf_counter() - started, 1)


def orders_copied(shop, source: Path) -> None:
    """The SQLite build's orders with their lines, payments, events and import files,
    into ``shop`` with the same ids (what the books read of them; customers and catalog
    links are left out)."""
    import sqlite3

    from django.core.management.color import no_style
    from django.db import connection, transaction

    from merdeka.core import bulk
    from merdeka.imports.models import ImportFile, ImportRun
    from merdeka.orders.models import Order, OrderEvent, OrderLine, Payment

    models = (ImportRun, ImportFile, Order, OrderLine, Payment, OrderEvent)
    with sqlite3.connect(source) as src, transaction.atomic():
        [old] = src.execute("SELECT id FROM core_shop WHERE slug = ?", [SLUG]).fetchone()
        for model in models:
            fields = model._meta.concrete_fields
            names = [f.name for f in fields]
            columns = ", ".join(f'"{f.column}"' for f in fields)
            blank = [
                i
                for i, f in enumerate(fields)
                if f.remote_field is not None and f.related_model not in (*models, type(shop))
            ]
            shop_at = names.index("shop")
            json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]

            def rows(cursor, blank=blank, shop_at=shop_at, json_at=json_at):
                for row in cursor:
                    row = list(row)
                    row[shop_at] = shop.pk
                    for i in blank:  # customers, users, deliveries: not copied
                        row[i] = None
                    for i in json_at:
                        row[i] = None if row[i] is None else json.loads(row[i])
                    yield row

            cursor = src.execute(
                f'SELECT {columns} FROM "{model._meta.db_table}" WHERE shop_id = ?',
                [old],
            )
            bulk.insert(model, names, rows(cursor), shop_id=shop.pk)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    bulk.analyze(*models)


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


def targets_total(shop) -> dict[str, int]:
    """What every order's postings should add up to, summed by account key: what the
    journal must hold once every order is posted exactly once."""
    from collections import Counter

    from merdeka.books.orders import orders_read, revenue_on, target
    from merdeka.core.scoping import shop_scope
    from merdeka.orders.models import Order

    rule = revenue_on(shop)
    with shop_scope(shop):
        ids = list(Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    total: Counter = Counter()
    for start in range(0, len(ids), 5000):
        books = orders_read(shop=shop, order_ids=ids[start : start + 5000])
        for order_id, order in books.orders.items():
            total.update(target(order, books.paid.get(order_id, {}), rule=rule))
    return {key: amount for key, amount in total.items() if amount}


def books_emptied(shop) -> None:
    """The shop's journal, its chain and its kept totals gone (accounts and settings
    stay): the backfill starts the chain from its genesis and makes every month."""
    from django.db import transaction

    from merdeka.books.models import (
        AccountDay,
        ChainMonthHead,
        JournalChain,
        JournalEntry,
        JournalLine,
        JournalMonth,
        ProfitDay,
    )
    from merdeka.core.scoping import shop_scope

    with transaction.atomic(), shop_scope(shop):
        for model in (JournalMonth, ChainMonthHead, JournalChain):
            model.objects.filter(shop=shop)._raw_delete("default")
        ProfitDay.objects.filter(shop=shop)._raw_delete("default")
        JournalLine.objects.filter(shop=shop)._raw_delete("default")
        JournalEntry.objects.filter(shop=shop).exclude(reverses=None).update(reverses=None)
        JournalEntry.objects.filter(shop=shop)._raw_delete("default")
        AccountDay.objects.filter(shop=shop)._raw_delete("default")
    vacuumed((AccountDay, ChainMonthHead, JournalChain, JournalEntry, JournalLine, JournalMonth,
              ProfitDay))  # fmt: skip
    statistics_forgotten()


def statistics_forgotten() -> None:
    """SQLite: the planner's statistics dropped, as a shop that never had a backfill
    has none (the import measures only the customer list's table): each run pays for
    measuring what it reads, as the first one would."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute(
                "DELETE FROM sqlite_stat1 WHERE tbl LIKE 'books_%' OR tbl IN "
                "('orders_order', 'orders_orderline', 'orders_orderevent', 'orders_payment', 'catalog_stockmove')"
            )
    connection.close()  # a new connection reads the statistics (none) afresh


def vacuumed(models) -> None:
    """PostgreSQL: the emptied tables' dead rows gone (``VACUUM``), as in a journal never
    written. Left there, every insert of a key deleted before checks the uniqueness
    against each dead copy of it: run after run the backfill slowed down (the gross-profit
    days' upsert from 0.2 s to 1.3 s after six runs, measured)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


def profit_days_total(shop) -> dict[str, int]:
    """The gross-profit days summed: net sales and cost of goods."""
    from django.db.models import Sum

    from merdeka.books.models import ProfitDay
    from merdeka.core.scoping import shop_scope

    with shop_scope(shop):
        found = ProfitDay.objects.filter(shop=shop).aggregate(s=Sum("sales"), c=Sum("cost"))
    return {"sales": found["s"] or 0, "cost": found["c"] or 0}


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
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = setup(args)

    from django.db import connection

    from merdeka.books.backfill import backfill
    from merdeka.books.chain import chain_check
    from merdeka.books.totals import journal_month_sums, journal_month_truth
    from merdeka.orders.models import Order

    shop, import_seconds = shop_built(args, folder)
    if args.build_only:
        return
    orders = Order.unscoped.filter(shop=shop).count()
    live = account_totals(shop)
    books_emptied(shop)

    started, cpu = time.perf_counter(), time.process_time()
    written = backfill(shop=shop)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    entries, lines = counts(shop)
    started = time.perf_counter()
    again = backfill(shop=shop)
    second_seconds = time.perf_counter() - started
    after = account_totals(shop)
    wanted = targets_total(shop)
    figures = {
        "database": connection.vendor,
        "load_average": " ".join(f"{n:.1f}" for n in os.getloadavg()),
        "orders": orders,
        "build_seconds": import_seconds,
        "backfill_seconds": round(seconds, 2),
        "orders_per_second": round(orders / seconds),
        # this process's CPU: on SQLite the whole of the work (the database is in it),
        # and the figure that moves least on a shared machine
        "backfill_cpu_seconds": round(cpu, 2),
        "orders_per_cpu_second": round(orders / cpu),
        "entries": entries,
        "journal_lines": lines,
        "entries_written": written,
        "second_run_seconds": round(second_seconds, 2),
        "second_run_entries": again,
        "balances_as_targets": after == wanted,
        # the gross-profit days add up to the journal's net sales and cost of goods
        "profit_days_as_journal": profit_days_total(shop)
        == {
            "sales": -(after.get("sales", 0) + after.get("discounts", 0)),
            "cost": after.get("cost_of_goods", 0),
        },
        "balances_as_live": (after == live) if live else "no live postings to compare",
        # the months kept as the journal's lines grouped, and the hash chain re-hashed
        "months_as_journal": journal_month_sums(shop=shop) == journal_month_truth(shop=shop),
        "chain_checks": chain_check(shop=shop).ok,
    }
    for name, expected in (("targets", wanted), ("live", live)):
        if expected and after != expected:
            figures[f"differ_from_{name}"] = {
                k: (expected.get(k), after.get(k))
                for k in set(expected) | set(after)
                if expected.get(k) != after.get(k)
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
