"""Bu Ika's five receipts of the week, confirmed one tap each: two shots with the camera
(queued on the page: a phone's camera input holds one photo a time) and three from the
gallery, sent at once, read in the background, then confirmed from a queue where each
confirmation opens the next receipt. The taps on Merdeka's pages are counted (choosing
the photos is the phone's own picker); the five expenses must add up in her books.

The photos are the generator's (bench/receipts_gen.py) shipped with the reader's tests,
read by the real reader (OCR on the CPU) in the task worker, as for a seller.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.models import JournalLine, Source
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import menu_go, no_sideways_scroll, sign_in
from merdeka.receipts.models import Receipt

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[2] / "receipts" / "tests" / "data"
CAMERA = ["5-000-minimarket-hard", "5-001-grocery-hard"]
GALLERY = ["5-002-building-hard", "5-003-market-hard", "5-005-grocery"]


def truth(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.mark.slow
def test_five_receipts_are_confirmed_with_one_tap_each(
    live_server, page, shot, ika_shop, ika, console_errors
):
    taps: list[str] = []

    def tap(test_id: str, **options):
        page.get_by_test_id(test_id).click(**options)
        taps.append(test_id)

    sign_in(page, live_server, "ika", PASSWORD)
    menu_go(page, "Nota")
    for name in CAMERA:  # one shot, then the next: both are kept
        page.set_input_files("#receipt-camera", [str(DATA / f"{name}.jpg")])
    expect(page.get_by_test_id("receipt-shots")).to_contain_text("2 foto")
    page.set_input_files("#receipt-gallery", [str(DATA / f"{name}.jpg") for name in GALLERY])
    no_sideways_scroll(page)
    # the tests' task backend reads the five photos within this request (the OCR is real)
    tap("receipt-send", timeout=300_000)
    expect(page.get_by_test_id("receipts-done")).to_be_visible()
    expect(page.get_by_test_id("receipt-row")).to_have_count(5)
    tap("queue-start")
    stores = []
    for left in range(4, -1, -1):
        head = page.get_by_test_id("queue-head")
        expect(head).to_be_visible()
        if left:
            expect(page.get_by_test_id("queue-left")).to_contain_text(f"{left} nota lagi")
        else:
            expect(page.get_by_test_id("queue-left")).to_contain_text("terakhir")
        if left == 4:
            no_sideways_scroll(page)
            shot("queue")
        stores.append(page.locator("h1").inner_text())
        tap("queue-confirm")
    expect(page.get_by_test_id("queue-done")).to_be_visible()
    no_sideways_scroll(page)
    shot("done")

    # send, start, and one confirmation for each receipt: nothing else
    assert taps == ["receipt-send", "queue-start"] + ["queue-confirm"] * 5

    names = CAMERA + GALLERY
    expected = sum(truth(name)["total"] for name in names)
    expect(page.get_by_test_id("queue-booked")).to_contain_text(format_rupiah(expected))
    assert sorted(stores) == sorted(truth(name)["store"] for name in names)
    with shop_scope(ika_shop):
        receipts = list(Receipt.objects.filter(shop=ika_shop).order_by("pk"))
        assert [r.status for r in receipts] == [Receipt.Status.BOOKED] * 5
        # sent in the order she took and chose them, confirmed in that order
        assert [r.total for r in receipts] == [truth(name)["total"] for name in names]
        lines = JournalLine.objects.filter(
            shop=ika_shop, entry__source=Source.EXPENSE, entry__reverses__isnull=True
        )
        assert lines.values("entry").distinct().count() == 5
        assert sum(line.debit for line in lines) == expected
        assert sum(line.credit for line in lines) == expected
    assert not console_errors
