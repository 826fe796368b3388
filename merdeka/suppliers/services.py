"""Suppliers and buying from them.

* ``supplier_add`` / ``supplier_update`` - a name and a WhatsApp number, sealed; a name
  or number she has already is refused (found through the blind indexes);
* ``po_create`` - a purchase order: lines of her variants, quantities and prices;
* ``po_message`` - the order as words for WhatsApp (a wa.me link to the supplier's
  number) and ``po_mark_sent``;
* ``po_receive`` - goods that arrived, all or part of each line: each line's units come
  into stock at the order's price through the stock service (``catalog.services.
  stock_purchase``: the average cost moves, the books post stock against the account
  that paid, or the payables when the bill comes later); each arrival leaves a price
  point (``receipts.models.PricePoint``) under the supplier;
* ``po_bill`` - the supplier's bill for what arrived unpaid: an *utang* with its due date
  (``books.debts.bill_record``), paid from an account on the debt's own page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from merdeka.books.debts import bill_record
from merdeka.books.posting import today
from merdeka.catalog.models import Variant
from merdeka.catalog.services import location_default, stock_purchase
from merdeka.core.money import format_rupiah
from merdeka.core.phone import normalize_name, normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record
from merdeka.receipts.models import PricePoint
from merdeka.suppliers.models import GoodsReceived, PurchaseOrder, PurchaseOrderLine, Supplier

MAX_LINES = 50
MAX_QTY = 1_000_000
MAX_PRICE = 10**10


def _clean(shop, name: str, phone: str, note: str, other_than: int | None = None):
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Write the supplier's name."))
    if len(name) > 120:
        raise ServiceError(_("The name can have at most 120 characters."))
    e164 = None
    if (phone or "").strip():
        e164 = normalize_phone(phone)
        if e164 is None:
            raise ServiceError(_("Write the WhatsApp number like 0812-3456-7890."))
    note = " ".join((note or "").split())[:200]
    field = Supplier._meta.get_field("name_index")
    others = Supplier.objects.filter(shop=shop).exclude(pk=other_than or 0)
    if others.filter(name_index=field.index_for(shop.pk, name)).exists():
        raise ServiceError(_("There is already a supplier named %(name)s.") % {"name": name})
    if e164:
        phone_field = Supplier._meta.get_field("phone_index")
        if others.filter(phone_index=phone_field.index_for(shop.pk, e164)).exists():
            raise ServiceError(_("Another supplier has this number already."))
    return name, e164, note


def supplier_add(*, shop, name: str, phone: str = "", note: str = "", actor=None) -> Supplier:
    with transaction.atomic(), shop_scope(shop):
        name, e164, note = _clean(shop, name, phone, note)
        supplier = Supplier(shop=shop, name=name, phone=e164, note=note)
        supplier.save()
        audit_record(action="suppliers.added", shop=shop, actor=actor, target=supplier)
    return supplier


def supplier_update(
    *, shop, supplier_id: int, name: str, phone: str = "", note: str = "", actor=None
) -> Supplier:
    with transaction.atomic(), shop_scope(shop):
        supplier = Supplier.objects.select_for_update().get(shop=shop, pk=supplier_id)
        supplier.name, supplier.phone, supplier.note = _clean(
            shop, name, phone, note, other_than=supplier.pk
        )
        supplier.save()
    return supplier


def supplier_find(*, shop, name: str) -> Supplier | None:
    """Her supplier of that name (case and spaces aside), through the blind index."""
    if not normalize_name(name):
        return None
    field = Supplier._meta.get_field("name_index")
    with shop_scope(shop):
        return Supplier.objects.filter(shop=shop, name_index=field.index_for(shop.pk, name)).first()


@dataclass(frozen=True)
class LineInput:
    variant_id: int
    quantity: int
    unit_price: int


def po_create(
    *, shop, supplier_id: int, key: str, lines: list[LineInput], note: str = "", actor=None
) -> PurchaseOrder:
    """A purchase order; a form sent twice makes one."""
    if not key or len(key) > 80:
        raise ValueError("a form key of 1-80 characters is needed")
    lines = [line for line in lines if line.quantity]
    if not lines:
        raise ServiceError(_("Add at least one product with its quantity."))
    if len(lines) > MAX_LINES:
        raise ServiceError(_("An order can have at most 50 lines."))
    with transaction.atomic(), shop_scope(shop):
        existing = PurchaseOrder.objects.filter(shop=shop, key=key).first()
        if existing is not None:
            return existing
        supplier = Supplier.objects.get(shop=shop, pk=supplier_id)
        variants = Variant.objects.filter(shop=shop).in_bulk([line.variant_id for line in lines])
        for line in lines:
            if line.variant_id not in variants:
                raise ServiceError(_("Choose the product from the list."))
            if not 0 < line.quantity <= MAX_QTY:
                raise ServiceError(_("Write each quantity as a whole number above 0."))
            if not 0 <= line.unit_price < MAX_PRICE:
                raise ServiceError(_("Write each price in whole rupiah, such as 12.500."))
        number = (PurchaseOrder.objects.filter(shop=shop).aggregate(n=Max("number"))["n"] or 0) + 1
        order = PurchaseOrder.objects.create(
            shop=shop,
            supplier=supplier,
            number=number,
            note=" ".join((note or "").split())[:200],
            key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                shop=shop,
                order=order,
                variant_id=line.variant_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in lines
        )
    return order


def po_get(*, shop, order_id: int) -> PurchaseOrder:
    with shop_scope(shop):
        return PurchaseOrder.objects.select_related("supplier", "bill").get(shop=shop, pk=order_id)


def po_lines(*, shop, order: PurchaseOrder) -> list[PurchaseOrderLine]:
    with shop_scope(shop):
        return list(
            PurchaseOrderLine.objects.filter(shop=shop, order=order).select_related(
                "variant__product"
            )
        )


def po_total(lines: list[PurchaseOrderLine]) -> int:
    return sum(line.quantity * line.unit_price for line in lines)


def po_message(*, shop, order: PurchaseOrder) -> str:
    """The order in words, for the supplier's WhatsApp."""
    lines = po_lines(shop=shop, order=order)
    rows = [
        _("Hello %(name)s, this is an order from %(shop)s (no. %(number)s):")
        % {"name": order.supplier.name, "shop": shop.name, "number": order.number},
        "",
    ]
    for line in lines:
        rows.append(
            f"- {line.variant}: {line.quantity} x {format_rupiah(line.unit_price)}"
            f" = {format_rupiah(line.quantity * line.unit_price)}"
        )
    rows += ["", _("Total: %(total)s") % {"total": format_rupiah(po_total(lines))}]
    if order.note:
        rows.append(order.note)
    rows.append(_("Thank you."))
    return "\n".join(rows)


