"""Several receipts confirmed one after another: after each confirmation the next read
receipt opens (not the list), one she skips is offered again at the end, and the queue
waits for a receipt still being read."""

from __future__ import annotations

from django.urls import reverse

from merdeka.books.models import JournalEntry
from merdeka.core.scoping import shop_scope
from merdeka.receipts.models import Receipt
from merdeka.receipts.tests.conftest import item, photo, reading
from merdeka.receipts.tests.test_views import form_of


def sent(client, count, capture_callbacks):
    with capture_callbacks(execute=True):
        client.post(reverse("receipts_home"), {"photos": [photo() for _ in range(count)]})


def receipts_of(shop):
    with shop_scope(shop):
        return list(Receipt.objects.filter(shop=shop).order_by("pk"))


def queued(receipt) -> str:
    return reverse("receipt_detail", args=[receipt.pk]) + "?antrian=1"


def lines(receipt):
    with shop_scope(receipt.shop):
        return [(i.name, i.qty, i.unit_price, i.total) for i in receipt.items.all()]


def confirm(client, receipt):
    items = lines(receipt)
    return client.post(
        reverse("receipt_detail", args=[receipt.pk]),
        form_of(receipt, items, do="confirm", antrian="1"),
    )


def test_confirming_opens_the_next_receipt_and_a_skipped_one_comes_back(
    ika_shop, ika_client, read_as, django_capture_on_commit_callbacks
):
    read_as(reading([item("GULA PASIR", 2, 16_000)]))
    sent(ika_client, 3, django_capture_on_commit_callbacks)
    first, second, third = receipts_of(ika_shop)
    progress = ika_client.get(reverse("receipts_progress"))
    assert b'data-testid="queue-start"' in progress.content
    start = ika_client.get(reverse("receipts_queue"))
    assert start.url == queued(first)
    page = ika_client.get(start.url)
    assert b'data-testid="queue-confirm"' in page.content
    assert b'name="antrian" value="1"' in page.content
    assert page.context["queue"] == {"left": 2, "reading": 0, "skipped": 0}
    assert confirm(ika_client, first).url == queued(second)
    # she skips the second for now
    skip = ika_client.get(ika_client.get(queued(second)).context["skip_url"])
    assert skip.url == queued(third)
    done = confirm(ika_client, third)
    assert done.url == reverse("receipts_queue") + f"?setelah={third.pk}"
    end = ika_client.get(done.url)
    assert b'data-testid="queue-done"' in end.content
    assert end.context["skipped"] == 1 and end.context["booked"] == 2
    assert end.context["booked_total"] == 64_000
    # again from the start: the skipped one
    assert ika_client.get(reverse("receipts_queue")).url == queued(second)
    assert confirm(ika_client, second).url == reverse("receipts_queue") + f"?setelah={second.pk}"
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(shop=ika_shop, source="expense").count() == 3


def test_the_queue_waits_for_a_receipt_still_being_read(ika_shop, ika_client, read_as):
    read_as(reading([item("GULA PASIR", 2, 16_000)]))
    ika_client.post(reverse("receipts_home"), {"photos": [photo()]})  # not read yet
    page = ika_client.get(reverse("receipts_queue"))
    assert page.status_code == 200
    assert b'data-testid="queue-reading"' in page.content
    assert b'http-equiv="refresh"' in page.content


def test_a_receipt_that_cannot_be_booked_stays_open_in_the_queue(
    ika_shop, ika_client, read_as, django_capture_on_commit_callbacks
):
    read_as(reading([item("GULA PASIR", 2, 16_000)], total=40_000))  # does not add up
    sent(ika_client, 2, django_capture_on_commit_callbacks)
    first, _second = receipts_of(ika_shop)
    answer = confirm(ika_client, first)
    assert answer.status_code == 400
    assert b'data-testid="receipt-error"' in answer.content
    assert b'name="antrian" value="1"' in answer.content  # still in the queue


def test_outside_the_queue_confirming_stays_on_the_receipt(
    ika_shop, ika_client, read_as, django_capture_on_commit_callbacks
):
    read_as(reading([item("GULA PASIR", 2, 16_000)]))
    sent(ika_client, 2, django_capture_on_commit_callbacks)
    first, _second = receipts_of(ika_shop)
    items = lines(first)
    answer = ika_client.post(
        reverse("receipt_detail", args=[first.pk]), form_of(first, items, do="confirm")
    )
    assert answer.url == reverse("receipt_detail", args=[first.pk])
