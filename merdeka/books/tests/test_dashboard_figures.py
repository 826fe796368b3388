"""The dashboard's figures, read from kept totals and grouped queries, equal a plain
count of the orders and a plain sum of the journal's lines, after a mix of orders in
every state (cash on delivery or not, partly paid, shipped, cancelled) and expenses;
another shop's orders never count."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection

from merdeka.books import debts, services
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import DEBIT_NORMAL, DebtKind, JournalLine, Kind
from merdeka.books.posting import today
from merdeka.core.dashboard import dashboard
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, Status
from merdeka.orders.selectors import orders_waiting
from merdeka.orders.services import Buyer

OPEN_UNPAID = (Status.NEW, Status.AWAITING_PAYMENT)


def _order(shop, actor, key, rng):
    cod = rng.random() < 0.35
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=Buyer(name=f"Pembeli {key}", phone=f"0812-5555-{rng.randrange(1000, 9999)}"),
        lines=[
            ManualLine(
                quantity=rng.randint(1, 3),
                name="Bolu Pandan",
                unit_price=Decimal(rng.randint(5, 90) * 1000),
            )
        ],
        shipping_fee=Decimal(rng.choice([0, 9_000])),
        idempotency_key=key,
        delivery_method="courier" if cod or rng.random() < 0.5 else "pickup",
        payment_method="cod" if cod else "transfer",
    )
    return order


def _mix(shop, actor, rng, n):
    """``n`` orders, each taken some steps along its life."""
    for i in range(n):
        order = _order(shop, actor, f"{shop.slug}-{i}", rng)
        cod = order.payment_method == "cod"
        step = rng.choice(["new", "await", "part", "paid", "processing", "done", "cancel"])
        if step == "await" and not cod:
            lifecycle.orders_await_payment(shop=shop, order_ids=[order.pk], actor=actor)
        elif step == "part" and not cod:
            lifecycle.order_payment_record(
                shop=shop, order_id=order.pk, method="transfer", amount=Decimal(1_000), actor=actor
            )
        elif step in ("paid", "processing") and not cod:
            lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="qris", actor=actor)
            if step == "processing":
                lifecycle.order_status_set(
                    shop=shop, order_id=order.pk, to=Status.PROCESSING, actor=actor
                )
        elif step == "done":
            if not cod:
                lifecycle.order_payment_record(
                    shop=shop, order_id=order.pk, method="cash", actor=actor
                )
            if order.delivery_method != "pickup":
                lifecycle.order_ship(shop=shop, order_id=order.pk, courier="gosend", actor=actor)
            lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
        elif step == "cancel":
            lifecycle.order_cancel(shop=shop, order_id=order.pk, reason="Batal", actor=actor)


def _plain(shop, day):
    """Every figure the slow and obvious way: each order and each journal line read."""
    with shop_scope(shop):
        orders = list(Order.objects.filter(shop=shop))
        lines = list(
            JournalLine.objects.filter(shop=shop, date=day).values_list(
                "account__kind", "debit", "credit"
            )
        )
    is_cod = [o.payment_method == "cod" or o.delivery_method == "cod" for o in orders]
    to_process = sum(
        1
        for o, cod in zip(orders, is_cod, strict=True)
        if o.status in (Status.PAID, Status.PROCESSING) or (o.status in OPEN_UNPAID and cod)
    )
    unpaid = [
        o
        for o, cod in zip(orders, is_cod, strict=True)
        if o.status in OPEN_UNPAID and o.paid_at is None and not cod
    ]
    by_kind: dict[str, int] = {}
    for kind, debit, credit in lines:
        by_kind[kind] = by_kind.get(kind, 0) + (
            debit - credit if kind in DEBIT_NORMAL else credit - debit
        )
    sales, cost = by_kind.get(Kind.REVENUE, 0), by_kind.get(Kind.COST_OF_GOODS, 0)
    expenses = by_kind.get(Kind.EXPENSE, 0)
    week_end = day + dt.timedelta(days=7)
    owed = debts.owed_list(shop=shop, kind=DebtKind.RECEIVABLE, at=day, names=False)
    return {
        "to_process": to_process,
        "unpaid": len(unpaid),
        "unpaid_total": sum(o.total for o in unpaid),
        "sales": sales,
        "expenses": expenses,
        "profit": sales - cost - expenses,
        "receivables": sum(i.amount - i.paid for i in owed if i.due_date <= week_end),
    }


def test_the_dashboard_equals_a_plain_count_after_a_mix_of_orders(ika_shop, ika, citra_shop, citra):
    rng = random.Random(15)
    _mix(ika_shop, ika, rng, 40)
    _mix(citra_shop, citra, rng, 12)  # another shop's: never counted in Bu Ika's
    day = today(ika_shop)
    acc = accounts_by_key(shop=ika_shop, keys=["expense:packaging", "cash", "other_income"])
    services.expense_record(
        shop=ika_shop,
        key="kardus",
        amount=45_000,
        category_id=acc["expense:packaging"],
        paid_from_id=acc["cash"],
        actor=ika,
    )
    with shop_scope(ika_shop):
        buyer = Order.objects.filter(shop=ika_shop).first().customer_id
    for key, amount, due in (("dekat", 70_000, 3), ("jauh", 900_000, 30)):
        debts.debt_record(
            shop=ika_shop,
            kind=DebtKind.RECEIVABLE,
            key=key,
            amount=amount,
            counter_account_id=acc["other_income"],
            due_date=day + dt.timedelta(days=due),
            day=day,
            customer_id=buyer,
            actor=ika,
        )
    for shop in (ika_shop, citra_shop):
        dash = dashboard(shop=shop, membership=None)
        seen = {
            "to_process": dash["to_process"],
            "unpaid": dash["unpaid"],
            "unpaid_total": dash["unpaid_total"],
            "sales": dash["sales"],
            "expenses": dash["expenses"],
            "profit": dash["profit"],
            "receivables": dash["receivables"]["amount"],
        }
        plain = _plain(shop, today(shop))
        assert seen == plain, shop.slug
        if shop == ika_shop:
            assert plain["to_process"] and plain["unpaid"]  # the mix left orders open


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics")
def test_the_open_orders_are_found_through_the_index_in_a_big_order_book(ika_shop, ika):
    """SQLite's statistics of a shop whose 730,000 orders are all completed (the
    3M-line bench's, ``sqlite_stat1`` as ``ANALYZE`` wrote it there) make every status
    look like the whole book: the dashboard's query must still search the index (shop,
    status) for the open orders, not scan every order (140 ms of the home page there)."""
    _mix(ika_shop, ika, random.Random(7), 3)
    n = 726_674
    planted = {
        "order_shop_status": f"{n} {n} {n}",
        "order_customer": f"{n} {n} {n} 1836",
        "orders_order_ordered_at_6ce09183": f"{n} 1836",
        "orders_order_customer_id_0b76f6a4": f"{n} {n}",
        "orders_order_key_version_53aa34d6": f"{n} {n}",
        "orders_order_import_file_id_f14d8077": f"{n} {n}",
        "orders_order_city_index_5b2e74b6": f"{n} {n}",
        "sqlite_autoindex_orders_order_1": f"{n} {n}",  # public_token
        "sqlite_autoindex_orders_order_2": f"{n} {n} 103811 1",  # shop, channel, external_id
    }
    seen = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'orders_order'")
        for index, stat in planted.items():
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('orders_order', %s, %s)",
                [index, stat],
            )
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again
        with connection.execute_wrapper(keep):
            waiting = orders_waiting(shop=ika_shop)
        sql, params = next((s, p) for s, p in seen if "orders_order" in s)
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(row[-1] for row in cursor.fetchall())
    assert "order_shop_status" in plan, plan
    assert "SCAN orders_order" not in plan, plan
    assert waiting == {
        key: value
        for key, value in _plain(ika_shop, today(ika_shop)).items()
        if key in ("to_process", "unpaid", "unpaid_total")
    }
