"""The stock service's restore: a shop's stock as ``merdeka export`` carried it.

Part of the one owner of stock (``merdeka.core.ownership.STOCK``) beside
``merdeka.catalog.services``: the levels, the ledger, the moving-average cost and the
low-stock alerts of a restored catalog are written here, as they were, and nowhere
else. Nothing is replayed: replaying the ledger through ``stock_adjust`` and friends
would tell the books again of value they hold already (``STOCK_VALUED``), and the
books' journal is restored as it was (``merdeka.books.portable``). The ledger has to
explain the levels: the last move of each variant in each location must leave what the
level says, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from merdeka.catalog.models import LowStockAlert, StockCost, StockLevel, StockMove
from merdeka.core.ownership import STOCK, owning
from merdeka.core.portable import Moved, fields_in, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError

BATCH = 2000


class StockNotRestored(ServiceError):
    pass


def stock_restore(
    *, shop, stock: dict, moves: Iterable[dict], move_fields, moved: Moved, order_ids
) -> int:
    """Write the stock of a restored catalog (``catalog_restore``'s ``stock``, in this
    shop's ids) and its ledger (exported rows, oldest first; ``order_ids(refs) ->
    {(channel, number): id}`` finds their orders); old move ids -> new go into
    ``moved.of("stock_move")``. Returns the moves written."""
    written = 0
    last: dict[tuple[int, int], tuple[int, int]] = {}
    with transaction.atomic(), shop_scope(shop), owning(STOCK):
        rows_insert(
            StockLevel,
            [
                StockLevel(variant_id=v, location_id=loc, on_hand=on_hand, reserved=reserved)
                for v, loc, on_hand, reserved in stock["levels"]
                if v and loc
            ],
            shop=shop,
        )
        rows_insert(
            StockCost,
            [StockCost(variant_id=v, quantity=q, value=value) for v, q, value in stock["costs"]],
            shop=shop,
        )
        rows_insert(
            LowStockAlert,
            [
                LowStockAlert(variant_id=v, **fields_in(LowStockAlert, alert, alert.keys()))
                for v, alert in stock["alerts"]
            ],
            shop=shop,
        )
        batch: list[dict] = []
        for row in moves:
            batch.append(row)
            if len(batch) >= BATCH:
                written += _moves_write(shop, batch, move_fields, moved, order_ids, last)
                batch = []
        written += _moves_write(shop, batch, move_fields, moved, order_ids, last)
        levels = {(v, loc): (on_hand, reserved) for v, loc, on_hand, reserved in stock["levels"]}
        for pair, after in last.items():
            if levels.get(pair, (0, 0)) != after:
                raise StockNotRestored(
                    _("The stock in the export does not match its stock ledger.")
                )
    return written


def _moves_write(shop, rows, move_fields, moved: Moved, order_ids, last) -> int:
    if not rows:
        return 0
    orders = order_ids([tuple(r["order"]) for r in rows if r.get("order")])
    moves = []
    for r in rows:
        variant = moved.get("variant", r["variant"])
        location = moved.get("location", r["location"])
        if variant is None or location is None:
            raise StockNotRestored(_("The stock ledger in the export names a missing product."))
        move = StockMove(**fields_in(StockMove, r, [f for f in move_fields if f != "id"]))
        move.variant_id, move.location_id = variant, location
        move.order_id = orders.get(tuple(r["order"])) if r.get("order") else None
        move.actor_id = moved.user(r.get("actor"))
        moves.append(move)
        last[(variant, location)] = (move.on_hand_after, move.reserved_after)
    ids = rows_insert(StockMove, moves, shop=shop)
    moved.of("stock_move").update(zip([r["id"] for r in rows], ids, strict=True))
    return len(ids)
