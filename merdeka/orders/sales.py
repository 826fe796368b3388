"""Selectors of what sold: the order book's figures that the books' reports chart.

Sales here are orders placed (*omzet*), counted on the shop's calendar day they were
ordered, at what the buyer pays (``total``, shipping included); cancelled and returned
orders count for nothing. The books count revenue when an order is delivered, so the
two differ by the orders still on their way (``merdeka.books.statements`` says so on
the page)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate

from merdeka.core.scoping import shop_scope
from merdeka.orders import sales_days
from merdeka.orders.models import Channel, Order, OrderLine
from merdeka.orders.selectors import CLOSED, _day_start

# the channels in the order the reports list them, and their names
CHANNELS = [channel.value for channel in Channel]


def channel_label(channel: str) -> str:
    return str(Channel(channel).label) if channel in CHANNELS else channel


rupiah = sales_days.rupiah  # an amount of the orders' columns as whole rupiah


def _placed(shop, date_from: dt.date, date_to: dt.date):
    return Order.objects.filter(
        shop=shop,
        ordered_at__gte=_day_start(shop, date_from),
        ordered_at__lt=_day_start(shop, date_to + dt.timedelta(days=1)),
    ).exclude(status__in=CLOSED)


def sales_by_day(*, shop, date_from: dt.date, date_to: dt.date) -> dict[dt.date, dict[str, int]]:
    """Each day's sales per channel in whole rupiah: {day: {channel: amount}} (days
    and channels without a sale left out), from the days kept (``sales_days``)."""
    return sales_days.sales_by_day(shop=shop, date_from=date_from, date_to=date_to)


def top_products(*, shop, date_from: dt.date, date_to: dt.date, limit: int = 10) -> list[dict]:
    """The products that brought the most money in the period: name, quantity, amount
    (lines of orders placed then, by the name the order gives them), from the days
    kept (``sales_days``)."""
    return sales_days.top_products(shop=shop, date_from=date_from, date_to=date_to, limit=limit)


# -- the same, summed over the order book (what the kept days must always equal) -------


def sales_by_day_from_orders(
    *, shop, date_from: dt.date, date_to: dt.date
) -> dict[dt.date, dict[str, int]]:
    """``sales_by_day`` summed over the period's orders."""
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    found: dict[dt.date, dict[str, int]] = defaultdict(dict)
    with shop_scope(shop):
        rows = (
            _placed(shop, date_from, date_to)
            .annotate(day=TruncDate("ordered_at", tzinfo=zone))
            .values("day", "channel")
            .annotate(amount=Sum("total"))
            .values_list("day", "channel", "amount")
        )
        for day, channel, amount in rows:
            if amount:
                found[day][channel] = found[day].get(channel, 0) + rupiah(amount)
    return dict(found)


def top_products_from_orders(
    *, shop, date_from: dt.date, date_to: dt.date, limit: int = 10
) -> list[dict]:
    """``top_products`` summed over the lines of the period's orders."""
    with shop_scope(shop):
        orders = _placed(shop, date_from, date_to).values("pk")
        rows = (
            OrderLine.objects.filter(shop=shop, order__in=orders)
            .values("name")
            .annotate(quantity=Sum("quantity"), amount=Sum("total"), orders=Count("order"))
            .order_by(F("amount").desc(nulls_last=True), "name")[:limit]
        )
        return [
            {
                "name": row["name"],
                "quantity": row["quantity"] or 0,
                "amount": rupiah(row["amount"]),
                "orders": row["orders"],
            }
            for row in rows
        ]
