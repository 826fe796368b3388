"""What the dashboard and the queue read of the receipts: how many wait for her, the
next one to confirm, and prices that rose (``prices.recent_alerts``).

The queue: she sends several photos at once, and confirms them one after another; after
each confirmation the next read receipt opens (oldest first, the order she sent them),
not the list. A receipt still being read is waited for; one she skips stays open and is
offered again once the rest are done.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.receipts.models import Receipt
from merdeka.receipts.prices import recent_alerts


def to_check(*, shop) -> int:
    """Receipts read (or not readable) and not booked yet: hers to check and confirm."""
    with shop_scope(shop):
        return Receipt.objects.filter(
            shop=shop,
            status__in=[Receipt.Status.REVIEW, Receipt.Status.READY, Receipt.Status.FAILED],
        ).count()


def price_alerts(*, shop):
    return recent_alerts(shop=shop, limit=3)


OPEN = (Receipt.Status.REVIEW, Receipt.Status.READY)
WAITING = (Receipt.Status.QUEUED, Receipt.Status.READING)


def queue_next(*, shop, after: int = 0) -> Receipt | None:
    """The next receipt for her to confirm: the oldest read and not booked, after the one
    she just confirmed or skipped (in the order she sent them)."""
    with shop_scope(shop):
        return (
            Receipt.objects.filter(shop=shop, status__in=OPEN, pk__gt=after)
            .defer("photo")
            .order_by("pk")
            .first()
        )


def queue_counts(*, shop, after: int = 0, current: int | None = None) -> dict:
    """How many wait behind ``after`` for her (``left``), how many are still being read
    (``reading``), and how many she skipped (read, up to ``after``, not booked); the
    receipt she has open (``current``) is none of these."""
    with shop_scope(shop):
        rows = Receipt.objects.filter(shop=shop, status__in=OPEN + WAITING).values_list(
            "pk", "status"
        )
        counts = {"left": 0, "reading": 0, "skipped": 0}
        for pk, status in rows:
            if pk == current:
                continue
            if status in WAITING:
                counts["reading"] += 1
            elif pk > after:
                counts["left"] += 1
            else:
                counts["skipped"] += 1
    return counts


def booked_today(*, shop) -> tuple[int, int]:
    """How many receipts were booked today (the shop's day) and their total."""
    since = dt.datetime.combine(today(shop), dt.time.min, tzinfo=ZoneInfo(shop.time_zone))
    with shop_scope(shop):
        totals = list(
            Receipt.objects.filter(
                shop=shop, status=Receipt.Status.BOOKED, booked_at__gte=since
            ).values_list("total", flat=True)
        )
    return len(totals), sum(t or 0 for t in totals)
