"""The sales kept per day (``merdeka.orders.sales_days``) always equal the order book
summed the way the reports summed it before (``sales.*_from_orders``): orders placed
by hand or written set-wise like an import, cancelled, repriced, edited or deleted by
any code, near midnight in the shop's zone, after the shop moves to another zone; and
for any sequence of such changes (hypothesis)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from contextlib import nullcontext
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle, sales, sales_days
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, OrderLine, SalesDay, SalesDirty
from merdeka.orders.services import Buyer

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")
WIB = dt.timezone(dt.timedelta(hours=7))
FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
GOODS = ["Nastar", "Kastengel", "Putri Salju", "Bolu Pandan"]
_ids = itertools.count(1)


def agree(shop, start=FIRST, end=LAST) -> None:
    """What the reports read equals the order book's own sums, to the rupiah."""
    for a, b in ((start, end), (start + dt.timedelta(days=20), end - dt.timedelta(days=30))):
        assert sales.sales_by_day(shop=shop, date_from=a, date_to=b) == (
            sales.sales_by_day_from_orders(shop=shop, date_from=a, date_to=b)
        )
        assert sales.top_products(shop=shop, date_from=a, date_to=b, limit=50) == (
            sales.top_products_from_orders(shop=shop, date_from=a, date_to=b, limit=50)
        )


def written(shop, orders: list[tuple], *, set_wise: bool = False) -> list[int]:
    """Orders ``(channel, moment, status, [(name, quantity, total)])`` written with
    plain inserts, no model, no hook; ``set_wise``: as an import writes them, their
    days marked at the end of the write (``marked_set_wise``), not per row."""
    ids = bulk.reserve_ids(Order, len(orders))
    rows, lines = [], []
    for new, (channel, at, status, items) in zip(ids, orders, strict=True):
        total = sum((Decimal(t) for _n, _q, t in items), Decimal(0))
        rows.append((new, shop.pk, channel, f"X{next(_ids)}", status, at, total, total))
        for position, (name, quantity, line_total) in enumerate(items):
            lines.append((shop.pk, new, position, name, quantity, Decimal(line_total),
                          Decimal(line_total)))  # fmt: skip
    with shop_scope(shop), transaction.atomic():
        marking = sales_days.marked_set_wise(shop_id=shop.pk) if set_wise else nullcontext()
        with marking:
            _insert(shop, rows, lines)
    return ids


def _insert(shop, rows, lines) -> None:
    bulk.insert(
        Order,
        ("id", "shop", "channel", "external_id", "status", "ordered_at", "total", "subtotal"),
        rows,
        shop_id=shop.pk,
    )
    bulk.insert(
        OrderLine,
        ("shop", "order", "position", "name", "quantity", "unit_price", "total"),
        lines,
        shop_id=shop.pk,
    )


def gone(order_id: int) -> None:
    """An order deleted with its lines by a plain DELETE (no model, nothing cascaded)."""
    OrderLine.objects.filter(order_id=order_id)._raw_delete("default")
    Order.objects.filter(pk=order_id)._raw_delete("default")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(FIRST + dt.timedelta(days=day), dt.time(hour, minute), WIB)


def test_the_days_follow_orders_written_set_wise_cancelled_repriced_and_deleted(ika_shop, ika):
    ids = written(
        ika_shop,
        [
            ("shopee", at(3, 0, 10), "completed", [("Nastar", 2, "170000.50")]),  # just after
            ("shopee", at(2, 23, 50), "completed", [("Nastar", 1, "85000")]),  # just before
            ("tiktok", at(3, 12), "shipped", [("Bolu Pandan", 1, "65000"), ("Nastar", 1, "1")]),
            ("lazada", at(40, 7), "cancelled", [("Kastengel", 3, "270000")]),
            ("whatsapp", at(60, 6, 59), "returned", [("Kastengel", 1, "90000")]),
        ],
    )
    agree(ika_shop)
    placed, _ = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=SARI,
        lines=[ManualLine(quantity=2, name="Putri Salju", unit_price=Decimal(55000))],
        idempotency_key="m1",
        delivery_method="pickup",
        payment_method="transfer",
    )
    agree(ika_shop, start=FIRST, end=dt.date.today() + dt.timedelta(days=2))
    lifecycle.order_cancel(shop=ika_shop, order_id=placed.pk, reason="batal", actor=ika)
    lifecycle.orders_reprice(shop=ika_shop, order_ids=[placed.pk], unit_price=Decimal(1))
    agree(ika_shop, start=FIRST, end=dt.date.today() + dt.timedelta(days=2))
    with shop_scope(ika_shop):  # any code, any way: the database marks the day
        Order.objects.filter(pk=ids[0]).update(total=Decimal("99999.49"))
        OrderLine.objects.filter(order_id=ids[2]).update(name="Bolu Pandan Besar")
        Order.objects.filter(pk=ids[1]).update(ordered_at=at(20, 9))
    agree(ika_shop)
    with shop_scope(ika_shop):
        gone(ids[2])
        assert SalesDirty.objects.filter(shop=ika_shop).exists()
    agree(ika_shop)
    with shop_scope(ika_shop):
        assert not SalesDirty.objects.filter(shop=ika_shop).exists()  # made and cleared


