"""The walked shop's receipts and suppliers for the cross-shop walk and the phone walker:
a booked receipt and one under review (their store a canary), price points of an item,
a supplier (a canary) with a purchase order part received and billed."""

from __future__ import annotations

import datetime as dt

from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.receipts import booking, capture
from merdeka.receipts.models import Receipt
from merdeka.receipts.tests.conftest import item, photo, reading
from merdeka.suppliers import services as suppliers

STORE = "Kanari Rahasia Ika"


def receipts_world(shop, variant) -> dict:
    day = today(shop)
    booked = None
    for back, price in ((30, 15_000), (20, 15_500), (10, 15_000), (0, 18_000)):
        [receipt] = capture.receipts_upload(shop=shop, files=[photo()])
        with shop_scope(shop):
            receipt = Receipt.objects.get(pk=receipt.pk)
            capture.reading_apply(
                receipt=receipt,
                reading=reading(
                    [item("Gula Kanari Rahasia", 1, price)],
                    store=STORE,
                    day=day - dt.timedelta(days=back),
                ),
            )
        booked = booking.receipt_confirm(shop=shop, receipt_id=receipt.pk)
    [review] = capture.receipts_upload(shop=shop, files=[photo()])
    with shop_scope(shop):
        review = Receipt.objects.get(pk=review.pk)
        capture.reading_apply(
            receipt=review,
            reading=reading(
                [item("Gula Kanari Rahasia", 2, 18_000), item("Telur", 1, 28_000)],
                store=STORE,
                total=70_000,
                day=day,
            ),
        )
    supplier = suppliers.supplier_add(shop=shop, name=STORE, phone="0812-7777-1234")
    order = suppliers.po_create(
        shop=shop,
        supplier_id=supplier.pk,
        key="walk",
        lines=[suppliers.LineInput(variant_id=variant.pk, quantity=4, unit_price=20_000)],
        note=STORE,
    )
    [line] = suppliers.po_lines(shop=shop, order=order)
    suppliers.po_receive(shop=shop, order_id=order.pk, key="walk", quantities={line.pk: 2})
    suppliers.po_bill(shop=shop, order_id=order.pk, due_date=day + dt.timedelta(days=7))
    return {
        "booked": booked,
        "review": review,
        "item_key": "gulakanarirahasia",
        "supplier": supplier,
        "order": order,
        "line": line,
    }
