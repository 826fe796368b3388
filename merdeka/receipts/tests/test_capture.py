"""Photos in: checked before anything is kept, read by the task worker, and left for her
to check and confirm."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merdeka.core.scoping import shop_scope
from merdeka.receipts import capture, reader
from merdeka.receipts.models import Receipt, ReceiptItem
from merdeka.receipts.tests.conftest import item, photo, reading


def upload(shop, files, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return capture.receipts_upload(shop=shop, files=files)


def test_a_sure_reading_waits_for_her_confirmation(
    ika_shop, read_as, django_capture_on_commit_callbacks
):
    read_as(reading([item("GULA PASIR 1KG", 2, 16_000), item("TELUR AYAM", 1, 28_000)]))
    [receipt] = upload(ika_shop, [photo()], django_capture_on_commit_callbacks)
    with shop_scope(ika_shop):
        receipt.refresh_from_db()
        items = list(ReceiptItem.objects.filter(shop=ika_shop, receipt=receipt))
    assert receipt.status == Receipt.Status.READY  # read, but not booked
    assert receipt.total == 60_000 and receipt.store == "TOKO SEMBAKO MAKMUR"
    assert [(i.key, i.total) for i in items] == [("gulapasir", 32_000), ("telurayam", 28_000)]


@pytest.mark.parametrize(
    "answer, reason",
    [
        (reading([item("GULA", 1, 16_000)], total=17_000), "tidak sama dengan totalnya"),
        (reading([item("GULA", 1, 16_000)], needs_review=True, reasons=("blurred",)), "blurred"),
        (replace(reading([item("GULA", 1, 16_000)]), total=None), "tidak terbaca"),
    ],
)
def test_a_doubtful_reading_goes_to_review(
    ika_shop, read_as, django_capture_on_commit_callbacks, answer, reason
):
    read_as(answer)
    [receipt] = upload(ika_shop, [photo()], django_capture_on_commit_callbacks)
    with shop_scope(ika_shop):
        receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.REVIEW
    assert any(reason in r for r in receipt.reasons)


def test_a_photo_that_is_no_receipt_fails_with_a_message(
    ika_shop, read_as, django_capture_on_commit_callbacks
):
    read_as(reader.UnreadableImage("no text"))
    [receipt] = upload(ika_shop, [photo()], django_capture_on_commit_callbacks)
    with shop_scope(ika_shop):
        receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.FAILED
    assert "tidak bisa dibaca sebagai struk" in receipt.error


def test_without_the_reader_installed_the_receipt_says_so(
    ika_shop, django_capture_on_commit_callbacks
):
    [receipt] = upload(ika_shop, [photo()], django_capture_on_commit_callbacks)
    with shop_scope(ika_shop):
        receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.FAILED and receipt.error


def test_one_bad_file_keeps_nothing_of_the_upload(ika_shop):
    not_an_image = SimpleUploadedFile("struk.jpg", b"%PDF-1.4 not a photo", "image/jpeg")
    with pytest.raises(capture.UploadError) as raised:
        capture.receipts_upload(shop=ika_shop, files=[photo(), not_an_image])
    assert "struk.jpg" in str(raised.value)
    assert not Receipt.unscoped.filter(shop=ika_shop).exists()


def test_a_huge_file_is_refused_and_a_large_photo_scaled_down(ika_shop):
    huge = SimpleUploadedFile("besar.jpg", b"\xff\xd8" + b"0" * (11 * 1024 * 1024), "image/jpeg")
    with pytest.raises(capture.UploadError, match="10 MB"):
        capture.receipts_upload(shop=ika_shop, files=[huge])
    [receipt] = capture.receipts_upload(shop=ika_shop, files=[photo(size=(3000, 4000))])
    assert max(receipt.width, receipt.height) == capture.MAX_SIDE


def test_too_many_or_no_photos_are_refused(ika_shop):
    with pytest.raises(capture.UploadError):
        capture.receipts_upload(shop=ika_shop, files=[])
    with pytest.raises(capture.UploadError):
        capture.receipts_upload(shop=ika_shop, files=[photo()] * 21)


def test_the_photo_is_stored_encrypted(ika_shop):
    [receipt] = capture.receipts_upload(shop=ika_shop, files=[photo()])
    raw = Receipt.unscoped.filter(pk=receipt.pk).values_list("photo", flat=True).get()
    assert not raw.token.startswith("UklGR")  # base64 of "RIFF": not the WebP in the clear
    assert capture.receipt_photo(shop=ika_shop, receipt_id=receipt.pk)[:4] == b"RIFF"
