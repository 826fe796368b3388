"""Low stock, told to the owners, once per fall below a variant's threshold.

* ``orders_stock_check``, an outbox subscriber of ``order.placed`` and
  ``order.cancelled`` (registered in ``CatalogConfig.ready``): after an order took or
  gave back stock, the stock service checks its variants (``stock_low_check``), off the
  checkout's transaction. A count the seller changes is checked by ``stock_adjust``.
* ``low_stock_mail``, an outbox subscriber of the stock service's ``stock.low``: one
  mail per shop to its owners.
* ``low_stock``: what the home page lists as still low.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from merdeka.catalog.models import LowStockAlert, StockLevel
from merdeka.catalog.services import stock_low_check
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import OrderLine
from merdeka.outreach.owners import owners_mail

MAIL_LANGUAGE = "id"


def low_stock(*, shop) -> list[LowStockAlert]:
    """The shop's open alerts, each with ``available`` as it is now, lowest first."""
    with shop_scope(shop):
        alerts = list(
            LowStockAlert.objects.filter(
                shop=shop, cleared_at__isnull=True, variant__is_active=True
            ).select_related("variant__product")
        )
        now = dict(
            StockLevel.objects.filter(shop=shop, variant_id__in=[a.variant_id for a in alerts])
            .values("variant_id")
            .annotate(available=Sum(F("on_hand") - F("reserved")))
            .values_list("variant_id", "available")
        )
    for alert in alerts:
        alert.available = now.get(alert.variant_id, 0)
    return sorted(alerts, key=lambda a: (a.available, str(a.variant)))


def orders_stock_check(events) -> None:
    """The outbox handler of ``order.placed``, ``order.cancelled`` and ``order.returned``:
    the variants of those orders are checked against their thresholds (cancelled or
    returned: stock only came back, so alerts are only cleared)."""

    by_shop: dict[int, dict[bool, set[int]]] = defaultdict(lambda: defaultdict(set))
    for event in events:
        fell = event.kind not in ("order.cancelled", "order.returned")
        by_shop[event.shop_id][fell].add(event.data["order_id"])
    for shop_id, kinds in by_shop.items():
        shop = Shop.objects.get(pk=shop_id)
        with shop_scope(shop):
            for fell, order_ids in kinds.items():
                variant_ids = set(
                    OrderLine.objects.filter(
                        shop=shop, order_id__in=order_ids, product_variant__isnull=False
                    ).values_list("product_variant_id", flat=True)
                )
                stock_low_check(shop=shop, variant_ids=variant_ids, fell=fell)


def _stock_url(alert: LowStockAlert) -> str:
    path = reverse("product_stock", args=[alert.variant.product_id])
    return f"{settings.MERDEKA_PUBLIC_URL}{path}"


def low_stock_mail(events) -> None:
    """The outbox handler of ``stock.low``: one mail to the owners of each shop."""

    by_shop: dict[int, list[int]] = defaultdict(list)
    for event in events:
        by_shop[event.shop_id].append(event.data["alert_id"])
    for shop_id, alert_ids in by_shop.items():
        shop = Shop.objects.get(pk=shop_id)
        with shop_scope(shop), translation.override(MAIL_LANGUAGE):
            alerts = list(
                LowStockAlert.objects.filter(shop=shop, pk__in=alert_ids)
                .select_related("variant__product")
                .order_by("available", "pk")
            )
            if not alerts:
                continue
            if len(alerts) == 1:
                subject = _("Stock running low: %(product)s") % {"product": alerts[0].variant}
            else:
                subject = ngettext(
                    "Stock running low: %(count)s product",
                    "Stock running low: %(count)s products",
                    len(alerts),
                ) % {"count": len(alerts)}
            lines = [
                _("%(product)s: %(available)s left (you asked to hear below %(threshold)s)")
                % {
                    "product": alert.variant,
                    "available": max(alert.available, 0),
                    "threshold": alert.threshold,
                }
                + f"\n  {_stock_url(alert)}"
                for alert in alerts
            ]
            body = "\n\n".join(
                [
                    _("Stock is running low in %(shop)s:") % {"shop": shop.name},
                    *lines,
                    _("Add stock in Merdeka (Products → Stock) when the new batch is ready."),
                ]
            )
            owners_mail(shop=shop, subject=subject, body=body)
