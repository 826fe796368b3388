"""Pre-order batches in ``merdeka export`` and back: each batch with the variants it
sells and the order lines it took (orders named by channel and number)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator

from django.db import transaction

from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.preorders.models import PreorderBatch, PreorderBatchVariant, PreorderEntry

BATCH_FIELDS = (
    "product",
    "title",
    "note",
    "opens_at",
    "closes_at",
    "ships_on",
    "min_quantity",
    "max_quantity",
    "price",
    "state",
    "reserved",
    "closed_at",
    "closed_by",
    "token",
    "created_at",
)
ENTRY_FIELDS = ("variant", "quantity", "amount", "created_at", "released_at")


def preorder_rows(*, shop, order_refs: Callable) -> Iterator[dict]:
    for batch in batches(PreorderBatch.objects.filter(shop=shop)):
        ids = [b.pk for b in batch]
        variants: dict[int, list[int]] = {}
        for batch_id, variant_id in (
            PreorderBatchVariant.objects.filter(shop=shop, batch_id__in=ids)
            .order_by("pk")
            .values_list("batch_id", "variant_id")
        ):
            variants.setdefault(batch_id, []).append(variant_id)
        entries: dict[int, list[dict]] = {}
        taken = list(PreorderEntry.objects.filter(shop=shop, batch_id__in=ids).order_by("pk"))
        orders = order_refs({e.order_id for e in taken})
        for entry in taken:
            row = fields_of(entry, ENTRY_FIELDS)
            row["order"] = orders.get(entry.order_id)
            entries.setdefault(entry.batch_id, []).append(row)
        for b in batch:
            row = fields_of(b, BATCH_FIELDS)
            row["variants"] = variants.get(b.pk, [])
            row["entries"] = entries.get(b.pk, [])
            yield row


def preorders_restore(*, shop, rows: Iterable[dict], moved: Moved, order_ids) -> int:
    """The batches of an export, into a shop without pre-orders (else nothing)."""
    written = 0
    with transaction.atomic(), shop_scope(shop):
        if PreorderBatch.objects.filter(shop=shop).exists():
            return 0
        for row in rows:
            if moved.get("product", row["product"]) is None:
                continue
            batch = PreorderBatch(**fields_in(PreorderBatch, row, BATCH_FIELDS[1:]))
            batch.product_id = moved.get("product", row["product"])
            if PreorderBatch.unscoped.filter(token=batch.token).exists():
                batch.token = secrets.token_urlsafe(12)[:16]
            [batch_id] = rows_insert(PreorderBatch, [batch], shop=shop)
            rows_insert(
                PreorderBatchVariant,
                [
                    PreorderBatchVariant(batch_id=batch_id, variant_id=moved.get("variant", v))
                    for v in row.get("variants", [])
                    if moved.get("variant", v)
                ],
                shop=shop,
            )
            refs = [tuple(e["order"]) for e in row.get("entries", []) if e.get("order")]
            orders = order_ids(refs)
            entries = []
            for e in row.get("entries", []):
                order_id = orders.get(tuple(e["order"])) if e.get("order") else None
                if order_id is None:
                    continue
                entry = PreorderEntry(**fields_in(PreorderEntry, e, ENTRY_FIELDS[1:]))
                entry.batch_id, entry.order_id = batch_id, order_id
                entry.variant_id = moved.get("variant", e.get("variant"))
                entries.append(entry)
            rows_insert(PreorderEntry, entries, shop=shop)
            written += 1
    return written
