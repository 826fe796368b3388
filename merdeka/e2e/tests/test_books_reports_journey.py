"""Bu Ika reads her month on a phone: the summary's charts, the profit and loss, whose
PDF she downloads and whose figures the PDF holds, the cash flow, the financial
position, the trial balance and the ledger of her cash, none scrolling sideways."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import PASSWORD
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Source
from merdeka.books.posting import Line, entry_post, today
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _month(shop, owner):
    day = today(shop)
    acc = accounts_by_key(
        shop=shop, keys=["cash", "bank", "capital", "drawings", "expense:rent", "payable"]
    )
    moves = [
        ("capital", "cash", "capital", 5_000_000),
        ("rent", "expense:rent", "cash", 750_000),
        ("to-bank", "bank", "cash", 1_500_000),
        ("supplier", "expense:rent", "payable", 120_000),
        ("prive", "drawings", "cash", 200_000),
    ]
    for key, debit, credit, amount in moves:
        entry_post(
            shop=shop,
            date=day,
            source=Source.MANUAL,
            key=key,
            lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
        )
    for n, (name, price, qty) in enumerate(
        [("Kue Lapis Legit Premium", 285_000, 4), ("Bolu Pandan", 65_000, 6)]
    ):
        order, _made = manual_order_create(
            shop=shop,
            actor=owner,
            buyer=Buyer(name="Sari Dewi", phone="0812-7777-8888"),
            lines=[ManualLine(quantity=qty, name=name, unit_price=Decimal(price))],
            shipping_fee=Decimal(0),
            idempotency_key=f"journey-{n}",
            delivery_method="pickup",
            payment_method="transfer",
        )
        lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="transfer", actor=owner)
        lifecycle.order_complete(shop=shop, order_id=order.pk, actor=owner)
    # revenue 1.140.000 + 390.000 = 1.530.000; expenses 870.000; profit 660.000


def test_the_owner_reads_her_month_and_downloads_the_profit_and_loss(
    page, live_server, ika, ika_shop, shot, tmp_path, console_errors
):
    _month(ika_shop, ika)
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/buku/laporan/")
    expect(page.get_by_test_id("summary-profit")).to_have_text("Rp660.000")
    expect(page.locator("svg.chart").first).to_be_visible()
    no_sideways_scroll(page)
    shot("summary")

    page.get_by_role("link", name="Laba rugi", exact=True).click()
    expect(page.get_by_role("heading", name="Laba rugi", level=1)).to_be_visible()
    table = page.get_by_test_id("pnl")
    expect(table.get_by_role("row", name=re.compile("Laba bersih"))).to_contain_text("Rp660.000")
    no_sideways_scroll(page)
    shot("profit-and-loss")
    with page.expect_download() as got:
        page.get_by_test_id("download-pdf").click()
    path = tmp_path / "laba-rugi.pdf"
    got.value.save_as(path)
    assert got.value.suggested_filename.startswith("laba-rugi-")
    words = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    assert re.search(r"Total pendapatan\s*Rp1\.530\.000", words), words
    assert re.search(r"Total beban\s*Rp870\.000", words), words
    assert re.search(r"Laba bersih\s*Rp660\.000", words), words

    for name, label in [
        ("Rekap harian", "recap"),
        ("Arus kas", "cash-flow"),
        ("Posisi keuangan", "position"),
        ("Neraca saldo", "trial-balance"),
    ]:
        page.locator(".report-nav").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        no_sideways_scroll(page)
        shot(label)
    expect(page.get_by_test_id("trial-balance")).to_contain_text("Kas")
    page.get_by_test_id("trial-balance").get_by_role("link", name=re.compile("Kas")).click()
    expect(page.get_by_test_id("ledger")).to_contain_text("Saldo akhir")
    no_sideways_scroll(page)
    shot("ledger")
    assert not console_errors, console_errors
