"""Telling the seller that an order came in through her own channels.

A buyer's order placed in Merdeka — the storefront, a pre-order, a group buy (all of
channel ``storefront``) — is announced as ``order.placed`` by the lifecycle. Two things
follow from it here:

* ``new_orders_mail``, an **outbox** subscriber of ``order.placed`` (registered in
  ``OrdersConfig.ready``): the owners get an email, after the order committed and
  without slowing the checkout down; a mail server that fails is tried again later by
  the outbox. One mail per shop per delivery (a flash sale's fifty orders come as one
  list, not fifty mails). It names no buyer: the order page does, behind sign-in.
* ``new_orders_since``, the tiny read behind ``orders/notify.js``: the browser asks
  which orders came since the last one it saw, and shows a notification where the
  seller allowed them.

Orders the seller types in herself (manual ones) and imported marketplace orders are
not news to her and are left out.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from merdeka.core.models import Shop
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Channel, Order
from merdeka.outreach.owners import owners_mail

# the channels whose new orders the seller hears of: her own, where buyers order
NOTIFIED_CHANNELS = frozenset({Channel.STOREFRONT})
MAIL_LANGUAGE = "id"
POLL_LIMIT = 10


def _order_url(order: Order) -> str:
    path = reverse("order_detail", args=[order.pk])
    base = settings.MERDEKA_PUBLIC_URL
    return f"{base}{path}" if base else path


def _describe(order: Order) -> str:
    lines = "\n".join(
        f"  {line.quantity} x {line.name}" + (f" ({line.variant})" if line.variant else "")
        for line in order.lines.all()
    )
    when = timezone.localtime(order.ordered_at).strftime("%d-%m-%Y %H:%M")
    parts = [
        f"#{order.external_id} · {format_rupiah(order.total or 0)} · {when}",
        lines,
    ]
    if order.delivery_method:
        parts.append(
            _("Delivery: %(delivery)s; payment: %(payment)s")
            % {
                "delivery": order.get_delivery_method_display(),
                "payment": order.get_payment_method_display() or "—",
            }
        )
    parts.append(_order_url(order))
    return "\n".join(part for part in parts if part)


def new_orders_mail(events) -> None:
    """The outbox handler of ``order.placed``: one mail to the owners of each shop."""

    by_shop: dict[int, list[int]] = defaultdict(list)
    for event in events:
        if event.data.get("channel") in NOTIFIED_CHANNELS:
            by_shop[event.shop_id].append(event.data["order_id"])
    for shop_id, order_ids in by_shop.items():
        shop = Shop.objects.get(pk=shop_id)
        with (
            shop_scope(shop),
            translation.override(MAIL_LANGUAGE),
            timezone.override(shop.time_zone),
        ):
            orders = list(
                Order.objects.filter(shop=shop, pk__in=order_ids)
                .prefetch_related("lines")
                .order_by("ordered_at", "pk")
            )
            if not orders:
                continue  # gone since (the shop was deleted, say)
            total = sum((order.total or 0 for order in orders), 0)
            if len(orders) == 1:
                subject = _("New order #%(number)s (%(total)s)") % {
                    "number": orders[0].external_id,
                    "total": format_rupiah(total),
                }
            else:
                subject = ngettext(
                    "%(count)s new order (%(total)s)",
                    "%(count)s new orders (%(total)s)",
                    len(orders),
                ) % {"count": len(orders), "total": format_rupiah(total)}
            body = "\n\n".join(
                [
                    _("New orders in %(shop)s:") % {"shop": shop.name},
                    *(_describe(order) for order in orders),
                    _("Open Merdeka to see who ordered and to confirm the orders."),
                ]
            )
            owners_mail(shop=shop, subject=subject, body=body)


def new_orders_since(*, shop, since: int | None) -> dict:
    """The shop's newest buyer's order id and the orders after ``since`` (at most a
    few, newest last), for the browser's notifications. Without ``since`` only the
    newest id: the browser starts counting from there."""
    with shop_scope(shop):
        orders = Order.objects.filter(shop=shop, channel__in=NOTIFIED_CHANNELS)
        latest = orders.order_by("-pk").values_list("pk", flat=True).first() or 0
        found = []
        if since is not None:
            found = list(orders.filter(pk__gt=since).order_by("-pk")[:POLL_LIMIT])
            found.reverse()
    return {
        "latest": latest,
        "orders": [
            {
                "id": order.pk,
                "number": order.external_id,
                "total": format_rupiah(order.total or 0),
                "url": reverse("order_detail", args=[order.pk]),
            }
            for order in found
        ],
    }
