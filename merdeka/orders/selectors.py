"""Reading the order book: one list for every channel, filtered and searched per shop."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Count, Q, Sum

from merdeka.core import rawsql
from merdeka.core.phone import is_masked, normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.customers.selectors import customer_list
from merdeka.orders.models import Channel, DeliveryMethod, Order, PaymentMethod, Status
from merdeka.orders.totals import total_gap

MARKETPLACE_CHANNELS = (
    Channel.SHOPEE,
    Channel.TIKTOK,
    Channel.TOKOPEDIA,
    Channel.LAZADA,
    Channel.BLIBLI,
    Channel.BUKALAPAK,
)
# orders that earn nothing: they are neither revenue nor money still to come
CLOSED = (Status.CANCELLED, Status.RETURNED)


def _day_start(shop, day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the shop's own time zone (not whatever zone is active, so
    that commands and tasks read the same days as the shop's pages)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(shop.time_zone))


def order_list(
    *,
    shop,
    channel: str = "",
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    query: str = "",
    need: str = "",
):
    """The shop's orders, newest first.

    ``query`` is an order number (or its beginning) or the buyer's WhatsApp number in
    any format; a number is matched through the customers' blind index, never plaintext.
    Dates are whole days in the shop's time zone, both ends included.
    """
    with shop_scope(shop):
        orders = Order.objects.filter(shop=shop).select_related("customer")
        if channel:
            orders = orders.filter(channel=channel)
        if status:
            orders = orders.filter(status=status)
        if need in NEEDS:
            orders = orders.filter(NEEDS[need]())
        if date_from:
            orders = orders.filter(ordered_at__gte=_day_start(shop, date_from))
        if date_to:
            orders = orders.filter(ordered_at__lt=_day_start(shop, date_to + dt.timedelta(days=1)))
        query = query.strip()
        if query:
            orders = orders.filter(_search(shop, query))
        return orders.order_by("-ordered_at", "-id")


def _search(shop, query: str) -> Q:
    by_number = Q(external_id__istartswith=query)
    phone = normalize_phone(query) if not is_masked(query) else None
    if phone is None:
        return by_number
    customers = customer_list(shop=shop, phone=phone).values("pk")
    return by_number | Q(customer__in=customers)


def orders_mark_origin(*, shop, orders) -> None:
    """Mark the orders (a page of the book) placed through a group buy
    (``order.in_group_buy``) or a pre-order batch (``order.in_preorder``): two queries
    for the page, whatever its length. The orders app knows those apps only here."""
    from merdeka.groupbuy.selectors import group_order_ids  # cycle: groupbuy builds on orders
    from merdeka.preorders.selectors import preorder_order_ids  # cycle: preorders build on orders

    ids = [order.pk for order in orders]
    groups = group_order_ids(shop=shop, order_ids=ids) if ids else set()
    preorders = preorder_order_ids(shop=shop, order_ids=ids) if ids else set()
    for order in orders:
        order.in_group_buy = order.pk in groups
        order.in_preorder = order.pk in preorders


def paid_q() -> Q:
    """Orders whose money is in: a payment was recorded (or the marketplace says it was
    paid), a completed order (cash on delivery is collected at the door), or an order
    past payment in its workflow that is not cash on delivery. Never a cancelled or
    returned order."""
    cod = Q(payment_method=PaymentMethod.COD) | Q(delivery_method=DeliveryMethod.COD)
    past_payment = Q(status__in=(Status.PAID, Status.PROCESSING, Status.SHIPPED)) & ~cod
    return ~Q(status__in=CLOSED) & (
        Q(paid_at__isnull=False) | Q(status=Status.COMPLETED) | past_payment
    )


def unpaid_q() -> Q:
    """Orders still waiting for their money (new, awaiting payment, cash on delivery on
    its way): not revenue yet, and not lost either."""
    return ~Q(status__in=CLOSED) & ~paid_q()


def _cod_q() -> Q:
    return Q(payment_method=PaymentMethod.COD) | Q(delivery_method=DeliveryMethod.COD)


def to_process_q() -> Q:
    """Orders for the seller to pack and send: paid or in processing, and cash-on-
    delivery orders not shipped yet (they ship before they are paid)."""
    return Q(status__in=(Status.PAID, Status.PROCESSING)) | (
        Q(status__in=(Status.NEW, Status.AWAITING_PAYMENT)) & _cod_q()
    )


def awaiting_payment_q() -> Q:
    """Orders waiting for the buyer's money before anything ships (not cash on
    delivery): the seller reminds the buyer or records the payment."""
    return Q(status__in=(Status.NEW, Status.AWAITING_PAYMENT), paid_at__isnull=True) & ~_cod_q()


def receivable_q() -> Q:
    """Orders delivered and not paid: what the books hold as receivables (the
    marketplaces pay their own orders through the seller balance)."""
    return Q(status__in=(Status.SHIPPED, Status.COMPLETED), paid_at__isnull=True) & ~Q(
        channel__in=MARKETPLACE_CHANNELS
    )


# the order list's "needs" (the dashboard's figures link to them)
NEEDS = {"process": to_process_q, "payment": awaiting_payment_q, "receivable": receivable_q}
# the statuses of orders that still wait for something (few, next to the finished ones)
OPEN_STATUSES = (Status.NEW, Status.AWAITING_PAYMENT, Status.PAID, Status.PROCESSING)


def orders_waiting(*, shop) -> dict:
    """How many orders wait to be processed and to be paid (and for how much), in one
    query over the open statuses (index shop, status).

    Grouped by status, and the groups summed here: grouped, the database walks the
    index (shop, status) to the few open orders. Without the grouping SQLite's planner
    reads ``status IN (...)`` from its statistics as an average status's share of the
    whole order book and scans every order of the shop instead (140 ms of the home
    page's 165 at 730,000 orders, measured in bench/RESULTS.md)."""
    with shop_scope(shop):
        rows = (
            Order.objects.filter(shop=shop, status__in=OPEN_STATUSES)
            .values("status")
            .annotate(
                to_process=Count("id", filter=to_process_q()),
                unpaid=Count("id", filter=awaiting_payment_q()),
                unpaid_total=Sum("total", filter=awaiting_payment_q()),
            )
            .order_by()
        )
        return {
            key: sum(row[key] or 0 for row in rows)
            for key in ("to_process", "unpaid", "unpaid_total")
        }


def order_summary(orders) -> dict:
    """How many orders a (filtered) list holds and what they are worth, in one query:
    the revenue of the paid ones, the money the unpaid ones still wait for, and how many
    were cancelled or returned (they count for neither)."""
    totals = orders.order_by().aggregate(
        count=Count("id"),
        paid=Sum("total", filter=paid_q()),
        paid_count=Count("id", filter=paid_q()),
        unpaid=Sum("total", filter=unpaid_q()),
        unpaid_count=Count("id", filter=unpaid_q()),
        closed_count=Count("id", filter=Q(status__in=CLOSED)),
    )
    return {
        "count": totals["count"] or 0,
        "paid": totals["paid"] or 0,
        "paid_count": totals["paid_count"] or 0,
        "unpaid": totals["unpaid"] or 0,
        "unpaid_count": totals["unpaid_count"] or 0,
        "closed_count": totals["closed_count"] or 0,
    }


def order_get(*, shop, order_id: int) -> Order:
    with shop_scope(shop):
        return (
            Order.objects.filter(shop=shop)
            .select_related("customer")
            .prefetch_related("lines")
            .get(pk=order_id)
        )


def order_total_gap(order: Order):
    """The gap between the order's total and its lines + shipping - discounts
    (``merdeka.orders.totals``, the rule imports check by), or None when they agree or
    it cannot be told. Reads the order's (prefetched) lines."""

    lines = list(order.lines.all())
    return total_gap(
        total=order.total,
        line_totals=[line.total for line in lines],
        shipping=order.shipping_fee,
        discount=order.discount,
    )


MAX_LABELS = 200


def orders_for_labels(*, shop, order_ids) -> list[Order]:
    """The shop's orders to print shipping labels for, in the order they were asked,
    with their lines and parcel. Raises ``Order.DoesNotExist`` when any id is not an
    order of this shop (another shop's id is not skipped silently: the page is refused)."""
    wanted = list(dict.fromkeys(order_ids))
    with shop_scope(shop):
        found = {
            order.pk: order
            for order in Order.objects.filter(shop=shop, pk__in=wanted)
            .select_related("customer")
            .prefetch_related("lines", "shipments")
        }
    if not wanted or len(found) != len(wanted):
        raise Order.DoesNotExist
    return [found[pk] for pk in wanted]


def idempotency_key_valid(key: str) -> bool:
    """What a placement's key must be: 1-64 characters, none of them NUL (PostgreSQL
    refuses NUL in text). Placing refuses any other key; looking one up finds nothing."""
    return bool(key) and len(key) <= 64 and "\x00" not in key


def order_by_idempotency_key(shop, key: str) -> Order | None:
    """The shop's order placed with ``key``, if any. Asked of every placement, retries
    and refusals included: one raw indexed query (building the ORM's costs more than
    running it); the raw queryset still decrypts and converts every field. A key no
    placement could have stored (empty, too long, with a NUL byte, which PostgreSQL
    refuses in text) finds nothing."""
    if not idempotency_key_valid(key):
        return None
    with shop_scope(shop):
        found = rawsql.raw(Order, _IDEMPOTENCY_SQL, [shop.pk, key], shop_id=shop.pk)
        return next(iter(found), None)


_IDEMPOTENCY_SQL = (
    f'SELECT * FROM "{Order._meta.db_table}" '  # noqa: S608 - our own names
    'WHERE "shop_id" = %s AND "idempotency_key" = %s'
)
