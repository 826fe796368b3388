"""``merdeka books backfill``: post every existing order once.

Idempotent and resumable: each order is brought to what its postings should add up to
(``order_postings_sync`` posts only a difference), in batches of ids that each commit
on their own, so a stopped run continues where it was and a second run posts nothing.
An order that was paid before it was delivered posts twice, as it would have live: the
deposit on the day it was paid, the revenue on the day it was delivered."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from merdeka.books.models import JournalEntry
from merdeka.books.orders import order_postings_sync
from merdeka.books.posting import local_date
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import EventKind, Order, OrderEvent, Status

BATCH = 2000


def backfill(*, shop, progress: Callable[[int], None] | None = None) -> int:
    """Post every order of the shop not posted yet; returns entries written."""
    written = 0
    with shop_scope(shop):
        ids = list(Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        with transaction.atomic(), shop_scope(shop):
            written += _batch(shop, part)
        if progress is not None:
            progress(len(part))
    return written


def _batch(shop, ids: list[int]) -> int:
    orders = list(
        Order.objects.filter(shop=shop, pk__in=ids).values("pk", "status", "paid_at", "ordered_at")
    )
    delivered_on = dict(
        OrderEvent.objects.filter(
            shop=shop, order_id__in=ids, kind__in=(EventKind.COMPLETED, EventKind.SHIPPED)
        )
        .order_by("at")
        .values_list("order_id", "at")
    )
    posted = set(
        JournalEntry.objects.filter(shop=shop, order_id__in=ids).values_list("order_id", flat=True)
    )
    written = 0
    # 1. money received before delivery: a deposit on the day it came in (only for an
    # order never posted: one that was is brought to where it stands in step 2)
    early = {}
    for order in orders:
        if order["pk"] in posted:
            continue
        if order["paid_at"] is not None and order["status"] in (
            Status.PAID,
            Status.PROCESSING,
            Status.SHIPPED,
            Status.COMPLETED,
        ):
            early.setdefault(local_date(shop, order["paid_at"]), []).append(order["pk"])
    for day, part in early.items():
        written += order_postings_sync(
            shop=shop, order_ids=part, on=day, status_as=dict.fromkeys(part, Status.PAID)
        )
    # 2. where each order stands now, on the day it got there
    by_day: dict = {}
    for order in orders:
        moment = delivered_on.get(order["pk"]) or order["paid_at"] or order["ordered_at"]
        by_day.setdefault(local_date(shop, moment), []).append(order["pk"])
    for day, part in by_day.items():
        written += order_postings_sync(shop=shop, order_ids=part, on=day)
    return written
