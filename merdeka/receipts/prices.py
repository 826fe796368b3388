"""What her items cost, where, and when a regular one has got dearer.

* ``item_history`` - every purchase of an item (one of her variants, or an ingredient
  by its key), oldest first, each with the place it came from (a store as read from its
  receipts, or a supplier), for the chart and its table;
* ``cheapest_lately`` - per place, the last price within 30 days, cheapest first;
* ``price_alert`` - a *regular* item (bought 3 or more times in 90 days) whose price is
  more than the shop's threshold (10% unless she says) above its usual price, the median
  of its last five purchases before this one;
* ``items_overview`` and ``recent_alerts`` - the prices page and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from merdeka.books import charts
from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.receipts.models import PricePoint, ReceiptSettings
from merdeka.suppliers.models import Supplier

REGULAR_DAYS = 90
REGULAR_TIMES = 3
USUAL_OF = 5
LATELY_DAYS = 30


def alert_percent(*, shop) -> int:
    with shop_scope(shop):
        found = ReceiptSettings.objects.filter(shop=shop).values_list("alert_percent", flat=True)
        return next(iter(found), 10)


def alert_percent_set(*, shop, percent) -> int:
    try:
        percent = int(str(percent).strip().rstrip("%"))
    except ValueError:
        raise ServiceError(
            _("Write the threshold as a whole number of per cent, such as 10.")
        ) from None
    if not 1 <= percent <= 100:
        raise ServiceError(_("Write the threshold as a whole number of per cent, such as 10."))
    with shop_scope(shop):
        ReceiptSettings.objects.update_or_create(shop=shop, defaults={"alert_percent": percent})
    return percent


@dataclass(frozen=True)
class Point:
    day: dt.date
    place: str
    place_key: str
    unit_price: int
    qty: object
    receipt_id: int | None


def _supplier_names(shop, ids) -> dict[int, str]:
    with shop_scope(shop):
        return {s.pk: str(s.name) for s in Supplier.objects.filter(shop=shop, pk__in=set(ids))}


def _points(shop, rows) -> list[Point]:
    rows = list(rows)
    names = _supplier_names(shop, [r.supplier_id for r in rows if r.supplier_id])
    return [
        Point(
            day=r.day,
            place=names.get(r.supplier_id, r.place) if r.supplier_id else r.place,
            place_key=r.place_key,
            unit_price=r.unit_price,
            qty=r.qty,
            receipt_id=r.receipt_id,
        )
        for r in rows
    ]


def item_history(*, shop, item_key: str) -> tuple[str, list[Point]]:
    """The item's label and every purchase of it; ``PricePoint.DoesNotExist`` when
    the shop never bought it."""
    with shop_scope(shop):
        rows = list(PricePoint.objects.filter(shop=shop, item_key=item_key).order_by("day", "pk"))
    if not rows:
        raise PricePoint.DoesNotExist
    return rows[-1].label, _points(shop, rows)


def cheapest_lately(points: list[Point], *, at: dt.date) -> list[Point]:
    """Each place's last price in the last 30 days, cheapest first."""
    last: dict[str, Point] = {}
    for point in points:
        if (at - point.day).days <= LATELY_DAYS:
            last[point.place_key] = point
    return sorted(last.values(), key=lambda p: (p.unit_price, p.place))


@dataclass(frozen=True)
class Alert:
    item_key: str
    label: str
    price: int
    usual: int
    percent: int  # how much dearer, in whole per cent


def price_alert(
    *, history: list[tuple[dt.date, int]], price: int, day: dt.date, label: str, key: str,
    threshold: int,
) -> Alert | None:  # fmt: skip
    """``history``: earlier purchases (day, unit price), oldest first, not this one."""
    recent = [p for d, p in history if 0 <= (day - d).days <= REGULAR_DAYS]
    if len(recent) + 1 < REGULAR_TIMES:
        return None
    usual = statistics.median(recent[-USUAL_OF:])
    if usual <= 0 or price * 100 <= usual * (100 + threshold):
        return None
    return Alert(key, label, price, round(usual), round(100 * (price - usual) / usual))


def alerts_for(*, shop, items: list[tuple[str, str, int]], day: dt.date, exclude_receipt=None):
    """Alerts for (key, label, unit price) bought on ``day`` (a receipt under review)."""
    threshold = alert_percent(shop=shop)
    keys = {key for key, _label, _price in items}
    with shop_scope(shop):
        rows = PricePoint.objects.filter(
            shop=shop,
            item_key__in=keys,
            day__lte=day,
            day__gte=day - dt.timedelta(days=REGULAR_DAYS),
        )
        if exclude_receipt is not None:
            rows = rows.exclude(receipt_id=exclude_receipt)
        history = defaultdict(list)
        for key, d, price in rows.order_by("day", "pk").values_list(
            "item_key", "day", "unit_price"
        ):
            history[key].append((d, price))
    found = []
    for key, label, price in items:
        alert = price_alert(
            history=history[key], price=price, day=day, label=label, key=key, threshold=threshold
        )
        if alert is not None:
            found.append(alert)
    return found


def recent_alerts(*, shop, days: int = 14, limit: int = 5) -> list[Alert]:
    """The dashboard's: purchases of the last ``days`` that were dearer than usual."""
    at = today(shop)
    threshold = alert_percent(shop=shop)
    with shop_scope(shop):
        keys = list(
            PricePoint.objects.filter(shop=shop, day__gte=at - dt.timedelta(days=days))
            .values_list("item_key", flat=True)
            .distinct()[:200]
        )
        rows = (
            PricePoint.objects.filter(
                shop=shop,
                item_key__in=keys,
                day__gte=at - dt.timedelta(days=days + REGULAR_DAYS),
            )
            .order_by("day", "pk")
            .values_list("item_key", "label", "day", "unit_price")
        )
        by_key = defaultdict(list)
        for key, label, d, price in rows:
            by_key[key].append((label, d, price))
    found = []
    for key, points in by_key.items():
        label, d, price = points[-1]
        if (at - d).days > days:
            continue
        history = [(pd, pp) for _l, pd, pp in points[:-1]]
        alert = price_alert(
            history=history, price=price, day=d, label=label, key=key, threshold=threshold
        )
        if alert is not None:
            found.append(alert)
    return sorted(found, key=lambda a: -a.percent)[:limit]


@dataclass(frozen=True)
class ItemRow:
    key: str
    label: str
    last_price: int
    last_day: dt.date
    times: int  # bought in the last 90 days
    cheapest: Point | None


def items_overview(*, shop, limit: int = 200) -> list[ItemRow]:
    at = today(shop)
    with shop_scope(shop):
        rows = list(PricePoint.objects.filter(shop=shop).order_by("day", "pk")[:20000])
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.item_key].append(row)
    found = []
    for key, group in grouped.items():
        points = _points(shop, group)
        lately = cheapest_lately(points, at=at)
        found.append(
            ItemRow(
                key=key,
                label=group[-1].label,
                last_price=group[-1].unit_price,
                last_day=group[-1].day,
                times=sum((at - r.day).days <= REGULAR_DAYS for r in group),
                cheapest=lately[0] if lately else None,
            )
        )
    return sorted(found, key=lambda r: (-r.last_day.toordinal(), r.label))[:limit]


def price_chart(*, label: str, points: list[Point]):
    """The item's unit price over its purchases, drawn on the server (its table is the
    page's)."""
    return charts.line(
        title=_("Price of %(item)s") % {"item": label},
        desc=_("Price per unit at each purchase, oldest first; the table below has each place."),
        labels=[f"{p.day.day}/{p.day.month}" for p in points],
        values=[p.unit_price for p in points],
    )
