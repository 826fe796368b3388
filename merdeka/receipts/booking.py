"""A read receipt, corrected by her and booked.

* ``receipt_update`` - the review form: store, date, total, the account and category,
  each item (name, quantity, price, line total, what it is to her), in one go; a bad
  value changes nothing and says what is wrong.
* ``receipt_confirm`` - her one tap: the items mapped to her variants come into stock
  through the stock service (``catalog.services.stock_purchase``: the moving average cost
  takes them in and the books post stock against the account that paid), the rest is one
  expense in the books (``books.expenses.expense_quick_record``) carrying the photo: it
  stays while that expense stands. Every item leaves a price point, and what she mapped
  is learned for the store's next receipt. All of it in one transaction: nothing half.

Why a sure reading still waits for her tap: a wrong total that looks sure would be a
wrong entry in her books and a wrong average cost, and a tap is cheap next to finding it
later. A doubtful one (the reader unsure, lines not adding up) is shown as such.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.books.accounts import EXPENSE, MONEY, chart_accounts
from merdeka.books.expenses import expense_quick_record, expense_receipt_delete
from merdeka.books.models import JournalEntry
from merdeka.books.posting import today
from merdeka.catalog.models import Variant
from merdeka.catalog.services import location_default, stock_purchase
from merdeka.core import bulk
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record
from merdeka.receipts import selectors
from merdeka.receipts.capture import adds_up
from merdeka.receipts.models import ItemMapping, PricePoint, Receipt, ReceiptItem
from merdeka.receipts.names import item_key, store_key

MAX_MONEY = 10**12
OPEN = selectors.OPEN


@dataclass
class ItemInput:
    name: str
    qty: str
    unit_price: str
    total: str
    variant_id: int | None = None
    ingredient: str = ""
    delete: bool = False


def _money(value, what: str) -> int:
    text = str(value if value is not None else "").replace("Rp", "").replace(".", "").strip()
    text = text.replace(",", "").replace(" ", "")
    if text in ("", "-"):
        return 0
    try:
        amount = int(text)
    except ValueError:
        raise ServiceError(
            _("Write %(what)s in whole rupiah, such as 12.500.") % {"what": what}
        ) from None
    if not 0 <= amount < MAX_MONEY:
        raise ServiceError(_("Write %(what)s in whole rupiah, such as 12.500.") % {"what": what})
    return amount


def _qty(value) -> Decimal:
    try:
        qty = Decimal(str(value).replace(",", ".").strip() or "1")
    except InvalidOperation:
        raise ServiceError(_("Write the quantity as a number, such as 2 or 0,5.")) from None
    if not Decimal(0) < qty < Decimal(100000) or qty != qty.quantize(Decimal("0.001")):
        raise ServiceError(_("Write the quantity as a number, such as 2 or 0,5."))
    return qty


def _choice_ids(shop) -> tuple[set[int], set[int]]:
    money = {a.pk for a in chart_accounts(shop=shop, group=MONEY, active_only=True)}
    categories = {a.pk for a in chart_accounts(shop=shop, group=EXPENSE, active_only=True)}
    return money, categories


def receipt_update(
    *,
    shop,
    receipt_id: int,
    store: str,
    day: dt.date | None,
    total,
    discount=0,
    tax=0,
    paid_from_id: int | None = None,
    category_id: int | None = None,
    items: list[ItemInput] = (),
    new_item: ItemInput | None = None,
) -> Receipt:
    """Her corrections, checked first, then written together."""
    store = " ".join((store or "").split())[:120]
    total_value = _money(total, _("the total"))
    discount_value, tax_value = _money(discount, _("the discount")), _money(tax, _("the tax"))
    if day is not None and day > today(shop):
        raise ServiceError(_("The date cannot be in the future."))
    money, categories = _choice_ids(shop)
    if paid_from_id is not None and paid_from_id not in money:
        raise ServiceError(_("Choose the account that paid from the list."))
    if category_id is not None and category_id not in categories:
        raise ServiceError(_("Choose a category from the list."))
    with shop_scope(shop):
        variants = set(Variant.objects.filter(shop=shop).values_list("pk", flat=True))
    rows = []
    for item in [*items, *([new_item] if new_item and new_item.name.strip() else [])]:
        if item.delete:
            rows.append(None)
            continue
        name = " ".join(item.name.split())[:120]
        if not name:
            raise ServiceError(_("Every item needs a name."))
        qty, unit = _qty(item.qty), _money(item.unit_price, _("the price"))
        line = _money(item.total, _("the line total")) or int(qty * unit)
        if item.variant_id is not None and item.variant_id not in variants:
            raise ServiceError(_("Choose the product from the list."))
        rows.append((name, qty, unit or int(line / qty), line, item.variant_id, item.ingredient))
    with transaction.atomic(), shop_scope(shop):
        receipt = Receipt.objects.select_for_update().get(shop=shop, pk=receipt_id)
        if receipt.status not in OPEN:
            raise ServiceError(_("This receipt cannot be changed any more."))
        existing = list(ReceiptItem.objects.filter(shop=shop, receipt=receipt))
        for position, row in enumerate(rows):
            item = existing[position] if position < len(existing) else None
            if row is None:
                if item is not None:
                    item.delete()
                continue
            name, qty, unit, line, variant_id, ingredient = row
            item = item or ReceiptItem(shop=shop, receipt=receipt, position=position)
            item.name, item.key, item.qty, item.unit_price, item.total = (
                name, item_key(name), qty, unit, line
            )  # fmt: skip
            item.variant_id = variant_id
            item.ingredient = " ".join((ingredient or "").split())[:120]
            item.confidence = 1.0  # she saw it
            item.save()
        receipt.store, receipt.store_key, receipt.date = store, store_key(store), day
        receipt.total, receipt.discount, receipt.tax = (
            total_value or None,
            discount_value,
            tax_value,
        )
        receipt.paid_from_id, receipt.category_id = paid_from_id, category_id
        kept = list(ReceiptItem.objects.filter(shop=shop, receipt=receipt))
        receipt.reasons = (
            [] if adds_up(receipt, kept) else [_("The items do not add up to the total.")]
        )
        receipt.status = Receipt.Status.READY if not receipt.reasons else Receipt.Status.REVIEW
        receipt.save()
    return receipt


def _price_key(item: ReceiptItem) -> tuple[str, str]:
    if item.variant_id:
        return f"v{item.variant_id}", str(item.variant)
    label = item.ingredient or item.name
    return item_key(label), label


def receipt_confirm(*, shop, receipt_id: int, actor=None, request=None) -> Receipt:
    """Book a receipt she has looked at (see the module). Booked already: nothing more."""
    with transaction.atomic(), shop_scope(shop):
        receipt = Receipt.objects.select_for_update().get(shop=shop, pk=receipt_id)
        if receipt.status == Receipt.Status.BOOKED:
            return receipt
        if receipt.status not in OPEN:
            raise ServiceError(_("This receipt has not been read yet."))
        items = list(
            ReceiptItem.objects.filter(shop=shop, receipt=receipt).select_related(
                "variant__product"
            )
        )
        if not receipt.total:
            raise ServiceError(_("Write the receipt's total first."))
        if items and not adds_up(receipt, items):
            raise ServiceError(
                _(
                    "The items make %(lines)s but the total is %(total)s: fix an item or "
                    "the total first."
                )
                % {
                    "lines": format_rupiah(sum(i.total for i in items)),
                    "total": format_rupiah(receipt.total),
                }
            )
        if receipt.paid_from_id is None:
            raise ServiceError(_("Choose the account that paid."))
        day = receipt.date or today(shop)
        if day > today(shop):
            raise ServiceError(_("The date cannot be in the future."))
        stock_items = [i for i in items if i.variant_id]
        stocked = 0
        location = location_default(shop=shop) if stock_items else None
        for item in stock_items:
            if item.qty != item.qty.to_integral_value():
                raise ServiceError(
                    _("%(item)s: stock comes in whole units; write a whole quantity.")
                    % {"item": item.name}
                )
            qty = int(item.qty)
            stock_purchase(
                shop=shop,
                variant=item.variant,
                location=location,
                quantity=qty,
                unit_cost=round(item.total / qty),
                paid_from=receipt.paid_from_id,
                key=f"rc{receipt.pk}-{item.position}",
                note=receipt.store,
                actor=actor,
            )
            stocked += round(item.total / qty) * qty
        rest = receipt.total - stocked
        if rest < 0:
            raise ServiceError(
                _("The stock items cost more than the total: check their prices and the discount.")
            )
        if rest > 0:
            if receipt.category_id is None:
                raise ServiceError(_("Choose a category for the expense."))
            upload = None
            if receipt.photo:
                upload = SimpleUploadedFile(
                    f"nota-{receipt.pk}.webp",
                    base64.b64decode(str(receipt.photo).encode("ascii")),
                    "image/webp",
                )
            entry = expense_quick_record(
                shop=shop,
                key=f"receipt:{receipt.pk}",
                amount=rest,
                category_id=receipt.category_id,
                paid_from_id=receipt.paid_from_id,
                day=day,
                note=receipt.store or _("Receipt"),
                receipt=upload,
                actor=actor,
                request=request,
            )
            receipt.entry = entry
            bulk.freed_space_zeroed()  # the photo's old bytes do not stay in the file
            receipt.photo = ""  # it lives with the expense now (see receipt_delete)
        _prices_record(shop, receipt, items, day)
        receipt.date = day
        receipt.status = Receipt.Status.BOOKED
        receipt.booked_at = timezone.now()
        receipt.save()
        audit_record(
            action="receipts.booked",
            shop=shop,
            actor=actor,
            target=receipt,
            request=request,
            detail={"total": receipt.total, "stock": stocked, "expense": rest},
        )
    return receipt


def _prices_record(shop, receipt: Receipt, items: list[ReceiptItem], day: dt.date) -> None:
    skey = receipt.store_key or store_key(receipt.store)
    points = []
    for item in items:
        key, label = _price_key(item)
        if key and item.qty > 0 and item.total > 0:
            points.append(
                PricePoint(
                    shop=shop,
                    item_key=key,
                    label=label[:120],
                    place=receipt.store[:120] or "?",
                    place_key=skey or "?",
                    day=day,
                    unit_price=round(item.total / item.qty),
                    qty=item.qty,
                    receipt=receipt,
                )
            )
        if skey and (item.variant_id or item.ingredient):
            ItemMapping.objects.update_or_create(
                shop=shop,
                store_key=skey,
                item_key=item.key,
                defaults={"variant_id": item.variant_id, "ingredient": item.ingredient},
            )
    PricePoint.objects.bulk_create(points)


def deletable(*, shop, receipt: Receipt) -> bool:
    """May this receipt be deleted with its photo? One never booked, always; a booked one
    only once its expense is cancelled (reversed), and only if none of it went into stock
    (a stock purchase keeps its receipt)."""
    if receipt.status != Receipt.Status.BOOKED:
        return True
    if receipt.entry_id is None:
        return False
    with shop_scope(shop):
        if ReceiptItem.objects.filter(shop=shop, receipt=receipt, variant__isnull=False).exists():
            return False
        return JournalEntry.objects.filter(shop=shop, reverses_id=receipt.entry_id).exists()


def receipt_delete(*, shop, receipt_id: int, actor=None, request=None) -> None:
    """Delete a receipt with its photo (audited; on SQLite the bytes are zeroed in the
    file): one never booked (a wrong photo), or one whose expense was cancelled, with that
    expense's photo and the prices it told. While its expense stands it stays: the photo
    is the expense's evidence."""
    with transaction.atomic(), shop_scope(shop):
        receipt = Receipt.objects.select_for_update().get(shop=shop, pk=receipt_id)
        if not deletable(shop=shop, receipt=receipt):
            raise ServiceError(
                _("A booked receipt stays while what it booked stands. Cancel its expense first.")
            )
        bulk.freed_space_zeroed()
        if receipt.entry_id is not None:
            expense_receipt_delete(
                shop=shop, entry_id=receipt.entry_id, actor=actor, request=request
            )
        audit_record(
            action="receipts.deleted",
            shop=shop,
            actor=actor,
            target=receipt,
            request=request,
            detail={"status": receipt.status, "total": receipt.total},
        )
        receipt.delete()
