"""The stock service's part for imported marketplace orders: their units leave the shelf.

A marketplace's order export says what was sold, not what was reserved here: an
imported order never reserves stock. Once its lines map to variants (the books' SKU
mapping, ``merdeka.books.skus``), the units that left for it leave the stock too, so a
later stock count (stok opname) finds no difference:

* ``stock_imported_settle`` brings what the ledger says left for each order (moves
  ``import_sent`` and ``import_returned``, per variant and location) to what the order
  wants now: its mapped units when its goods left (shipped or completed), nothing
  otherwise (cancelled, returned, not sent yet). Only the difference moves, so a second
  import of the same export moves nothing, a changed mapping moves the units from the
  old variant back and from the new one out, and a cancelled or returned order brings
  its units back.
* Units leave at the moving average cost (``merdeka.catalog.costing``, as an order's
  goods do), from the locations that sell online, the default first, never below what
  is reserved there (the database refuses an oversold level; units with no stock left
  to take stay unsent, and their cost unknown). Units coming back return at the value
  they left with, to the locations they left from, so the stock's value and the cost of
  goods the books posted for them stay equal.

Part of the stock service (``merdeka.core.ownership.STOCK``): it writes levels, the
ledger and the cost rows inside ``owning(STOCK)``, in the caller's transaction,
set-wise: a few statements per variant, the moves in one insert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from merdeka.catalog.cache import catalog_changed
from merdeka.catalog.costing import share, value_moved
from merdeka.catalog.models import Product, StockCost, StockLevel, StockMove, Variant
from merdeka.catalog.services import stock_low_check
from merdeka.core import bulk
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope

IMPORTED = (StockMove.Reason.IMPORT_SENT, StockMove.Reason.IMPORT_RETURNED)


@dataclass
class Sent:
    """What left for one order of one variant, net of what came back: units, their
    value (rupiah, positive) and the units among them without a known cost."""

    units: int = 0
    value: int = 0
    missing: int = 0


def stock_started(*, shop, variant_ids) -> dict:
    """When each variant's stock was first recorded here (its first move that is not an
    imported order's: an opening count, a purchase, a sale on the shop's own channels);
    variants with none are left out. An imported order placed before then sold units
    that were never on this shelf."""
    with shop_scope(shop):
        return dict(
            StockMove.objects.filter(shop=shop, variant_id__in=sorted(variant_ids))
            .exclude(reason__in=IMPORTED)
            .values("variant_id")
            .annotate(first=Min("created_at"))
            .values_list("variant_id", "first")
            .order_by()
        )


def stock_imported_sent(*, shop, order_ids) -> dict[int, dict[int, Sent]]:
    """What the ledger says left for each imported order: ``order id -> {variant id:
    Sent}`` (variants with nothing left out)."""
    found: dict[int, dict[int, Sent]] = {}
    for (order_id, variant_id, _location), sent in _ledger(shop, order_ids).items():
        mine = found.setdefault(order_id, {}).setdefault(variant_id, Sent())
        mine.units += sent.units
        mine.value += sent.value
        mine.missing += sent.missing
    return {
        order_id: {v: s for v, s in by_variant.items() if s.units}
        for order_id, by_variant in found.items()
    }


def _ledger(shop, order_ids) -> dict[tuple[int, int, int], Sent]:
    found: dict[tuple[int, int, int], Sent] = {}
    with shop_scope(shop):
        for part in bulk.chunks(sorted(set(order_ids))):
            rows = (
                StockMove.objects.filter(shop=shop, reason__in=IMPORTED, order_id__in=part)
                .values("order_id", "variant_id", "location_id")
                .annotate(u=Sum("on_hand_change"), v=Sum("value_change"), m=Sum("cost_missing"))
                .values_list("order_id", "variant_id", "location_id", "u", "v", "m")
                .order_by()
            )
            for order_id, variant_id, location_id, units, value, missing in rows:
                if units:
                    found[(order_id, variant_id, location_id)] = Sent(-units, -value, missing)
    return found


@dataclass
class _Variant:
    """A variant's stock while its moves are worked out: levels (location id ->
    [level id, on hand, reserved]) in the order units leave them, and its cost."""

    levels: dict[int, list[int]]
    quantity: int
    value: int
    cost_id: int | None

    @property
    def on_hand(self) -> int:
        return sum(level[1] for level in self.levels.values())


def stock_imported_settle(*, shop, wanted: dict[int, dict[int, int]]) -> dict[int, dict[int, Sent]]:
    """Move the stock of these imported orders to what left for them: ``wanted`` is
    ``order id -> {variant id: units}`` (``{}``: nothing, e.g. cancelled); variants of
    the order not named give their units back. Returns what left for each order
    afterwards, as ``stock_imported_sent``. Call inside the transaction that imports
    or maps the orders."""
    with transaction.atomic(), shop_scope(shop), owning(STOCK):
        ledger = _ledger(shop, wanted)
        have: dict[tuple[int, int], int] = defaultdict(int)
        for (order_id, variant_id, _location), sent in ledger.items():
            have[(order_id, variant_id)] += sent.units
        pairs = set(have) | {
            (order_id, variant_id)
            for order_id, units in wanted.items()
            for variant_id, n in units.items()
            if n > 0
        }
        tracked = set(
            Variant.objects.filter(
                shop=shop, pk__in=list({v for _o, v in pairs}), track_stock=True
            ).values_list("pk", flat=True)
        )
        moves: list[tuple] = []
        touched: set[int] = set()
        state = _locked(shop, {v for _o, v in pairs})
        now = timezone.now()
        for order_id, variant_id in sorted(pairs):
            need = wanted.get(order_id, {}).get(variant_id, 0) - have[(order_id, variant_id)]
            if need == 0 or (need > 0 and variant_id not in tracked):
                continue
            stock = state[variant_id]
            if need > 0:
                made = _send(order_id, variant_id, stock, need)
            else:
                mine = {
                    location: sent
                    for (o, v, location), sent in ledger.items()
                    if o == order_id and v == variant_id
                }
                made = _back(order_id, variant_id, stock, -need, mine)
            moves.extend((*move, now) for move in made)
            if made:
                touched.add(variant_id)
        _write(shop, state, touched, moves, now)
    return stock_imported_sent(shop=shop, order_ids=wanted)


def _locked(shop, variant_ids) -> dict[int, _Variant]:
    """Each variant's levels (that sell online, the default first; then the rest) and
    cost, locked in variant order."""
    ids = sorted(variant_ids)
    state = {v: _Variant({}, 0, 0, None) for v in ids}
    if not ids:
        return state
    levels = (
        StockLevel.objects.select_for_update(of=("self",))
        .filter(shop=shop, variant_id__in=ids)
        .order_by("variant_id", "-location__sells_online", "-location__is_default", "location_id")
        .values_list("variant_id", "location_id", "pk", "on_hand", "reserved")
    )
    for variant_id, location_id, pk, on_hand, reserved in levels:
        state[variant_id].levels[location_id] = [pk, on_hand, reserved]
    for cost in StockCost.objects.select_for_update().filter(shop=shop, variant_id__in=ids):
        found = state[cost.variant_id]
        found.quantity, found.value, found.cost_id = cost.quantity, cost.value, cost.pk
    return state


def _send(order_id, variant_id, stock: _Variant, units: int) -> list[tuple]:
    """Units leaving for an order, from the levels that have them free."""
    moves = []
    for location_id, level in stock.levels.items():
        if units <= 0:
            break
        take = min(units, level[1] - level[2])
        if take <= 0:
            continue
        moved = value_moved(
            quantity=stock.quantity, value=stock.value, on_hand_before=stock.on_hand, delta=-take
        )
        level[1] -= take
        stock.quantity += moved.quantity_change
        stock.value += moved.value_change
        units -= take
        moves.append(
            (variant_id, location_id, StockMove.Reason.IMPORT_SENT, -take, level[1], level[2],
             order_id, moved.value_change, moved.missing)
        )  # fmt: skip
    return moves


def _back(order_id, variant_id, stock: _Variant, units: int, sent: dict[int, Sent]) -> list:
    """Units coming back from an order, to where they left from, at the value they left
    with (those that left without a cost come back without one)."""
    moves = []
    for location_id, left in sorted(sent.items(), key=lambda item: -item[1].units):
        if units <= 0:
            break
        back = min(units, left.units)
        if back <= 0:
            continue
        missing = min(left.missing, back)
        costed = back - missing
        value = share(left.value, costed, left.units - left.missing) if costed else 0
        level = stock.levels.setdefault(location_id, [None, 0, 0])
        level[1] += back
        stock.quantity += costed
        stock.value += value
        units -= back
        moves.append(
            (variant_id, location_id, StockMove.Reason.IMPORT_RETURNED, back, level[1], level[2],
             order_id, value, missing)
        )  # fmt: skip
    return moves


MOVE_COLUMNS = (
    "shop",
    "variant",
    "location",
    "reason",
    "on_hand_change",
    "on_hand_after",
    "reserved_after",
    "order",
    "value_change",
    "cost_missing",
    "created_at",
)


def _write(shop, state: dict[int, _Variant], touched: set[int], moves: list[tuple], now) -> None:
    """The levels and costs as worked out, and the moves, in a few statements."""
    if not moves:
        return
    for variant_id in sorted(touched):
        stock = state[variant_id]
        for location_id, (pk, on_hand, _reserved) in stock.levels.items():
            if pk is None:
                StockLevel.objects.create(
                    shop=shop, variant_id=variant_id, location_id=location_id, on_hand=on_hand
                )
            else:
                StockLevel.objects.filter(pk=pk).update(on_hand=on_hand)
        if stock.cost_id is not None:
            StockCost.objects.filter(pk=stock.cost_id).update(
                quantity=stock.quantity, value=stock.value
            )
        elif stock.quantity or stock.value:
            StockCost.objects.create(
                shop=shop, variant_id=variant_id, quantity=stock.quantity, value=stock.value
            )
    bulk.insert(StockMove, MOVE_COLUMNS, ((shop.pk, *move) for move in moves), shop_id=shop.pk)
    products = set(
        Variant.objects.filter(shop=shop, pk__in=sorted(touched)).values_list(
            "product_id", flat=True
        )
    )
    Product.objects.filter(shop=shop, pk__in=sorted(products)).update(updated_at=now)
    catalog_changed(shop_id=shop.pk)
    stock_low_check(shop=shop, variant_ids=touched, fell=True)
