"""The backfill writes set-wise, many orders a batch: whatever the size of its batches,
it writes the very journal, chain, day totals and gross-profit days that posting the
orders one at a time writes."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from django.db import transaction

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
