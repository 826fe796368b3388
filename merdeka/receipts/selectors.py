"""What the dashboard reads of the receipts: how many wait for her, and prices that
rose (``prices.recent_alerts``)."""

from __future__ import annotations

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
