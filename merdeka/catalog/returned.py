"""The stock service's part for a shop's own order that came back (a return).

An order of the shop's own channels (``merdeka.orders.lifecycle.order_return``) took
its goods off the shelf when it shipped or was completed: the ledger holds its
``order_sent`` moves, each at the moving average cost of the day. When the parcel
comes back:

* the goods are on the shelf again (``restock``): each variant's units come back to
  the location they left from, at the value they left with (units that left without a
  cost come back without one), as ``order_returned`` moves. The books need no entry of
  their own for them: the returned order's postings reverse its cost of goods sold
  into the stock (``merdeka.books.orders``), which is exactly the value that came back;
* the goods came back damaged (no ``restock``): the shelf's counts do not change. The
  ledger says so in two moves, the units coming back at the value they left with and
  the same units written off (``return_damaged``); the write-off is announced as
  ``stock.valued``, so the books post the loss against the stock (a stock difference)
  while the order's postings reverse its cost of goods sold: the stock account keeps
  agreeing with the stock's value.

Only what the ledger says left for the order and has not come back yet moves, so a
second call moves nothing. Part of the stock service (``merdeka.core.ownership.STOCK``),
in the caller's transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Sum

from merdeka.catalog.models import StockCost, StockLevel, StockMove, Variant
from merdeka.catalog.services import STOCK_VALUED, product_touch
from merdeka.core.events import emit
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope

RETURNS = (StockMove.Reason.ORDER_SENT, StockMove.Reason.ORDER_RETURNED)


def stock_out_for_order(*, shop, order_id: int) -> dict[tuple[int, int], tuple[int, int, int]]:
    """What left the shelf for the order and has not come back: ``(variant id,
    location id) -> (units, their value in rupiah, units among them without a cost)``."""
    out: dict[tuple[int, int], list[int]] = {}
    with shop_scope(shop):
        rows = (
            StockMove.objects.filter(shop=shop, order_id=order_id, reason__in=RETURNS)
            .values("variant_id", "location_id", "reason")
            .annotate(u=Sum("on_hand_change"), v=Sum("value_change"), m=Sum("cost_missing"))
            .values_list("variant_id", "location_id", "reason", "u", "v", "m")
            .order_by()
        )
        for variant_id, location_id, reason, units, value, missing in rows:
            found = out.setdefault((variant_id, location_id), [0, 0, 0])
            sign = 1 if reason == StockMove.Reason.ORDER_RETURNED else -1
            # sent: units and value negative, its missing units positive; back: positive
            found[0] -= units
            found[1] -= value
            found[2] -= sign * missing
    return {
        key: (units, value, max(0, min(missing, units)))
        for key, (units, value, missing) in sorted(out.items())
        if units > 0
    }


def stock_return_order(*, shop, order_id: int, restock: bool, actor=None) -> int:
    """Bring back what left the shelf for the order (see the module doc); returns the
    units that came back onto the shelf (0 when they were damaged)."""
    actor_id = actor.pk if actor is not None and actor.pk else None
    back = 0
    with transaction.atomic(), shop_scope(shop), owning(STOCK):
        out = stock_out_for_order(shop=shop, order_id=order_id)
        for (variant_id, location_id), (units, value, missing) in out.items():
            level, _created = StockLevel.objects.get_or_create(
                shop=shop, variant_id=variant_id, location_id=location_id
            )
            level = StockLevel.objects.select_for_update().get(pk=level.pk)
            where = {"shop": shop, "variant_id": variant_id, "location_id": location_id}
            StockMove.objects.create(
                **where,
                reason=StockMove.Reason.ORDER_RETURNED,
                on_hand_change=units,
                on_hand_after=level.on_hand + units,
                reserved_after=level.reserved,
                value_change=value,
                cost_missing=missing,
                order_id=order_id,
                actor_id=actor_id,
            )
            if restock:
                StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + units)
                if units - missing or value:
                    cost, _created = StockCost.objects.get_or_create(
                        shop=shop, variant_id=variant_id
                    )
                    StockCost.objects.filter(pk=cost.pk).update(
                        quantity=F("quantity") + (units - missing), value=F("value") + value
                    )
                back += units
                continue
            # damaged: the same units leave again at the same value, as a loss
            written_off = StockMove.objects.create(
                **where,
                reason=StockMove.Reason.RETURN_DAMAGED,
                on_hand_change=-units,
                on_hand_after=level.on_hand,
                reserved_after=level.reserved,
                value_change=-value,
                cost_missing=missing,
                order_id=order_id,
                actor_id=actor_id,
            )
            if value:
                emit(
                    STOCK_VALUED,
                    shop_id=shop.pk,
                    move_id=written_off.pk,
                    variant_id=variant_id,
                    reason=written_off.reason,
                    value_change=-value,
                    paid_from=None,
                )
        if back:
            touched = {variant_id for variant_id, _location in out}
            for product_id in set(
                Variant.objects.filter(shop=shop, pk__in=sorted(touched)).values_list(
                    "product_id", flat=True
                )
            ):
                product_touch(product_id)
    return back