def po_mark_sent(*, shop, order_id: int) -> PurchaseOrder:
    with transaction.atomic(), shop_scope(shop):
        order = PurchaseOrder.objects.select_for_update().get(shop=shop, pk=order_id)
        if order.status == PurchaseOrder.Status.DRAFT:
            order.status = PurchaseOrder.Status.SENT
            order.save(update_fields=["status"])
    return order


def po_receive(
    *,
    shop,
    order_id: int,
    key: str,
    quantities: dict[int, int],
    paid_from: int | None = None,
    actor=None,
) -> list[GoodsReceived]:
    """Units that arrived, per line id (see the module). ``paid_from``: the account she
    paid from on arrival; None: the bill comes later (payables). More than a line's
    remaining units is refused, and nothing of the arrival is written."""
    if not key or len(key) > 16:  # the stock move's key (40) holds order, key and line
        raise ValueError("a form key of 1-16 characters is needed")
    wanted = {int(pk): int(qty) for pk, qty in quantities.items() if int(qty or 0)}
    if not wanted:
        raise ServiceError(_("Write how many units of each product arrived."))
    found = []
    with transaction.atomic(), shop_scope(shop):
        order = PurchaseOrder.objects.select_for_update().get(shop=shop, pk=order_id)
        done = list(
            GoodsReceived.objects.filter(
                shop=shop, line__order=order, move__key__startswith=f"po{order.pk}-{key}-"
            )
        )
        if done:  # the same form sent twice: it arrived once
            return done
        lines = {
            line.pk: line
            for line in PurchaseOrderLine.objects.filter(shop=shop, order=order).select_related(
                "variant__product"
            )
        }
        location = location_default(shop=shop)
        day = today(shop)
        for pk, qty in sorted(wanted.items()):
            line = lines.get(pk)
            if line is None:
                raise ServiceError(_("Choose the product from the list."))
            if not 0 < qty <= line.left:
                raise ServiceError(
                    _("%(product)s: %(left)s left to arrive; write at most that.")
                    % {"product": line.variant, "left": line.left}
                )
            move = stock_purchase(
                shop=shop,
                variant=line.variant,
                location=location,
                quantity=qty,
                unit_cost=line.unit_price,
                paid_from=paid_from,
                key=f"po{order.pk}-{key}-{pk}",
                note=_("Purchase order no. %(number)s") % {"number": order.number},
                actor=actor,
            )
            arrival = GoodsReceived.objects.create(
                shop=shop,
                line=line,
                quantity=qty,
                unit_price=line.unit_price,
                move=move,
                paid=paid_from is not None,
            )
            PurchaseOrderLine.objects.filter(shop=shop, pk=line.pk).update(
                received=line.received + qty
            )
            line.received += qty
            PricePoint.objects.create(
                shop=shop,
                item_key=f"v{line.variant_id}",
                label=str(line.variant)[:120],
                place=f"#{order.supplier_id}",
                place_key=f"s{order.supplier_id}",
                supplier_id=order.supplier_id,
                day=day,
                unit_price=line.unit_price,
                qty=qty,
                arrival=arrival,
            )
            found.append(arrival)
        done = all(line.left == 0 for line in lines.values())
        order.status = PurchaseOrder.Status.RECEIVED if done else PurchaseOrder.Status.PARTLY
        order.save(update_fields=["status"])
    return found


