"""A confirmed receipt in the books: an expense carrying its photo, stock bought at its
price (the average cost moves), price points, and what she mapped learned per store."""

from __future__ import annotations

import datetime as dt

import pytest

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import ExpenseReceipt, JournalEntry, JournalLine
from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockCost, StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.receipts import booking, capture
from merdeka.receipts.models import ItemMapping, PricePoint, Receipt, ReceiptItem
from merdeka.receipts.tests.conftest import item, photo, reading


def read(shop, answer):
    [receipt] = capture.receipts_upload(shop=shop, files=[photo()])
    with shop_scope(shop):
        receipt = Receipt.objects.get(pk=receipt.pk)
        capture.reading_apply(receipt=receipt, reading=answer)
    return receipt


def items_of(shop, receipt):
    with shop_scope(shop):
        return list(ReceiptItem.objects.filter(shop=shop, receipt=receipt))


def edit(shop, receipt, *, variants=None, ingredients=None, **fields):
    """Send the review form as she would: every field, with her changes."""
    inputs = [
        booking.ItemInput(
            name=i.name,
            qty=str(i.qty),
            unit_price=str(i.unit_price),
            total=str(i.total),
            variant_id=(variants or {}).get(i.position, i.variant_id),
            ingredient=(ingredients or {}).get(i.position, i.ingredient),
        )
        for i in items_of(shop, receipt)
    ]
    values = {
        "store": receipt.store,
        "day": receipt.date,
        "total": str(receipt.total or ""),
        "discount": receipt.discount,
        "tax": receipt.tax,
        "paid_from_id": receipt.paid_from_id,
        "category_id": receipt.category_id,
        **fields,
    }
    return booking.receipt_update(shop=shop, receipt_id=receipt.pk, items=inputs, **values)


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop, keys=["cash", "bank", "expense:raw_materials", "inventory"]
    )


def test_a_receipt_becomes_an_expense_with_its_photo(ika_shop, ika, acc):
    receipt = read(ika_shop, reading([item("GULA PASIR", 2, 16_000), item("TELUR", 1, 28_000)]))
    assert (
        receipt.paid_from_id == acc["cash"] and receipt.category_id == acc["expense:raw_materials"]
    )
    booked = booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    assert booked.status == Receipt.Status.BOOKED and booked.entry_id
    with shop_scope(ika_shop):
        lines = {
            x.account_id: (x.debit, x.credit)
            for x in JournalLine.objects.filter(entry_id=booked.entry_id)
        }
        assert lines == {acc["expense:raw_materials"]: (60_000, 0), acc["cash"]: (0, 60_000)}
        assert ExpenseReceipt.objects.filter(entry_id=booked.entry_id).exists()
        assert not Receipt.objects.get(pk=receipt.pk).photo  # moved to the expense
        assert PricePoint.objects.filter(receipt=receipt).count() == 2
    # what happens to the photo later: test_photo_lifecycle.py


def test_confirming_twice_books_once(ika_shop, ika):
    receipt = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(shop=ika_shop, source="expense").count() == 1


def test_mapped_items_are_a_stock_purchase_and_the_average_cost_moves(ika_shop, ika, susu, acc):
    home = catalog.location_default(shop=ika_shop)
    catalog.stock_purchase(
        shop=ika_shop, variant=susu, location=home, quantity=10, unit_cost=10_000
    )
    receipt = read(
        ika_shop,
        reading([item("SUSUKENTALMANIS 370G", 10, 13_000), item("PLASTIK", 1, 5_000)]),
    )
    first, second = items_of(ika_shop, receipt)
    assert first.variant_id == susu.pk  # found by its name, though the OCR dropped the spaces
    assert second.variant_id is None
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        cost = StockCost.objects.get(shop=ika_shop, variant=susu)
        assert (cost.quantity, cost.value) == (20, 230_000)  # average 11.500 now
        assert StockLevel.objects.get(shop=ika_shop, variant=susu, location=home).on_hand == 20
        receipt.refresh_from_db()
        expense = {
            x.account_id: x.debit for x in JournalLine.objects.filter(entry_id=receipt.entry_id)
        }
        assert expense[acc["expense:raw_materials"]] == 5_000  # only the plastic is an expense
        stock = JournalLine.objects.filter(
            shop=ika_shop, account_id=acc["inventory"], debit=130_000
        )
        assert stock.exists()


