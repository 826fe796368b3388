"""A receipt's photo through its life: the books never delete (they reverse), so a booked
receipt's photo stays while its expense stands; once the owner cancels the expense she may
delete the photo (audited), and a receipt never booked goes with its photo at any time. A
deleted photo leaves the database file too (SQLite's freed pages are zeroed)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from merdeka.books import expenses
from merdeka.books.models import ExpenseReceipt, JournalEntry, JournalLine
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.core.tests.sqlite_files import sqlite_file_bytes
from merdeka.privacy.models import AuditEvent
from merdeka.receipts import booking
from merdeka.receipts.models import PricePoint, Receipt
from merdeka.receipts.tests.conftest import item, reading
from merdeka.receipts.tests.test_booking import edit, read


def booked(shop, actor, items=None):
    receipt = read(
        shop, reading(items or [item("GULA PASIR", 2, 16_000), item("TELUR", 1, 28_000)])
    )
    return booking.receipt_confirm(shop=shop, receipt_id=receipt.pk, actor=actor)


def actions(shop) -> list[str]:
    with shop_scope(shop):
        return list(AuditEvent.objects.filter(shop=shop).values_list("action", flat=True))


def test_a_booked_receipts_photo_stays_while_its_expense_stands(ika_shop, ika):
    receipt = booked(ika_shop, ika)
    with pytest.raises(ServiceError, match=r"Batalkan|Cancel"):
        booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with pytest.raises(ServiceError, match=r"Batalkan|Cancel"):
        expenses.expense_receipt_delete(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    assert expenses.receipt_photo(shop=ika_shop, entry_id=receipt.entry_id)[:4] == b"RIFF"
    assert not booking.deletable(shop=ika_shop, receipt=receipt)


def test_a_cancelled_expense_is_reversed_and_the_owner_deletes_its_photo(ika_shop, ika):
    receipt = booked(ika_shop, ika)
    reversal = expenses.expense_cancel(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    assert expenses.expense_cancel(shop=ika_shop, entry_id=receipt.entry_id, actor=ika) == reversal
    with shop_scope(ika_shop):
        # nothing deleted: the expense and its mirror image cancel out
        lines = JournalLine.objects.filter(
            shop=ika_shop, entry_id__in=[receipt.entry_id, reversal.pk]
        )
        assert lines.count() == 4
        per_account = {}
        for line in lines:
            per_account[line.account_id] = (
                per_account.get(line.account_id, 0) + line.debit - line.credit
            )
        assert set(per_account.values()) == {0}
    assert expenses.receipt_photo(shop=ika_shop, entry_id=receipt.entry_id)  # still there
    assert expenses.expense_receipt_delete(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    assert not expenses.expense_receipt_delete(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    with shop_scope(ika_shop):
        assert not ExpenseReceipt.objects.filter(shop=ika_shop).exists()
        assert JournalEntry.objects.filter(shop=ika_shop, pk=receipt.entry_id).exists()
    assert actions(ika_shop).count("books.expense_cancelled") == 1
    assert actions(ika_shop).count("books.expense_receipt_deleted") == 1


def test_a_receipt_whose_expense_was_cancelled_goes_with_its_photo_and_prices(ika_shop, ika):
    receipt = booked(ika_shop, ika)
    expenses.expense_cancel(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    assert booking.deletable(shop=ika_shop, receipt=receipt)
    booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    with shop_scope(ika_shop):
        assert not Receipt.objects.filter(shop=ika_shop, pk=receipt.pk).exists()
        assert not ExpenseReceipt.objects.filter(shop=ika_shop).exists()
        assert not PricePoint.objects.filter(shop=ika_shop).exists()
        assert JournalEntry.objects.filter(shop=ika_shop, source="expense").count() == 1
    assert {"receipts.deleted", "books.expense_receipt_deleted"} <= set(actions(ika_shop))


def test_a_receipt_that_bought_stock_stays_even_when_its_expense_is_cancelled(ika_shop, ika, susu):
    receipt = read(
        ika_shop, reading([item("SUSU KENTAL MANIS", 2, 12_000), item("TELUR", 1, 28_000)])
    )
    edit(ika_shop, receipt, variants={0: susu.pk})
    receipt = booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    expenses.expense_cancel(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    assert not booking.deletable(shop=ika_shop, receipt=receipt)
    with pytest.raises(ServiceError):
        booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk, actor=ika)


def test_an_unbooked_receipt_is_deleted_with_its_photo_and_audited(ika_shop, ika):
    receipt = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    booking.receipt_delete(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    assert not Receipt.unscoped.filter(pk=receipt.pk).exists()
    assert "receipts.deleted" in actions(ika_shop)


def test_only_the_owner_cancels_an_expense_and_deletes_its_photo(ika_shop, ika, rina, client):
    receipt = booked(ika_shop, ika)
    cancel = reverse("books_expense_cancel", args=[receipt.entry_id])
    delete = reverse("books_expense_receipt_delete", args=[receipt.entry_id])
    client.force_login(rina)
    assert client.post(cancel, {"confirmed": "yes"}).status_code == 403
    assert client.post(delete, {"confirmed": "yes"}).status_code == 403
    client.force_login(ika)
    page = client.get(reverse("books_expense_detail", args=[receipt.entry_id]))
    assert b'data-testid="expense-cancel"' in page.content
    assert b"expense-receipt-delete" not in page.content  # not while it stands
    client.post(cancel)  # the first tap only opens the question
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.filter(shop=ika_shop, reverses_id=receipt.entry_id).exists()
    client.post(cancel, {"confirmed": "yes"})
    page = client.get(reverse("books_expense_detail", args=[receipt.entry_id]))
    assert b"expense-reversed" in page.content and b"expense-receipt-delete" in page.content
    review = client.get(reverse("receipt_detail", args=[receipt.pk]))
    assert b"receipt-cancelled" in review.content and b"receipt-delete" in review.content
    client.post(delete, {"confirmed": "yes"})
    with shop_scope(ika_shop):
        assert not ExpenseReceipt.objects.filter(shop=ika_shop).exists()
    assert client.get(reverse("books_expense_receipt", args=[receipt.entry_id])).status_code == 404


def test_staff_cannot_delete_a_booked_receipt_even_cancelled(ika_shop, ika, rina, client):
    receipt = booked(ika_shop, ika)
    expenses.expense_cancel(shop=ika_shop, entry_id=receipt.entry_id, actor=ika)
    client.force_login(rina)
    client.post(reverse("receipt_delete", args=[receipt.pk]), {"confirmed": "yes"})
    assert Receipt.unscoped.filter(pk=receipt.pk).exists()


def _stored(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT photo FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _on_disk(needle: bytes) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    name = connection.settings_dict["NAME"]
    return needle in sqlite_file_bytes(name, ("", "-wal"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file is read")
def test_a_deleted_photo_leaves_the_database_file(ika_shop, ika):
    # a receipt never booked, and a booked one whose expense was cancelled
    loose = read(ika_shop, reading([item("GULA", 1, 16_000)]))
    kept = booked(ika_shop, ika)
    with shop_scope(ika_shop):
        proof = ExpenseReceipt.objects.get(shop=ika_shop, entry_id=kept.entry_id)
    needles = [
        _stored("receipts_receipt", loose.pk)[-200:-100].encode(),
        _stored("books_expensereceipt", proof.pk)[-200:-100].encode(),
    ]
    assert all(_on_disk(needle) for needle in needles)
    booking.receipt_delete(shop=ika_shop, receipt_id=loose.pk, actor=ika)
    expenses.expense_cancel(shop=ika_shop, entry_id=kept.entry_id, actor=ika)
    booking.receipt_delete(shop=ika_shop, receipt_id=kept.pk, actor=ika)
    assert not any(_on_disk(needle) for needle in needles)
