"""The backfill writes set-wise, many orders a batch: whatever the size of its batches,
it writes the very journal, chain, day totals and gross-profit days that posting the
orders one at a time writes."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.db import connection, transaction

from merdeka.books import backfill as backfill_module
from merdeka.books.backfill import backfill
from merdeka.books.chain import chain_check
from merdeka.books.models import AccountDay, JournalEntry, JournalLine, ProfitDay
from merdeka.books.orders import IMPORT_POSTINGS
from merdeka.books.tests.test_costs import buy, sell
from merdeka.books.tests.test_orders import SARI, by_key
from merdeka.books.tests.test_profit import profit_days_agree
from merdeka.books.tests.test_skus import ORDERS, run_import, variant_with_cost
from merdeka.books.tests.test_totals import journal_months_agree
from merdeka.catalog import services as catalog
from merdeka.core import bulk, events
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.storefront.tests.conftest import make_product


class _Rollback(Exception):
    pass


def placed(shop, actor, key, price, payment="transfer", delivery="pickup"):
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[
            ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price)),
            ManualLine(quantity=2, name="Nastar", unit_price=Decimal(price // 4)),
        ],
        idempotency_key=key,
        delivery_method=delivery,
        payment_method=payment,
    )
    return order


def orders_made_before_the_books(shop, actor, capsys) -> None:
    """Imported orders (one line mapped to a variant with a cost), catalog orders whose
    goods left at the moving average, and manual orders in every state, none posted."""
    _product, [kastengel] = make_product(shop, name="Kastengel", stock=0)
    variant_with_cost(shop, actor, "Nastar Keju Premium", "NST-500", 30000)
    home = catalog.location_default(shop=shop)
    # the books listen to the seller's changes and (after the commit) to imports
    saved = events._subscribers.pop("books.orders")
    saved_imported = events._subscribers.pop(IMPORT_POSTINGS)
    try:
        run_import(capsys, shop, ORDERS)
        buy(shop, kastengel, home, 10, 1000)
        sell(shop, actor, kastengel, 3, "s1")
        buy(shop, kastengel, home, 5, 1600)
        sell(shop, actor, kastengel, 4, "s2", payment="transfer")
        paid = placed(shop, actor, "p1", 40000)
        lifecycle.order_payment_record(shop=shop, order_id=paid.pk, method="qris", actor=actor)
        done = placed(shop, actor, "p2", 52000)
        lifecycle.order_payment_record(shop=shop, order_id=done.pk, method="transfer", actor=actor)
        lifecycle.order_complete(shop=shop, order_id=done.pk, actor=actor)
        unpaid = placed(shop, actor, "p3", 36000, payment="cod", delivery="courier")
        lifecycle.order_ship(
            shop=shop, order_id=unpaid.pk, courier="jne", tracking="JP1234567890", actor=actor
        )
        lifecycle.order_complete(shop=shop, order_id=unpaid.pk, actor=actor)
        gone = placed(shop, actor, "p4", 28000)
        lifecycle.order_payment_record(shop=shop, order_id=gone.pk, method="transfer", actor=actor)
        lifecycle.order_cancel(shop=shop, order_id=gone.pk, reason="Batal", actor=actor)
        placed(shop, actor, "p5", 12000)  # placed only: nothing to post
    finally:
        events._subscribers["books.orders"] = saved
        events._subscribers[IMPORT_POSTINGS] = saved_imported


def books_written(shop) -> dict:
    """The journal (each entry by its key, ids left out: they are drawn anew), each
    order's entries in chain order, the chain's check, the day totals and the
    gross-profit days."""
    with shop_scope(shop):
        lines: dict[int, list] = {}
        for entry_id, account, debit, credit in JournalLine.objects.filter(shop=shop).values_list(
            "entry_id", "account__code", "debit", "credit"
        ):
            lines.setdefault(entry_id, []).append((account, debit, credit))
        entries, chained = {}, {}
        for row in (
            JournalEntry.objects.filter(shop=shop)
            .order_by("chain_seq")
            .values_list("pk", "key", "date", "source", "memo", "order_id", "belongs_to")
        ):
            entries[row[1]] = (*row[2:], sorted(lines[row[0]]))
            chained.setdefault(row[5], []).append(row[1])
        days = sorted(
            AccountDay.objects.filter(shop=shop).values_list(
                "account__code", "date", "debit", "credit"
            )
        )
        profit = sorted(
            ProfitDay.objects.filter(shop=shop).values_list(
                "date", "channel", "product_id", "name", "sales", "cost", "units",
                "units_without_cost", "sales_without_cost",
            )
        )  # fmt: skip
    check = chain_check(shop=shop)
    return {
        "entries": entries,
        "chained": chained,
        "chain": (check.ok, check.entries, check.problem),
        "days": days,
        "profit": profit,
    }


def test_a_backfill_in_batches_writes_what_posting_order_by_order_writes(
    ika_shop, ika, capsys, monkeypatch
):
    orders_made_before_the_books(ika_shop, ika, capsys)
    assert by_key(ika_shop) == {"inventory": 318000, "capital": 300000, "payable": 18000}
    # one order at a time: a batch of one
    monkeypatch.setattr(backfill_module, "BATCH", 1)
    with contextlib.suppress(_Rollback), transaction.atomic():
        assert backfill(shop=ika_shop) > 0
        one_by_one = books_written(ika_shop)
        raise _Rollback
    # every order in one batch, its existing keys and goods read by id range
    monkeypatch.setattr(backfill_module, "BATCH", 10_000)
    monkeypatch.setattr(bulk, "LOOKUP_CHUNK", 2)
    assert backfill(shop=ika_shop) > 0
    in_batches = books_written(ika_shop)
    assert in_batches["chain"] == (True, len(in_batches["entries"]), "")
    assert in_batches == one_by_one
    assert backfill(shop=ika_shop) == 0
    profit_days_agree(ika_shop)
    journal_months_agree(ika_shop)  # grouped in the writer's one pass over a batch
    found = by_key(ika_shop)
    assert found["cost_of_goods"] == 60000 + 3 * 1000 + 4 * 1250  # imported; 3, then 4
    assert found["inventory"] == 318000 - found["cost_of_goods"]


def _plan(query) -> str:
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def _statistics(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return dict(cursor.fetchall())


def test_the_backfill_gives_the_planner_statistics_of_what_a_batch_reads(ika_shop, ika, capsys):
    """SQLite without statistics takes ``shop_id = ?`` for a handful of rows, and read a
    batch's postings through the shop's index: every journal line of the shop per batch,
    a run growing with the square of the journal (most of a 1M-line shop's backfill).
    The backfill measures the tables it reads first, and as the journal grows."""
    if connection.vendor != "sqlite":
        pytest.skip("the planner's statistics are SQLite's question (PostgreSQL analyzes)")
    orders_made_before_the_books(ika_shop, ika, capsys)
    assert backfill(shop=ika_shop) > 0
    lines = _statistics("books_journalline")
    entries = _statistics("books_journalentry")
    assert lines and entries
    # the shop's index picks every line of the shop; an order's entries are a few
    [shop_index] = [name for name in lines if name.startswith("books_journalline_shop_id")]
    [rows, per_shop] = map(int, lines[shop_index].split()[:2])
    assert per_shop == rows
    [order_index] = [name for name in entries if name.startswith("books_journalentry_order_id")]
    assert int(entries[order_index].split()[1]) <= 3


def test_an_imported_batch_measures_a_journal_never_measured(ika_shop, ika, capsys):
    if connection.vendor != "sqlite":
        pytest.skip("the planner's statistics are SQLite's question (PostgreSQL analyzes)")
    calls = []
    real = bulk.analyze
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "analyze", lambda *models: calls.append(models) or real(*models))
        patch.setattr(bulk, "LOOKUP_CHUNK", 2)  # the import's three orders are "many"
        run_import(capsys, ika_shop, ORDERS)
        # the import's batch came to an empty journal: nothing to measure yet; now it
        # has lines, and the first look measures them, once
        bulk.statistics_known(JournalEntry, JournalLine)
        assert _statistics("books_journalentry") and _statistics("books_journalline")
        calls.clear()
        bulk.statistics_known(JournalEntry, JournalLine)
    assert calls == []
