"""Receipts and suppliers in ``merdeka export`` and back.

``purchasing_export`` gives plain JSON values: every receipt with its items and its photo
(the receipt's own while it is not booked, else its expense's ``books.ExpenseReceipt``),
the expense it became named by its journal key, the learned mappings, the price points,
the alert setting, the suppliers (their contacts in the clear: the export is hers) and
their purchase orders. Variants are named by SKU, else by their full name.

``purchasing_restore`` writes them into the shop the journal was restored into: receipts
find their expense by its key (and the photo goes back onto it), variants are found by
SKU or name (an item whose product is not in this shop keeps its name only), suppliers
are matched by their blind index. A purchase order comes back with what arrived of each
line, without its stock moves (the stock is the catalog's) and without its bill link
(the books' debts are not in the export); its lines whose product is missing are left out.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

from django.db import transaction

from merdeka.books.models import ExpenseReceipt, JournalEntry
from merdeka.catalog.models import Variant
from merdeka.core.scoping import shop_scope
from merdeka.receipts.models import (
    ItemMapping,
    PricePoint,
    Receipt,
    ReceiptItem,
    ReceiptSettings,
)
from merdeka.suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier
from merdeka.suppliers.services import supplier_find

RECEIPT_FIELDS = ("status", "store", "date", "discount", "tax", "total", "payment", "reasons")
ITEM_FIELDS = ("position", "name", "key", "unit_price", "total", "confidence", "ingredient")


def _variant_names(shop) -> dict[int, dict]:
    return {
        v.pk: {"sku": v.sku, "name": str(v)}
        for v in Variant.objects.filter(shop=shop).select_related("product")
    }


def _day(value):
    return value.isoformat() if value else None


def purchasing_export(*, shop) -> dict:
    """Everything of the receipts and suppliers of ``shop`` (inside its scope)."""
    with shop_scope(shop):
        variants = _variant_names(shop)
        entry_keys = dict(
            JournalEntry.objects.filter(
                shop=shop, pk__in=Receipt.objects.filter(shop=shop).values("entry_id")
            ).values_list("pk", "key")
        )
        photos = {
            r.entry_id: str(r.photo)
            for r in ExpenseReceipt.objects.filter(shop=shop, entry_id__in=list(entry_keys))
        }
        items: dict[int, list] = {}
        for item in ReceiptItem.objects.filter(shop=shop).order_by("receipt_id", "position"):
            row = {f: getattr(item, f) for f in ITEM_FIELDS}
            row["qty"] = str(item.qty)
            row["variant"] = variants.get(item.variant_id)
            items.setdefault(item.receipt_id, []).append(row)
        receipts = []
        for receipt in Receipt.objects.filter(shop=shop).order_by("pk"):
            row = {f: getattr(receipt, f) for f in RECEIPT_FIELDS}
            row["date"] = _day(receipt.date)
            row["id"] = receipt.pk
            row["entry"] = entry_keys.get(receipt.entry_id)
            row["photo"] = str(receipt.photo) if receipt.photo else photos.get(receipt.entry_id)
            row["size"] = [receipt.width, receipt.height]
            row["items"] = items.get(receipt.pk, [])
            receipts.append(row)
        suppliers = [
            {"id": s.pk, "name": str(s.name), "phone": str(s.phone or ""), "note": s.note}
            for s in Supplier.objects.filter(shop=shop).order_by("pk")
        ]
        lines: dict[int, list] = {}
        for line in PurchaseOrderLine.objects.filter(shop=shop).order_by("pk"):
            lines.setdefault(line.order_id, []).append(
                {
                    "variant": variants.get(line.variant_id),
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "received": line.received,
                }
            )
        orders = [
            {
                "supplier": o.supplier_id,
                "number": o.number,
                "status": o.status,
                "note": o.note,
                "key": o.key,
                "lines": lines.get(o.pk, []),
            }
            for o in PurchaseOrder.objects.filter(shop=shop).order_by("pk")
        ]
        prices = [
            {
                "item_key": p.item_key,
                "label": p.label,
                "place": p.place,
                "place_key": p.place_key,
                "supplier": p.supplier_id,
                "day": _day(p.day),
                "unit_price": p.unit_price,
                "qty": str(p.qty),
                "receipt": p.receipt_id,
                "variant": variants.get(int(p.item_key[1:]))
                if p.item_key[:1] == "v" and p.item_key[1:].isdigit()
                else None,
            }
            for p in PricePoint.objects.filter(shop=shop).order_by("pk")
        ]
        mappings = [
            {
                "store_key": m.store_key,
                "item_key": m.item_key,
                "variant": variants.get(m.variant_id),
                "ingredient": m.ingredient,
            }
            for m in ItemMapping.objects.filter(shop=shop).order_by("pk")
        ]
        setting = ReceiptSettings.objects.filter(shop=shop).values("alert_percent").first()
    return {
        "receipts": receipts,
        "suppliers": suppliers,
        "orders": orders,
        "prices": prices,
        "mappings": mappings,
        "settings": setting or {},
    }


class _Here:
    """This shop's variants, found by the SKU, else the full name, of an exported one."""

    def __init__(self, shop):
        self.by = {}
        for pk, ref in _variant_names(shop).items():
            if ref["sku"]:
                self.by[("sku", ref["sku"])] = pk
            self.by.setdefault(("name", ref["name"]), pk)

    def get(self, ref) -> int | None:
        if not ref:
            return None
        return self.by.get(("sku", ref.get("sku"))) or self.by.get(("name", ref.get("name")))


