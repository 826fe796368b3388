"""What sold per day, kept from the order book so that the reports sum days, not orders.

The reports' sales (``merdeka.orders.sales``) are orders *placed*: counted on the
shop's day they were ordered, at their ``total``, cancelled and returned ones left out,
and their lines by name for the top products. They change with the order book, not the
journal (an order is placed long before it posts, its status or lines change, an
import brings thousands at once), and the order book has many writers (the lifecycle,
manual orders, the storefront, every importer, a restore). So the days are kept this
way:

* the database marks the UTC day of every order or order line written, changed or
  deleted (``SalesDirty``; triggers made by ``orders`` migration 0008 on SQLite and
  PostgreSQL): no writer, present or future, can forget to;
* a bulk writer (the import's writer) writes inside ``marked_set_wise``: the per-row
  insert triggers are paused for the block (SQLite; PostgreSQL's fire once per
  statement already) and the block's days are marked in one statement at its end,
  in the same transaction;
* ``sales_days_fresh`` (called by the readers) makes the marked days again from the
  order book — each one whole, so a day is always exactly what the orders say — and
  all of them the first time or after the shop moved to another time zone
  (``SalesKept``);
* the readers then sum ``SalesDay`` (per day and channel: whole rupiah, as the
  reports showed them) and ``ProductSalesDay`` (per day and line name: quantity,
  hundredths of a rupiah, lines).

A mark is removed only if it did not move while its days were made (its ``version``):
an order written meanwhile leaves its mark for the next read.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from merdeka.core import bulk, rawsql
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import (
    Order,
    OrderLine,
    ProductSalesDay,
    SalesDay,
    SalesDirty,
    SalesKept,
)
from merdeka.orders.selectors import CLOSED, _day_start

RUNS = 12  # more separate runs of marked days than this: one range over all of them


def rupiah(value) -> int:
    """An amount of the orders' columns as whole rupiah."""
    if value is None:
        return 0
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents(value) -> int:
    if value is None:
        return 0
    return int((Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# the insert triggers of ``orders`` migration 0008 (their definitions stay there)
INSERT_TRIGGERS = {Order: ["orders_sales_order_in"], OrderLine: ["orders_sales_line_in"]}
_TOPS = 'SELECT (SELECT MAX(id) FROM "orders_order"), (SELECT MAX(id) FROM "orders_orderline")'
# the UTC day of each order written and of each written line's order, as the triggers
# mark them (one more version per day and block, not per row: only "moved" is read).
# NOT INDEXED: the rows above the ids, through the primary key; the planner otherwise
# may read every order of the shop through an index that starts with the shop (seen
# with a one-shop database's statistics): a batch's cost would grow with the table.
_MARK = """
INSERT INTO orders_salesdirty (shop_id, day, version)
SELECT shop_id, day, 1 FROM (
  SELECT o.shop_id, date(o.ordered_at) AS day FROM orders_order o NOT INDEXED
  WHERE o.id > %s AND o.shop_id = %s
  UNION
  SELECT o.shop_id, date(o.ordered_at) FROM orders_orderline l NOT INDEXED
  JOIN orders_order o ON o.id = l.order_id
  WHERE l.id > %s AND l.shop_id = %s
) AS written WHERE true
ON CONFLICT (shop_id, day) DO UPDATE SET version = orders_salesdirty.version + 1
"""


@contextmanager
def marked_set_wise(*, shop_id: int) -> Iterator[None]:
    """Orders and order lines of shop ``shop_id`` inserted in the block mark their
    UTC days once, in one statement when it ends, instead of one trigger firing per
    row (SQLite: ``bulk.triggers_paused``; PostgreSQL's triggers fire once per
    statement already, over its rows, and are left as they are).

    Inside ``transaction.atomic()``: the marks are written in the block's transaction,
    so they land with its rows or not at all. The rows written must take new ids
    (``bulk.reserve_ids`` or the table's own), above every id there was when the
    block began: those are the rows whose days are marked. Updates and deletes in the
    block still fire their triggers."""
    if connection.vendor != "sqlite":
        yield
        return
    with rawsql.cursor() as cursor:
        tops = rawsql.execute_unscoped(cursor, _TOPS, why="the highest ids, not rows").fetchone()
    order_top, line_top = (top or 0 for top in tops)
    with (
        bulk.triggers_paused(Order, INSERT_TRIGGERS[Order]),
        bulk.triggers_paused(OrderLine, INSERT_TRIGGERS[OrderLine]),
    ):
        try:
            yield
        finally:  # also when the block failed: its rows may still be committed
            if not transaction.get_connection().needs_rollback:  # else nothing is
                with rawsql.cursor() as cursor:
                    rawsql.execute(
                        cursor, _MARK, [order_top, shop_id, line_top, shop_id], shop_id=shop_id
                    )


def local_days(shop, utc_day: dt.date) -> set[dt.date]:
    """The shop's days that moments of the UTC day ``utc_day`` fall on."""
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    first = dt.datetime.combine(utc_day, dt.time.min, tzinfo=dt.UTC).astimezone(zone).date()
    last = dt.datetime.combine(utc_day, dt.time.max, tzinfo=dt.UTC).astimezone(zone).date()
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


def _runs(days: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The days as runs of consecutive days (few runs: one range over them all)."""
    ordered = sorted(days)
    runs: list[list[dt.date]] = []
    for day in ordered:
        if runs and (day - runs[-1][1]).days <= 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    if len(runs) > RUNS:
        return [(ordered[0], ordered[-1])]
    return [(a, b) for a, b in runs]


def _make(shop, span: tuple[dt.date, dt.date] | None) -> None:
    """Make the days of ``span`` (both included; None: every day) from the order book."""
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    orders = Order.objects.filter(shop=shop).exclude(status__in=CLOSED)
    lines = OrderLine.objects.filter(shop=shop).exclude(order__status__in=CLOSED)
    kept_days, kept_products = SalesDay.objects.filter(shop=shop), ProductSalesDay.objects
    kept_products = kept_products.filter(shop=shop)
    if span is not None:
        start, end = _day_start(shop, span[0]), _day_start(shop, span[1] + dt.timedelta(days=1))
        orders = orders.filter(ordered_at__gte=start, ordered_at__lt=end)
        lines = lines.filter(order__ordered_at__gte=start, order__ordered_at__lt=end)
        kept_days = kept_days.filter(day__gte=span[0], day__lte=span[1])
        kept_products = kept_products.filter(day__gte=span[0], day__lte=span[1])
    kept_days.delete()
    kept_products.delete()
    SalesDay.objects.bulk_create(
        [
            SalesDay(shop=shop, day=day, channel=channel, amount=rupiah(amount), orders=count)
            for day, channel, amount, count in orders.annotate(
                day=TruncDate("ordered_at", tzinfo=zone)
            )
            .values("day", "channel")
            .annotate(amount=Sum("total"), count=Count("id"))
            .values_list("day", "channel", "amount", "count")
            .order_by()
            if amount
        ],
        batch_size=2000,
    )
    ProductSalesDay.objects.bulk_create(
        [
            ProductSalesDay(
                shop=shop, day=day, name=name, quantity=quantity or 0, cents=cents(amount),
                lines=count,
            )
            for day, name, quantity, amount, count in lines.annotate(
                day=TruncDate("order__ordered_at", tzinfo=zone)
            )
            .values("day", "name")
            .annotate(q=Sum("quantity"), amount=Sum("total"), count=Count("id"))
            .values_list("day", "name", "q", "amount", "count")
            .order_by()
        ],
        batch_size=2000,
    )  # fmt: skip


def sales_days_fresh(*, shop) -> None:
    """Make the shop's marked days again (all of them the first time, or when its time
    zone changed), so that what the readers sum is what the order book says."""
    with shop_scope(shop):
        kept = SalesKept.objects.filter(shop=shop).values_list("time_zone", flat=True).first()
        if kept == shop.time_zone and not SalesDirty.objects.filter(shop=shop).exists():
            return
        with transaction.atomic():
            SalesKept.objects.get_or_create(shop=shop, defaults={"time_zone": ""})
            # one maker at a time per shop (PostgreSQL; SQLite's writers are serialised)
            state = SalesKept.objects.select_for_update().get(shop=shop)
            marks = list(SalesDirty.objects.filter(shop=shop).values_list("pk", "day", "version"))
            for part in bulk.chunks(marks):  # a mark that moved meanwhile stays
                gone = Q()
                for pk, _day, version in part:
                    gone |= Q(pk=pk, version=version)
                SalesDirty.objects.filter(Q(shop=shop) & gone).delete()
            if state.time_zone != shop.time_zone:
                _make(shop, None)
                state.time_zone = shop.time_zone
                state.save(update_fields=["time_zone", "made_at"])
                return
            days: set[dt.date] = set()
            for _pk, day, _version in marks:
                days |= local_days(shop, day)
            for span in _runs(days):
                _make(shop, span)


def sales_by_day(*, shop, date_from: dt.date, date_to: dt.date) -> dict[dt.date, dict[str, int]]:
    """Each day's sales per channel in whole rupiah: {day: {channel: amount}}."""
    sales_days_fresh(shop=shop)
    found: dict[dt.date, dict[str, int]] = {}
    with shop_scope(shop):
        for day, channel, amount in SalesDay.objects.filter(
            shop=shop, day__gte=date_from, day__lte=date_to
        ).values_list("day", "channel", "amount"):
            found.setdefault(day, {})[channel] = amount
    return found


def top_products(*, shop, date_from: dt.date, date_to: dt.date, limit: int = 10) -> list[dict]:
    """The products that brought the most money in the period: name, quantity, amount,
    lines (``orders``)."""
    sales_days_fresh(shop=shop)
    with shop_scope(shop):
        rows = (
            ProductSalesDay.objects.filter(shop=shop, day__gte=date_from, day__lte=date_to)
            .values("name")
            .annotate(quantity=Sum("quantity"), amount=Sum("cents"), orders=Sum("lines"))
            .order_by(F("amount").desc(nulls_last=True), "name")[:limit]
        )
        return [
            {
                "name": row["name"],
                "quantity": row["quantity"] or 0,
                "amount": rupiah(Decimal(row["amount"] or 0) / 100),
                "orders": row["orders"],
            }
            for row in rows
        ]
