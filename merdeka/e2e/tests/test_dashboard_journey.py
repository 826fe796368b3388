"""Bu Ika opens Merdeka on her phone: the dashboard shows her empty shop's first steps;
she records the cardboard she bought in three taps, then the next expense with the
photo of its receipt, sees both in today's figures, opens the receipt, and finds both
in today's recap and its chart."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.models import ExpenseReceipt
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in
from merdeka.e2e.tests.full_shop import full_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Taps:
    """Every tap of her finger, counted."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __call__(self, locator):
        self.count += 1
        locator.tap()


def test_an_expense_in_three_taps_from_the_dashboard_and_one_more_for_its_photo(
    live_server, page, shot, ika, ika_shop, console_errors, tmp_path
):
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("first-steps")).to_be_visible()
    expect(page.get_by_test_id("step-expense")).to_have_attribute("data-done", "no")
    expect(page.get_by_test_id("today-expenses")).to_have_text("Rp0")
    no_sideways_scroll(page)
    shot("empty-shop")

    # the cardboard: amount, category, save (the account is the last one she used: cash)
    tap = Taps(page)
    tap(page.get_by_test_id("quick-expense").locator(":scope > summary"))
    amount = page.locator(".quick-expense input[name=amount]")
    expect(amount).to_be_focused()
    page.keyboard.type("45000")
    tap(page.get_by_test_id("category-chips").get_by_text("Kemasan", exact=True))
    expect(page.get_by_test_id("paid-from-chips").locator("input:checked + span")).to_have_text(
        "Kas"
    )
    shot("quick-expense")
    no_sideways_scroll(page)
    tap(page.get_by_test_id("save-expense"))
    assert tap.count == 3
    expect(page.locator(".message-success")).to_contain_text("Pengeluaran tercatat")
    expect(page.get_by_test_id("today-expenses")).to_have_text("Rp45.000")
    expect(page.get_by_test_id("today-profit")).to_have_text("-Rp45.000")
    expect(page.get_by_test_id("step-expense")).to_have_attribute("data-done", "yes")
    shot("after-first-expense")

    # the gas bill, paid by bank transfer, with the photo of its receipt
    receipt = tmp_path / "struk-gas.jpg"
    image = Image.new("RGB", (900, 1200), (250, 250, 245))
    for y in range(100, 1100, 60):  # lines of a printed receipt
        for x in range(120, 780):
            image.putpixel((x, y), (40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    receipt.write_bytes(out.getvalue())
    tap = Taps(page)
    tap(page.get_by_test_id("quick-expense").locator(":scope > summary"))
    expect(amount).to_be_focused()  # typed before the focus came, the first digits would be lost
    page.keyboard.type("120.000")
    tap(page.get_by_test_id("category-chips").get_by_text("Listrik dan air", exact=True))
    tap(page.get_by_test_id("paid-from-chips").get_by_text("Rekening bank", exact=True))
    with page.expect_file_chooser() as chooser:
        tap(page.get_by_test_id("receipt-button"))
    chooser.value.set_files(str(receipt))
    expect(page.get_by_test_id("receipt-button")).to_contain_text("struk-gas.jpg")
    shot("quick-expense-with-photo")
    tap(page.get_by_test_id("save-expense"))
    assert tap.count == 5  # three, the account she changed, and the photo
    expect(page.get_by_test_id("today-expenses")).to_have_text("Rp165.000")
    expect(page.get_by_test_id("today-profit")).to_have_text("-Rp165.000")
    no_sideways_scroll(page)
    shot("after-expense-with-photo")

    # the bank is remembered for the next expense
    page.get_by_test_id("quick-expense").locator(":scope > summary").tap()
    expect(page.get_by_test_id("paid-from-chips").locator("input:checked + span")).to_have_text(
        "Rekening bank"
    )

    # the receipt, on the expense's page
    page.locator(".message-success a").tap()
    expect(page).to_have_url(re.compile(r"/buku/pengeluaran/\d+/$"))
    expect(page.get_by_test_id("expense-amount")).to_have_text("Rp120.000")
    photo = page.get_by_test_id("receipt-photo")
    expect(photo).to_be_visible()
    natural = "document.querySelector('[data-testid=receipt-photo]').naturalWidth"
    for _ in range(50):  # polled from here: the strict CSP forbids wait_for_function
        if page.evaluate(natural) > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(natural) > 0  # the photo was served and decoded
    no_sideways_scroll(page)
    shot("expense-detail")
    with shop_scope(ika_shop):
        assert ExpenseReceipt.objects.count() == 1

    # today's recap: both expenses in the day's row, and in the chart beside its table
    page.goto(f"{live_server.url}/buku/laporan/rekap-harian/")
    expect(page.get_by_role("heading", name="Rekap harian", level=1)).to_be_visible()
    day = page.get_by_test_id("recap").locator("tbody tr").first
    expect(day.locator("td[data-label='Beban']")).to_have_text("Rp165.000")
    expect(day.locator("td[data-label='Laba bersih']")).to_have_text("-Rp165.000")
    chart = page.locator(".report-chart").filter(has=page.get_by_test_id("chart-recap"))
    svg = chart.locator("svg.chart")
    expect(svg).to_be_visible()
    expect(svg.locator("title").first).to_have_text("Laba per hari")
    expect(svg.locator("desc").first).to_contain_text("Semuanya -Rp165.000")
    expect(svg.locator("rect.s0")).to_have_count(1)  # one day, one bar (below the line)
    expect(svg.locator("rect.s0 title")).to_contain_text("Laba bersih: -Rp165.000")
    expect(chart.get_by_test_id("chart-recap").locator("tbody tr")).to_have_count(1)
    expect(chart.get_by_test_id("chart-recap")).to_contain_text("-Rp165.000")
    no_sideways_scroll(page)
    shot("todays-recap")
    assert not console_errors, console_errors


def test_the_dashboard_of_a_busy_shop_fits_a_phone(live_server, page, shot, ika, ika_shop):
    full_shop(ika_shop, ika)
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("first-steps")).to_have_count(0)
    no_sideways_scroll(page)
    shot("busy-dashboard")
    page.get_by_test_id("tile-process").tap()
    expect(page).to_have_url(re.compile(r"/pesanan/\?need=process$"))
    no_sideways_scroll(page)
    shot("orders-to-process")
    page.goto(live_server.url + reverse("books_accounts"))
    no_sideways_scroll(page)
    shot("accounts")