def test_a_shop_that_moves_to_another_zone_has_its_days_made_again(ika_shop):
    written(ika_shop, [("shopee", at(5, 23, 30), "completed", [("Nastar", 1, "85000")])])
    agree(ika_shop)
    ika_shop.time_zone = "Asia/Jayapura"  # WIT: 01:30 of the next day
    ika_shop.save(update_fields=["time_zone"])
    agree(ika_shop)
    with shop_scope(ika_shop):
        assert SalesDay.objects.get(shop=ika_shop).day == FIRST + dt.timedelta(days=6)


def test_another_shops_orders_are_not_in_the_days(ika_shop, citra_shop):
    written(ika_shop, [("shopee", at(1, 10), "completed", [("Nastar", 1, "85000")])])
    written(citra_shop, [("shopee", at(1, 10), "completed", [("Nastar", 1, "1000")])])
    agree(ika_shop)
    agree(citra_shop)
    assert sales.sales_by_day(shop=citra_shop, date_from=FIRST, date_to=LAST) == {
        FIRST + dt.timedelta(days=1): {"shopee": 1000}
    }


class _Rollback(Exception):
    pass


CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["write", "bulk", "cancel", "total", "rename", "move", "delete", "read"]),
        st.integers(min_value=0, max_value=89),  # a day of the period
        st.integers(min_value=0, max_value=23),  # an hour
        st.integers(min_value=1, max_value=4000).map(lambda n: Decimal(n) * 250 / 100),
        st.sampled_from(["shopee", "tiktok", "storefront", "whatsapp"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=CHANGES)
def test_any_sequence_of_changes_keeps_the_days_equal_to_the_order_book(ika_shop, changes):
    try:
        with transaction.atomic(), shop_scope(ika_shop):
            ids: list[int] = []
            for n, (change, day, hour, amount, channel) in enumerate(changes):
                pick = ids[n % len(ids)] if ids else None
                if change in ("write", "bulk") or pick is None:
                    items = [(GOODS[n % 4], 1 + hour % 3, str(amount))]
                    if hour % 2:
                        items.append((GOODS[(n + 1) % 4], 1, "1000.25"))
                    order = (channel, at(day, hour), "paid", items)
                    ids += written(ika_shop, [order], set_wise=change == "bulk")
                elif change == "cancel":
                    # a marketplace's order is refused: its channel holds the status
                    with contextlib.suppress(ServiceError):
                        lifecycle.order_cancel(shop=ika_shop, order_id=pick, reason="x")
                elif change == "total":
                    Order.objects.filter(pk=pick).update(total=amount)
                elif change == "rename":
                    OrderLine.objects.filter(order_id=pick).update(name=GOODS[hour % 4])
                elif change == "move":
                    Order.objects.filter(pk=pick).update(ordered_at=at(day, hour))
                elif change == "delete":
                    gone(pick)
                    ids.remove(pick)
                else:
                    agree(ika_shop)
            agree(ika_shop)
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar"])
def test_a_day_is_made_whole_from_the_utc_days_marked(zone, ika_shop):
    ika_shop.time_zone = zone
    ika_shop.save(update_fields=["time_zone"])
    written(
        ika_shop,
        [
            ("shopee", at(7, hour), "completed", [("Nastar", 1, str(1000 + hour))])
            for hour in (0, 6, 7, 8, 9, 16, 23)
        ],
    )
    agree(ika_shop)


def marks(shop) -> dict[dt.date, int]:
    with shop_scope(shop):
        return dict(SalesDirty.objects.filter(shop=shop).values_list("day", "version"))


def insert_triggers() -> set[str]:
    """The sales-day insert triggers the database has (SQLite's row triggers, or
    PostgreSQL's statement triggers)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()} & {
            "orders_sales_order_in",
            "orders_sales_line_in",
        }


def test_a_bulk_write_marks_its_days_once_and_an_ordinary_write_still_marks_its_own(
    ika_shop, citra_shop, ika
):
    orders = [
        ("shopee", at(3, 0, 10), "completed", [("Nastar", 2, "170000.50")]),  # 3 Oct UTC
        ("shopee", at(2, 23, 50), "completed", [("Nastar", 1, "85000"), ("Bolu", 1, "5")]),
        ("tiktok", at(3, 12), "shipped", [("Bolu Pandan", 1, "65000")]),  # 3 Oct UTC
    ]
    written(citra_shop, [("shopee", at(9, 10), "paid", [("Nastar", 1, "1000")])])  # before
    written(ika_shop, orders, set_wise=True)
    utc = {FIRST + dt.timedelta(days=2), FIRST + dt.timedelta(days=3)}
    # each day marked once (SQLite) or once per statement (PostgreSQL's statement
    # triggers: the orders' and the lines'), not once per row (5 rows on 3 October)
    assert set(marks(ika_shop)) == utc and max(marks(ika_shop).values()) <= 2
    assert marks(citra_shop) == {FIRST + dt.timedelta(days=9): 2}  # its order and line
    assert insert_triggers() == {"orders_sales_order_in", "orders_sales_line_in"}
    agree(ika_shop)
    assert not marks(ika_shop)
    # after the bulk write, every other writer's rows mark their days again
    written(ika_shop, [("lazada", at(40, 7), "paid", [("Kastengel", 3, "270000")])])
    assert set(marks(ika_shop)) == {FIRST + dt.timedelta(days=40)}
    with shop_scope(ika_shop):
        Order.objects.create(
            shop=ika_shop, channel="shopee", external_id="orm-1", ordered_at=at(50, 12),
            total=Decimal(1000),
        )  # fmt: skip
    assert set(marks(ika_shop)) == {FIRST + dt.timedelta(days=d) for d in (40, 50)}
    agree(ika_shop)


def test_a_bulk_write_that_fails_midway_keeps_the_triggers_and_every_mark(ika_shop):
    ids = bulk.reserve_ids(Order, 1)
    row = (ids[0], ika_shop.pk, "shopee", "half", "paid", at(7, 9), Decimal(5), Decimal(5))
    with (
        contextlib.suppress(_Rollback),
        shop_scope(ika_shop),
        transaction.atomic(),
        sales_days.marked_set_wise(shop_id=ika_shop.pk),
    ):
        _insert(ika_shop, [row], [])
        raise _Rollback  # the orders are written, the lines never come
    assert not marks(ika_shop)  # rolled back with the rows
    assert insert_triggers() == {"orders_sales_order_in", "orders_sales_line_in"}
    with (  # a failure the caller swallows
        shop_scope(ika_shop),
        transaction.atomic(),
        contextlib.suppress(_Rollback),
        sales_days.marked_set_wise(shop_id=ika_shop.pk),
    ):
        _insert(ika_shop, [row], [])
        raise _Rollback
    assert marks(ika_shop) == {FIRST + dt.timedelta(days=7): 1}  # what was written is marked
    assert insert_triggers() == {"orders_sales_order_in", "orders_sales_line_in"}
    agree(ika_shop)


def test_a_bulk_write_whose_transaction_must_roll_back_raises_its_own_error(ika_shop):
    """A database error inside the block leaves the transaction bound to roll back:
    nothing more is sent to it (the rollback brings the triggers back), and the
    caller sees the block's error, not "you can't execute queries"."""
    ids = bulk.reserve_ids(Order, 1)
    row = (ids[0], ika_shop.pk, "shopee", "doomed", "paid", at(8, 9), Decimal(5), Decimal(5))
    with (
        pytest.raises(_Rollback),
        shop_scope(ika_shop),
        transaction.atomic(),
        sales_days.marked_set_wise(shop_id=ika_shop.pk),
    ):
        _insert(ika_shop, [row], [])
        transaction.set_rollback(True)  # as a failed inner block without a savepoint leaves it
        raise _Rollback
    assert not marks(ika_shop)
    assert insert_triggers() == {"orders_sales_order_in", "orders_sales_line_in"}
    agree(ika_shop)


def test_a_bulk_writes_marks_read_its_rows_through_the_primary_key(ika_shop):
    """The set-wise mark reads the rows above the ids it noted, whatever statistics the
    planner has: never every order of the shop (a cost growing with the table)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL marks in its statement triggers")
    # a one-shop book of some size, measured: every index that starts with the shop
    # matches every row
    written(ika_shop, [("shopee", at(n % 80, 10), "paid", [("Nastar", 1, "1000")])
                       for n in range(300)])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + sales_days._MARK, [0, ika_shop.pk, 0, ika_shop.pk])
        plan = [row[-1] for row in cursor.fetchall()]
    reads = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert reads == [
        "SEARCH o USING INTEGER PRIMARY KEY (rowid>?)",
        "SEARCH l USING INTEGER PRIMARY KEY (rowid>?)",
        "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)",
        "SCAN written",
    ], plan