def purchasing_restore(*, shop, data: dict) -> int:
    """Write an export's receipts and suppliers into ``shop``; returns the receipts
    written. A shop that has receipts or suppliers already takes nothing (the same
    export again)."""
    if not data:
        return 0
    with transaction.atomic(), shop_scope(shop):
        if (
            Receipt.objects.filter(shop=shop).exists()
            or Supplier.objects.filter(shop=shop).exists()
        ):
            return 0
        here = _Here(shop)
        entries = dict(JournalEntry.objects.filter(shop=shop).values_list("key", "pk"))
        suppliers = {}
        for row in data.get("suppliers", []):
            found = supplier_find(shop=shop, name=row["name"])
            if found is None:
                found = Supplier(shop=shop, name=row["name"], phone=row.get("phone") or None)
                found.note = row.get("note", "")
                found.save()
            suppliers[row["id"]] = found.pk
        receipts = {}
        for row in data.get("receipts", []):
            entry_id = entries.get(row.get("entry") or "")
            width, height = row.get("size") or [0, 0]
            receipt = Receipt(
                shop=shop,
                **{f: row.get(f) for f in RECEIPT_FIELDS if f != "date"},
                date=dt.date.fromisoformat(row["date"]) if row.get("date") else None,
                width=width,
                height=height,
                entry_id=entry_id,
                photo=None if entry_id else row.get("photo"),
            )
            receipt.reasons = row.get("reasons") or []
            receipt.save()
            receipts[row["id"]] = receipt.pk
            if (
                entry_id
                and row.get("photo")
                and not ExpenseReceipt.objects.filter(shop=shop, entry_id=entry_id).exists()
            ):
                base64.b64decode(row["photo"].encode("ascii"), validate=True)  # bytes, not text
                ExpenseReceipt(
                    shop=shop, entry_id=entry_id, photo=row["photo"], width=width, height=height
                ).save()
            ReceiptItem.objects.bulk_create(
                ReceiptItem(
                    shop=shop,
                    receipt=receipt,
                    qty=Decimal(item["qty"]),
                    variant_id=here.get(item.get("variant")),
                    **{f: item[f] for f in ITEM_FIELDS},
                )
                for item in row.get("items", [])
            )
        _orders_restore(shop, data.get("orders", []), suppliers, here)
        _prices_restore(shop, data, suppliers, receipts, here)
        if data.get("settings", {}).get("alert_percent"):
            ReceiptSettings.objects.update_or_create(
                shop=shop, defaults={"alert_percent": data["settings"]["alert_percent"]}
            )
    return len(receipts)


def _orders_restore(shop, orders, suppliers, here) -> None:
    for row in orders:
        lines = [line for line in row.get("lines", []) if here.get(line.get("variant"))]
        if row.get("supplier") not in suppliers or not lines:
            continue
        order = PurchaseOrder.objects.create(
            shop=shop,
            supplier_id=suppliers[row["supplier"]],
            number=row["number"],
            status=row["status"],
            note=row.get("note", ""),
            key=row.get("key") or f"restored-{row['number']}",
        )
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                shop=shop,
                order=order,
                variant_id=here.get(line["variant"]),
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                received=line.get("received", 0),
            )
            for line in lines
        )


def _prices_restore(shop, data, suppliers, receipts, here) -> None:
    mappings = []
    for row in data.get("mappings", []):
        variant_id = here.get(row.get("variant"))
        if variant_id or row.get("ingredient"):
            mappings.append(
                ItemMapping(
                    shop=shop,
                    store_key=row["store_key"],
                    item_key=row["item_key"],
                    variant_id=variant_id,
                    ingredient=row.get("ingredient", "") if not variant_id else "",
                )
            )
    ItemMapping.objects.bulk_create(mappings)
    points = []
    for row in data.get("prices", []):
        key = row["item_key"]
        if row.get("variant") is not None:  # a variant's id is this shop's now
            if here.get(row["variant"]) is None:
                continue
            key = f"v{here.get(row['variant'])}"
        supplier_id = suppliers.get(row.get("supplier"))
        points.append(
            PricePoint(
                shop=shop,
                item_key=key,
                label=row["label"],
                place=f"#{supplier_id}" if supplier_id else row["place"],
                place_key=f"s{supplier_id}" if supplier_id else row["place_key"],
                supplier_id=supplier_id,
                day=dt.date.fromisoformat(row["day"]),
                unit_price=row["unit_price"],
                qty=Decimal(row["qty"]),
                receipt_id=receipts.get(row.get("receipt")),
            )
        )
    PricePoint.objects.bulk_create(points)
