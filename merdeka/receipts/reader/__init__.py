"""The receipt reader: a photo's bytes in, what the receipt says out. No database, no Django models.

    reading = receipt_read(photo_bytes)      # raises UnreadableImage (message in Indonesian)

Offline on the CPU: the photo is straightened and evened out (``image``), read by RapidOCR
(``engine``; its models ship in its wheel), the boxes grouped into rows (``rows``) and the rows
parsed (``parse``). Then the reading is checked: the items must add up to the printed total (after
the discount and any tax added). ``needs_review`` is true whenever they do not, when there is no
total or no item, when the OCR was unsure of an amount or when no date was found — nothing doubtful
is booked without the seller looking at it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from merdeka.receipts.reader import parse as parsing
from merdeka.receipts.reader.engine import Box, read_boxes
from merdeka.receipts.reader.image import UnreadableImage, prepare
from merdeka.receipts.reader.rows import group_rows

__all__ = ["ReadItem", "Reading", "UnreadableImage", "reading_from_boxes", "receipt_read"]


@dataclass(frozen=True)
class ReadItem:
    name: str
    qty: Decimal
    unit_price: int
    total: int
    confidence: float


@dataclass(frozen=True)
class Reading:
    store: str
    date: dt.date | None
    time: dt.time | None
    items: tuple[ReadItem, ...]
    discount: int
    tax: int
    total: int | None
    payment: str  # "tunai", "qris", "debit", "kredit", "transfer", "ewallet" or ""
    needs_review: bool
    reasons: tuple[str, ...]  # why it needs review, for the seller (lazy, Indonesian)
    width: int
    height: int


def receipt_read(data: bytes) -> Reading:
    """Read a receipt photo (JPEG, PNG, WebP...); UnreadableImage has a message for the user."""
    prepared = prepare(data)
    boxes = read_boxes(prepared.image)
    return reading_from_boxes(boxes, prepared.width, prepared.height)


def reading_from_boxes(boxes: list[Box], width: int = 0, height: int = 0) -> Reading:
    """The reading of OCR boxes (the part of ``receipt_read`` after the OCR; tests feed it)."""
    if not boxes:
        raise UnreadableImage(_("No writing found in the photo: is it a receipt?"))
    parsed = parsing.parse(group_rows(boxes))
    has_total_word = parsed.total is not None or parsed.subtotal is not None
    if parsed.amounts < 2 or (not has_total_word and not parsed.items):
        raise UnreadableImage(_("This does not look like a receipt: no amounts or total found."))
    repair_items(parsed)
    total, reasons = check(parsed)
    items = tuple(
        ReadItem(
            name=item.name,
            qty=whole(item.qty),
            unit_price=item.unit_price,
            total=item.total,
            confidence=round(item.score, 3),
        )
        for item in parsed.items
    )
    return Reading(
        store=parsed.store,
        date=parsed.date,
        time=parsed.time,
        items=items,
        discount=parsed.discount,
        tax=parsed.tax_added or parsed.tax_included,
        total=total,
        payment=parsed.payment,
        needs_review=bool(reasons),
        reasons=tuple(reasons),
        width=width,
        height=height,
    )


def whole(qty: Decimal) -> Decimal:
    """2.000 → 2 (not 2E+0), 0.50 → 0.5."""
    return Decimal(int(qty)) if qty == qty.to_integral() else qty.normalize()


def expected_total(parsed: parsing.Parsed) -> int:
    return sum(item.total for item in parsed.items) - parsed.discount + parsed.tax_added


def repair_items(parsed: parsing.Parsed) -> None:
    """When the items miss the printed total, try each unsure item's quantity times unit price; and
    a misread tax, when the items make the subtotal and the payment confirms the total."""
    if parsed.total is None or expected_total(parsed) == parsed.total:
        return
    items_sum = sum(item.total for item in parsed.items)
    paid = parsed.paid - (parsed.change or 0) if parsed.paid is not None else None
    if parsed.items and parsed.subtotal == items_sum and paid == parsed.total and parsed.tax_added:
        tax = parsed.total - items_sum + parsed.discount
        if 0 < tax <= 0.15 * items_sum:
            parsed.tax_added = tax
            return
    for item in parsed.items:
        if item.consistent:
            continue
        product = int(item.qty * item.unit_price)
        if expected_total(parsed) - item.total + product == parsed.total:
            item.total = product
            return


def check(parsed: parsing.Parsed) -> tuple[int | None, list]:
    """The total to show, and why the seller should look at the reading (nothing: it adds up)."""
    reasons = []
    items_total = expected_total(parsed) if parsed.items else None
    printed = parsed.total
    if not parsed.items:
        reasons.append(_("No items could be read."))
    if printed is None or parsed.total_unreadable:
        reasons.append(_("No total found on the receipt."))
    elif items_total != printed:
        if parsed.items:
            reasons.append(_("The items do not add up to the total."))
    elif parsed.subtotal is not None and parsed.subtotal not in (
        sum(item.total for item in parsed.items),
        printed,
        printed + parsed.discount - parsed.tax_added,
    ):
        reasons.append(_("The subtotal does not match the items."))
    if any(not item.consistent for item in parsed.items):
        reasons.append(_("An item's quantity times its price is not its line total."))
    paid = parsed.paid - (parsed.change or 0) if parsed.paid is not None else None
    if printed is not None and paid is not None and paid != printed:
        reasons.append(_("The amount paid does not match the total."))
    if parsed.low_scores:
        reasons.append(_("Some amounts are hard to read."))
    if parsed.date is None:
        reasons.append(_("No date found."))
    return best_total(parsed, printed, items_total), reasons


def best_total(parsed: parsing.Parsed, printed: int | None, items_total: int | None) -> int | None:
    """The printed total, unless the other witnesses agree on another figure."""
    witnesses = Counter()
    for value in (printed, items_total):
        if value:
            witnesses[value] += 1
    if parsed.paid is not None:
        paid = parsed.paid - (parsed.change or 0)
        if paid > 0:
            witnesses[paid] += 1
    if parsed.subtotal is not None:
        witnesses[parsed.subtotal - parsed.discount + parsed.tax_added] += 1
    if not witnesses:
        return None
    (top, votes), *rest = witnesses.most_common()
    if printed is not None and (votes < 2 or witnesses[printed] == votes):
        return printed
    if rest and rest[0][1] == votes:
        return printed if printed is not None else top
    return top