def test_nothing_is_booked_half_when_one_stock_line_is_refused(ika_shop, ika, susu):
    receipt = read(
        ika_shop,
        reading(
            [
                item("SUSU KENTAL MANIS", 10, 13_000),  # comes in first...
                item("SUSUKENTALMANIS", "0.5", 13_000, 6_500),  # ...then this is refused
            ]
        ),
    )
    with pytest.raises(ServiceError, match="utuh"):
        booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.filter(shop=ika_shop).exists()
        assert not StockCost.objects.filter(shop=ika_shop, variant=susu, quantity__gt=0).exists()
        assert Receipt.objects.get(pk=receipt.pk).status != Receipt.Status.BOOKED


def test_a_receipt_that_does_not_add_up_is_not_booked_until_fixed(ika_shop, ika):
    receipt = read(
        ika_shop, reading([item("GULA", 1, 16_000), item("TELUR", 1, 28_000)], total=45_000)
    )
    assert receipt.status == Receipt.Status.REVIEW
    with pytest.raises(ServiceError, match=r"44\.000"):
        booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    receipt = edit(ika_shop, receipt, total="44.000")
    assert receipt.status == Receipt.Status.READY
    assert (
        booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika).status == "booked"
    )


def test_bad_corrections_change_nothing(ika_shop):
    receipt = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    for bad in ({"total": "enam belas"}, {"day": dt.date(2099, 1, 1)}, {"paid_from_id": 999_999}):
        with pytest.raises(ServiceError):
            edit(ika_shop, receipt, store="Toko Lain", **bad)
    with shop_scope(ika_shop):
        assert Receipt.objects.get(pk=receipt.pk).store == "TOKO SEMBAKO MAKMUR"


def test_a_mapping_learned_once_is_applied_to_the_next_receipt_of_that_store(ika_shop, ika, susu):
    receipt = read(ika_shop, reading([item("SKM CAP NONA", 2, 12_000)]))
    assert items_of(ika_shop, receipt)[0].variant_id is None  # nothing tells it is her milk
    receipt = edit(ika_shop, receipt, variants={0: susu.pk})
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        assert ItemMapping.objects.filter(shop=ika_shop, item_key="skmcapnona").exists()
    again = read(ika_shop, reading([item("SKM CAP NONA", 3, 12_500)], store="Toko Sembako Makmur."))
    assert items_of(ika_shop, again)[0].variant_id == susu.pk
    elsewhere = read(ika_shop, reading([item("SKM CAP NONA", 1, 12_000)], store="WARUNG LAIN"))
    assert items_of(ika_shop, elsewhere)[0].variant_id is None  # learned per store


def test_an_ingredient_name_groups_prices_across_stores(ika_shop, ika):
    for store, name, price in (
        ("TOKO A", "GULAPASIR", 16_000),
        ("TOKO B", "Gula Psr Lokal", 15_000),
    ):
        receipt = read(ika_shop, reading([item(name, 1, price)], store=store))
        receipt = edit(ika_shop, receipt, ingredients={0: "Gula pasir"})
        booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        points = list(PricePoint.objects.filter(shop=ika_shop, item_key="gulapasir"))
    assert sorted(p.place for p in points) == ["TOKO A", "TOKO B"]


def test_an_unbooked_receipt_can_be_deleted_a_booked_one_cannot(ika_shop, ika):
    receipt = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk)
    assert not Receipt.unscoped.filter(pk=receipt.pk).exists()
    receipt = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with pytest.raises(ServiceError):
        booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk)
