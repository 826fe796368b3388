"""What an order carries beyond ``orders.jsonl`` (its fields, lines and payments), in
``merdeka export`` and back: the lines' catalog variant and stock location, the
buyer's confirmation link and the placement's key, the order's history (events, with
the seller's notes in the clear), its shipment, and its payments' proofs and who
recorded them.

Restored only onto the orders the same restore wrote (``Moved.of("new_order")``), so an
export imported twice adds no history twice; in two passes (``order_links_restore``
before the stock and the books, ``order_history_restore`` last).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

from django.db import transaction

from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, OrderEvent, OrderLine, Payment, Shipment

EVENT_FIELDS = ("customer", "delivery", "kind", "from_status", "to_status", "note", "detail", "at")
SHIPMENT_FIELDS = ("courier", "tracking_number", "shipped_at")
PROOF_FIELDS = ("id", "proof", "proof_width", "proof_height")
BATCH = 500


def order_history_rows(*, shop) -> Iterator[dict]:
    """One row per order that has more than ``orders.jsonl`` says, a batch at a time."""
    for batch in batches(Order.objects.filter(shop=shop)):
        ids = [o.pk for o in batch]
        rows: dict[int, dict] = {}
        row = _row_of(rows)

        for order_id, position, variant, location in (
            OrderLine.objects.filter(shop=shop, order_id__in=ids)
            .exclude(product_variant=None, stock_location=None)
            .order_by("order_id", "position")
            .values_list("order_id", "position", "product_variant_id", "stock_location_id")
        ):
            row(order_id)["lines"].append([position, variant, location])
        for event in (
            OrderEvent.objects.filter(shop=shop, order_id__in=ids)
            .select_related("actor")
            .order_by("pk")
        ):
            data = fields_of(event, EVENT_FIELDS)
            data["actor"] = event.actor.username if event.actor_id else None
            row(event.order_id)["events"].append(data)
        for shipment in (
            Shipment.objects.filter(shop=shop, order_id__in=ids)
            .select_related("shipped_by")
            .order_by("pk")
        ):
            data = fields_of(shipment, SHIPMENT_FIELDS)
            data["shipped_by"] = shipment.shipped_by.username if shipment.shipped_by_id else None
            row(shipment.order_id)["shipments"].append(data)
        payments: dict[int, list] = {}
        for payment in (
            Payment.objects.filter(shop=shop, order_id__in=ids)
            .select_related("recorded_by")
            .order_by("pk")
        ):
            data = fields_of(payment, PROOF_FIELDS)
            data["recorded_by"] = payment.recorded_by.username if payment.recorded_by_id else None
            payments.setdefault(payment.order_id, []).append(data)
        for order in batch:
            found = rows.get(order.pk)
            proofs = payments.get(order.pk, [])
            if (
                found is None
                and not order.public_token
                and not any(p["proof"] or p["recorded_by"] for p in proofs)
                and not order.idempotency_key
            ):
                continue
            found = found or row(order.pk)
            found.update(
                order=[order.channel, order.external_id],
                public_token=order.public_token,
                idempotency_key=order.idempotency_key,
                payments=proofs,
            )
            yield found


def _row_of(rows: dict):
    def row(order_id) -> dict:
        return rows.setdefault(order_id, {"lines": [], "events": [], "shipments": []})

    return row


def order_links_restore(*, shop, rows: Iterable[dict], moved: Moved, order_ids) -> int:
    """The first pass, right after the orders and before the stock and the books (the
    gross profit reads a line's variant): the lines' variant and stock location, the
    buyer's link and the placement's key of the orders this restore wrote."""
    return _passes(shop, rows, moved, order_ids, _links)


def order_history_restore(*, shop, rows: Iterable[dict], moved: Moved, order_ids) -> int:
    """The second pass, last (events name deliveries): the events, shipments and the
    payments' proofs of the orders this restore wrote; returns how many got some."""
    return _passes(shop, rows, moved, order_ids, _history)


def _passes(shop, rows, moved: Moved, order_ids, write) -> int:
    new = moved.of("new_order")
    written = 0
    with transaction.atomic(), shop_scope(shop):
        part: list[dict] = []
        for data in rows:
            part.append(data)
            if len(part) >= BATCH:
                written += _mine(shop, part, moved, order_ids, new, write)
                part = []
        written += _mine(shop, part, moved, order_ids, new, write)
    return written


def _mine(shop, rows: list[dict], moved: Moved, order_ids, new: dict, write) -> int:
    found = order_ids([tuple(r["order"]) for r in rows])
    mine = [(found[tuple(r["order"])], r) for r in rows if found.get(tuple(r["order"])) in new]
    if mine:
        write(shop, mine, moved)
    return len(mine)


def _links(shop, mine: list[tuple[int, dict]], moved: Moved) -> None:
    tokens = [r["public_token"] for _pk, r in mine if r.get("public_token")]
    taken = set(
        Order.unscoped.filter(public_token__in=tokens).values_list("public_token", flat=True)
    )
    for order_id, r in mine:
        token = r.get("public_token")
        if token and token in taken:
            token = secrets.token_urlsafe(24)[:32]
        Order.objects.filter(shop=shop, pk=order_id).update(
            public_token=token, idempotency_key=r.get("idempotency_key")
        )
        for position, variant, location in r.get("lines", []):
            OrderLine.objects.filter(shop=shop, order_id=order_id, position=position).update(
                product_variant_id=moved.get("variant", variant),
                stock_location_id=moved.get("location", location),
            )


def _history(shop, mine: list[tuple[int, dict]], moved: Moved) -> None:
    payments: dict[int, list[Payment]] = {}
    for payment in Payment.objects.filter(shop=shop, order_id__in=[pk for pk, _r in mine]).order_by(
        "pk"
    ):
        payments.setdefault(payment.order_id, []).append(payment)
    events, shipments = [], []
    for order_id, r in mine:
        # the payments were restored with the order, in the export's order
        here = payments.get(order_id, [])
        for payment, p in zip(here, r.get("payments", []), strict=False):
            moved.of("payment")[p["id"]] = payment.pk
        for e in r.get("events", []):
            event = OrderEvent(**fields_in(OrderEvent, e, EVENT_FIELDS), order_id=order_id)
            event.customer_id = moved.get("customer", e.get("customer"))
            event.delivery_id = moved.get("delivery", e.get("delivery"))
            event.actor_id = moved.user(e.get("actor"))
            if isinstance(event.detail, dict) and "payment" in event.detail:  # its id here
                event.detail = {
                    **event.detail,
                    "payment": moved.get("payment", event.detail["payment"]),
                }
            events.append(event)
        for s in r.get("shipments", []):
            shipment = Shipment(**fields_in(Shipment, s, SHIPMENT_FIELDS), order_id=order_id)
            shipment.shipped_by_id = moved.user(s.get("shipped_by"))
            shipments.append(shipment)
        for payment, p in zip(here, r.get("payments", []), strict=False):
            payment.proof = p.get("proof")
            payment.proof_width, payment.proof_height = p.get("proof_width"), p.get("proof_height")
            payment.recorded_by_id = moved.user(p.get("recorded_by"))
            payment.save(update_fields=["proof", "proof_width", "proof_height", "recorded_by"])
    rows_insert(OrderEvent, events, shop=shop)
    rows_insert(Shipment, shipments, shop=shop)
