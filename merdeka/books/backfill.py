"""``merdeka books backfill``: post every existing order once.

Idempotent and resumable: each order is brought to what its postings should add up to
(``postings_plan`` posts only a difference from ``target``, as the live path does), in
batches of ids that each commit on their own, so a stopped run continues where it was
and a second run posts nothing. Set-based: a batch is read in a few queries, planned
in memory and written with plain inserts (``entries_write``), never a save per row.
An order that was paid before it was delivered posts twice, as it would have live: the
deposit on the day it was paid, the revenue on the day it was delivered."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast

from merdeka.books.models import AccountDay, ImportedLineCost, JournalEntry, JournalLine
from merdeka.books.orders import (
    deposit_possible,
    moment,
    orders_read,
    postings_plan,
    revenue_on,
)
from merdeka.books.posting import entries_write
from merdeka.books.profit import batch_goods
from merdeka.catalog.models import StockMove
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import EventKind, Order, OrderEvent, OrderLine, Payment, Status

BATCH = 10_000  # orders per batch, each its own transaction
# the statuses an order reaches only after its payment may have come in
AFTER_PAYMENT = frozenset({Status.PAID, Status.PROCESSING, Status.SHIPPED, Status.COMPLETED})


def backfill(*, shop, progress: Callable[[int], None] | None = None) -> int:
    """Post every order of the shop not posted yet; returns entries written."""
    written = 0
    rule = revenue_on(shop)
    with shop_scope(shop):
        ids = list(Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    statistics = _Statistics()
    with bulk.tuned_for_bulk():
        for start in range(0, len(ids), BATCH):
            part = ids[start : start + BATCH]
            with bulk.collector_paused(), transaction.atomic(), shop_scope(shop):
                postings, goods = batch_plan(shop, part, rule)
                now = entries_write(shop=shop, postings=postings, goods=goods) if postings else 0
            written += now
            statistics.grown(now)
            if progress is not None:
                progress(len(part))
    return written


class _Statistics:
    """The planner's statistics of the journal and of what a batch reads. Without them
    the read of what a batch's orders posted goes through the index on the shop: every
    line of the shop per batch, and the run grew with the square of the journal
    (PostgreSQL: 3.5 s a batch at 26,000 lines; SQLite: 32 of the 54 s of a 1M-line
    shop's run). SQLite: the tables measured once, the journal as soon as it has lines
    (``bulk.statistics_known``; the proportions then stay right as it grows).
    PostgreSQL, planned on an empty journal: ``ANALYZE`` at the start and whenever the
    journal has doubled since the last one, a few times a run whatever its size."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.since = self.base = 0
        bulk.statistics_known(Order, OrderLine, OrderEvent, Payment, StockMove, ImportedLineCost)
        if self.postgres:
            bulk.analyze(JournalEntry, JournalLine, AccountDay)
            self.base = JournalEntry.objects.model._base_manager.count()
        else:
            bulk.statistics_known(JournalEntry, JournalLine, AccountDay)

    def grown(self, entries: int) -> None:
        self.since += entries
        if not self.postgres:
            if entries:
                bulk.statistics_known(JournalEntry, JournalLine, AccountDay)
        elif self.since > max(self.base, BATCH // 2):
            bulk.analyze(JournalEntry, JournalLine, AccountDay)
            self.base, self.since = self.base + self.since, 0


def batch_plan(shop, ids: list[int], rule: str) -> tuple[list, dict]:
    """One batch of orders, read in a few queries and planned in memory by ``target``
    (through ``postings_plan``, as the live path): its postings and their goods, for
    ``entries_write`` to write in one set of inserts. Reads only."""
    # ``ids`` are every order of the shop from the first to the last: read as a range
    books = orders_read(shop=shop, id_range=(ids[0], ids[-1]), times_as_text=True)
    # the time of each order's latest delivery event, as text (``moment`` reads it for
    # the orders that post: converting every event's time was work thrown away)
    delivered_on = dict(
        OrderEvent.objects.filter(
            shop=shop,
            order_id__gte=ids[0],
            order_id__lte=ids[-1],
            kind__in=(EventKind.COMPLETED, EventKind.SHIPPED),
        )
        .order_by("at")
        .annotate(at_text=Cast("at", CharField()))
        .values_list("order_id", "at_text")
    )
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    # 1. money received before delivery: a deposit on the day it came in (only for an
    # order never posted: one that was is brought to where it stands in step 2)
    early = {
        order_id: moment(order["paid_at"]).astimezone(zone).date()
        for order_id, order in books.orders.items()
        if order_id not in books.counts
        and order["paid_at"] is not None
        and order["status"] in AFTER_PAYMENT
        and deposit_possible(order)
    }
    postings = postings_plan(
        shop=shop,
        books=books,
        order_ids=sorted(early),
        rule=rule,
        on=early,
        status_as=dict.fromkeys(early, Status.PAID),
    )
    # 2. where each order stands now, on the day it got there (worked out for the
    # orders that post only)
    now_on = _DayOf(books.orders, delivered_on, zone)
    postings += postings_plan(
        shop=shop, books=books, order_ids=sorted(books.orders), rule=rule, on=now_on
    )
    if not postings:
        return [], {}
    posted = {posting.order_id for posting in postings}
    goods = batch_goods(shop=shop, books=books, id_range=(ids[0], ids[-1]), only=posted)
    return postings, goods


class _DayOf(dict):
    """Order id -> the shop's day of its delivery, else of its payment, else of its
    placing: each worked out on first use (``postings_plan`` asks only for the orders
    that post; parsing and converting every order's time was a twentieth of the
    work)."""

    def __init__(self, orders: dict[int, dict], delivered_on: dict, zone):
        super().__init__()
        self.orders, self.delivered_on, self.zone = orders, delivered_on, zone

    def __missing__(self, order_id: int):
        order = self.orders[order_id]
        at = self.delivered_on.get(order_id) or order["paid_at"] or order["ordered_at"]
        day = self[order_id] = moment(at).astimezone(self.zone).date()
        return day
