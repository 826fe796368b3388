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

from django.contrib.auth import get_user_model
from django.db import transaction

from merdeka.core.portable import Columns, Moved, among, fields_in, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, OrderEvent, OrderLine, Payment, Shipment

EVENT_FIELDS = ("customer", "delivery", "kind", "from_status", "to_status", "note", "detail", "at")
EVENT_IDS = ("customer", "delivery")  # foreign keys: exported by their id
SHIPMENT_FIELDS = ("courier", "tracking_number", "shipped_at")
PROOF_FIELDS = ("id", "proof", "proof_width", "proof_height")
BATCH = 500


def order_history_rows(*, shop) -> Iterator[dict]:
    """One row per order that has more than ``orders.jsonl`` says, a batch at a time,
    read as tuples (``Columns``: no model instance per row, sealed columns opened with
    the shop's key looked up once)."""
    orders = Columns(
        Order, ("pk", "channel", "external_id", "public_token", "idempotency_key"), shop=shop
    )
    events = Columns(
        OrderEvent,
        ("order_id", *(f"{n}_id" if n in EVENT_IDS else n for n in EVENT_FIELDS), "actor_id"),
        shop=shop,
        plain=True,
    )
    shipments = Columns(
        Shipment, ("order_id", *SHIPMENT_FIELDS, "shipped_by_id"), shop=shop, plain=True
    )
    payments_read = Columns(
        Payment, ("order_id", *PROOF_FIELDS, "recorded_by_id"), shop=shop, plain=True
    )
    usernames = _usernames()
    for batch in orders.batches(Order.objects.filter(shop=shop)):
        # every order of the shop in the batch's range of ids is in the batch: a
        # range of ids (``among``) reads only theirs
        ids = [o[0] for o in batch]
        rows: dict[int, dict] = {}
        row = _row_of(rows)

        for order_id, position, variant, location in (
            OrderLine.objects.filter(among("order_id", ids), shop=shop)
            .exclude(product_variant=None, stock_location=None)
            .order_by("order_id", "position")
            .values_list("order_id", "position", "product_variant_id", "stock_location_id")
        ):
            row(order_id)["lines"].append([position, variant, location])
        for order_id, *values, actor in events.rows(
            OrderEvent.objects.filter(among("order_id", ids), shop=shop).order_by("pk")
        ):
            data = dict(zip(EVENT_FIELDS, values, strict=True))
            data["actor"] = usernames(actor)
            row(order_id)["events"].append(data)
        for order_id, *values, shipped_by in shipments.rows(
            Shipment.objects.filter(among("order_id", ids), shop=shop).order_by("pk")
        ):
            data = dict(zip(SHIPMENT_FIELDS, values, strict=True))
            data["shipped_by"] = usernames(shipped_by)
            row(order_id)["shipments"].append(data)
        payments: dict[int, list] = {}
        for order_id, *values, recorded_by in payments_read.rows(
            Payment.objects.filter(among("order_id", ids), shop=shop).order_by("pk")
        ):
            data = dict(zip(PROOF_FIELDS, values, strict=True))
            data["recorded_by"] = usernames(recorded_by)
            payments.setdefault(order_id, []).append(data)
        for pk, channel, number, public_token, idempotency_key in batch:
            found = rows.get(pk)
            proofs = payments.get(pk, [])
            if (
                found is None
                and not public_token
                and not any(p["proof"] or p["recorded_by"] for p in proofs)
                and not idempotency_key
            ):
                continue
            found = found or row(pk)
            found.update(
                order=[channel, number],
                public_token=public_token,
                idempotency_key=idempotency_key,
                payments=proofs,
            )
            yield found


def _usernames():
    """A user's id -> username (None for none), each looked up once."""
    known: dict[int, str] = {}
    User = get_user_model()

    def username(pk: int | None) -> str | None:
        if pk is None:
            return None
        if pk not in known:
            known[pk] = User.objects.filter(pk=pk).values_list("username", flat=True).first()
        return known[pk]

    return username


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
