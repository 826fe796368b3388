"""The review flow on the pages: photos sent, read in the background, checked beside the
photo, fixed inline and confirmed in one tap; the prices page, its chart and the alerts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import ExpenseReceipt
from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.receipts import booking, capture
from merdeka.receipts.models import Receipt
from merdeka.receipts.tests.conftest import item, photo, reading


def form_of(receipt, items, **changes):
    """The review form as the page fills it, with her changes."""
    data = {
        "store": receipt.store,
        "date": receipt.date.isoformat() if receipt.date else "",
        "total": str(receipt.total or ""),
        "discount": "0",
        "tax": "0",
        "paid_from": str(receipt.paid_from_id or ""),
        "category": str(receipt.category_id or ""),
        "item_count": str(len(items)),
    }
    for index, (name, qty, unit, total) in enumerate(items):
        data.update(
            {
                f"item-{index}-name": name,
                f"item-{index}-qty": str(qty),
                f"item-{index}-unit_price": str(unit),
                f"item-{index}-total": str(total),
            }
        )
    data.update(changes)
    return data


def test_from_photos_to_a_confirmed_expense(
    ika_shop, ika_client, read_as, django_capture_on_commit_callbacks
):
    read_as(reading([item("GULA PASIR", 2, 16_000), item("TELUR", 1, 28_000)], total=61_000))
    page = ika_client.get(reverse("receipts_home"))
    assert b'capture="environment"' in page.content and b"multiple" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = ika_client.post(
            reverse("receipts_home"), {"photos": [photo(), photo("b.png", fmt="PNG")]}
        )
    assert sent.url == reverse("receipts_progress")
    progress = ika_client.get(sent.url)
    assert b"receipts-done" in progress.content  # read already (the tasks ran at once here)
    with shop_scope(ika_shop):
        first, _second = Receipt.objects.filter(shop=ika_shop).order_by("pk")
    assert first.status == Receipt.Status.REVIEW  # 60.000 of items, 61.000 total
    review = ika_client.get(reverse("receipt_detail", args=[first.pk]))
    assert b"receipt-photo" in review.content and b"receipt-reasons" in review.content
    assert ika_client.get(reverse("receipt_photo", args=[first.pk]))["Content-Type"] == "image/webp"
    items = [("GULA PASIR", 2, 16_000, 32_000), ("TELUR", 1, 28_000, 28_000)]
    refused = ika_client.post(
        reverse("receipt_detail", args=[first.pk]), form_of(first, items, do="confirm")
    )
    assert refused.status_code == 400 and b"receipt-error" in refused.content
    done = ika_client.post(
        reverse("receipt_detail", args=[first.pk]),
        form_of(first, items, total="60.000", do="confirm"),
    )
    assert done.status_code == 302
    with shop_scope(ika_shop):
        first.refresh_from_db()
        assert first.status == Receipt.Status.BOOKED
        assert ExpenseReceipt.objects.filter(shop=ika_shop, entry_id=first.entry_id).exists()
    booked = ika_client.get(reverse("receipt_detail", args=[first.pk]))
    assert b"receipt-expense" in booked.content
    assert ika_client.get(reverse("books_expense_detail", args=[first.entry_id])).status_code == 200


def test_an_item_the_reader_missed_is_added_and_a_line_removed(ika_shop, ika_client):
    [receipt] = capture.receipts_upload(shop=ika_shop, files=[photo()])
    with shop_scope(ika_shop):
        receipt = Receipt.objects.get(pk=receipt.pk)
        capture.reading_apply(
            receipt=receipt,
            reading=reading([item("GULA", 1, 16_000), item("XXXX", 1, 1)], total=30_000),
        )
    items = [("GULA", 1, 16_000, 16_000), ("XXXX", 1, 1, 1)]
    data = form_of(receipt, items, **{"item-1-delete": "on", "new-name": "Mentega", "new-qty": "1", "new-unit_price": "14.000", "do": "confirm"})  # fmt: skip
    assert ika_client.post(reverse("receipt_detail", args=[receipt.pk]), data).status_code == 302
    with shop_scope(ika_shop):
        receipt.refresh_from_db()
        assert receipt.status == Receipt.Status.BOOKED
        assert [i.name for i in receipt.items.order_by("position")] == ["GULA", "Mentega"]


def test_a_failed_receipt_can_be_deleted_with_a_second_tap(ika_shop, ika_client):
    [receipt] = capture.receipts_upload(shop=ika_shop, files=[photo()])
    url = reverse("receipt_delete", args=[receipt.pk])
    ika_client.post(url)
    assert Receipt.unscoped.filter(pk=receipt.pk).exists()
    ika_client.post(url, {"confirmed": "yes"})
    assert not Receipt.unscoped.filter(pk=receipt.pk).exists()


def test_a_bad_upload_says_why_in_indonesian_and_keeps_nothing(ika_shop, ika_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("catatan.txt", b"bukan foto", "text/plain")
    page = ika_client.post(reverse("receipts_home"), {"photos": [photo(), bad]}, follow=True)
    assert "catatan.txt" in page.content.decode() and "JPEG" in page.content.decode()
    assert not Receipt.unscoped.exists()


def buy(shop, ika, store, price, day):
    [receipt] = capture.receipts_upload(shop=shop, files=[photo()])
    with shop_scope(shop):
        receipt = Receipt.objects.get(pk=receipt.pk)
        capture.reading_apply(
            receipt=receipt,
            reading=reading([item("GULA PASIR 1KG", 1, price)], store=store, day=day),
        )
    return booking.receipt_confirm(shop=shop, receipt_id=receipt.pk, actor=ika)


def test_a_regular_item_dearer_than_usual_is_flagged_on_the_review_and_the_dashboard(
    ika_shop, ika, ika_client
):
    day = today(ika_shop)
    for back, price in ((40, 15_000), (30, 15_500), (20, 15_000)):
        buy(ika_shop, ika, "TOKO A", price, day - dt.timedelta(days=back))
    [receipt] = capture.receipts_upload(shop=ika_shop, files=[photo()])
    with shop_scope(ika_shop):
        receipt = Receipt.objects.get(pk=receipt.pk)
        capture.reading_apply(
            receipt=receipt,
            reading=reading([item("GULAPASIR", 1, 17_000)], store="TOKO B", day=day),
        )
    review = ika_client.get(reverse("receipt_detail", args=[receipt.pk])).content.decode()
    assert "receipt-alerts" in review and "+13%" in review
    booking.receipt_confirm(shop=ika_shop, receipt_id=receipt.pk, actor=ika)
    home = ika_client.get(reverse("home")).content.decode()
    assert "dash-price-alerts" in home and "tile-receipts" in home


def test_a_small_rise_or_a_rare_item_is_not_flagged(ika_shop, ika, ika_client):
    day = today(ika_shop)
    buy(ika_shop, ika, "TOKO A", 15_000, day - dt.timedelta(days=3))
    buy(ika_shop, ika, "TOKO A", 20_000, day)  # bought twice only: not regular
    buy(ika_shop, ika, "TOKO A", 16_000, day)  # +7% over the usual of three: under 10%
    assert "dash-price-alerts" not in ika_client.get(reverse("home")).content.decode()


def test_the_threshold_is_the_owners_setting(ika_shop, ika, ika_client, rina_client):
    from merdeka.receipts import prices

    rina_client.post(reverse("price_list"), {"alert_percent": "50"})
    assert prices.alert_percent(shop=ika_shop) == 10
    ika_client.force_login(ika)
    ika_client.post(reverse("price_list"), {"alert_percent": "5"})
    assert prices.alert_percent(shop=ika_shop) == 5


def test_the_price_chart_and_the_cheapest_place_lately(ika_shop, ika, ika_client):
    day = today(ika_shop)
    buy(ika_shop, ika, "TOKO A", 16_000, day - dt.timedelta(days=10))
    buy(ika_shop, ika, "TOKO B", 14_500, day - dt.timedelta(days=5))
    buy(ika_shop, ika, "TOKO A", 15_500, day)
    listing = ika_client.get(reverse("price_list")).content.decode()
    assert "TOKO B" in listing and "Rp14.500" in listing
    page = ika_client.get(reverse("price_item", args=["gulapasir"])).content.decode()
    assert "<svg" in page and "price-history" in page
    cheapest = page.split('data-testid="cheapest"')[1].split("</article>")[0]
    assert cheapest.index("TOKO B") < cheapest.index("TOKO A")
    assert ika_client.get(reverse("price_item", args=["tidakada"])).status_code == 404
    accounts_by_key(shop=ika_shop, keys=["cash"])