def po_unbilled(*, shop, order: PurchaseOrder) -> int:
    """What arrived unpaid and is not on a bill yet."""
    if order.bill_id:
        return 0
    with shop_scope(shop):
        rows = GoodsReceived.objects.filter(shop=shop, line__order=order, paid=False)
        return sum(r.quantity * r.unit_price for r in rows)


def po_bill(
    *, shop, order_id: int, due_date: dt.date, amount: int | None = None, actor=None, request=None
):
    """The supplier's bill for the goods that arrived unpaid: an utang to the supplier."""
    with transaction.atomic(), shop_scope(shop):
        order = (
            PurchaseOrder.objects.select_for_update()
            .select_related("supplier")
            .get(shop=shop, pk=order_id)
        )
        if order.bill_id:
            return order.bill
        owed = po_unbilled(shop=shop, order=order)
        if owed <= 0:
            raise ServiceError(
                _("Nothing of this order arrived unpaid: there is no bill to record.")
            )
        debt = bill_record(
            shop=shop,
            key=f"po-bill:{order.pk}",
            amount=amount or owed,
            due_date=due_date,
            creditor=str(order.supplier.name),
            note=_("Purchase order no. %(number)s") % {"number": order.number},
            actor=actor,
            request=request,
        )
        order.bill = debt
        order.save(update_fields=["bill"])
    return debt


def supplier_orders(*, shop, supplier: Supplier) -> list[PurchaseOrder]:
    with shop_scope(shop):
        return list(PurchaseOrder.objects.filter(shop=shop, supplier=supplier).order_by("-pk")[:50])
