"""Issue 15, debts, on a phone: Bu Ika records what a customer owes from the customer's
page, reminds her through her own WhatsApp (a wa.me link, the service message that says
what it is), records a part payment, and sees the rest aged in the receivables."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.models import Debt, DebtReminder, JournalEntry
from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer
from merdeka.outreach.models import DeliveryStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_customers_debt_reminded_on_whatsapp_part_paid_and_aged(
    live_server, page, shot, ika_shop, console_errors
):
    sari = customer_create(
        shop=ika_shop, name="Sari Dewi Lestari", phone="+6281277778888", city="Kota Bandung"
    )
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")

    # 1. from her page: she owes nothing yet; record what she owes, due in 10 days
    page.goto(f"{live_server.url}/pelanggan/{sari.pk}/")
    owes = page.get_by_test_id("customer-owes")
    expect(owes).to_contain_text("Dia tidak punya utang ke tokomu.")
    owes.get_by_test_id("customer-debt-new").click()
    expect(page.get_by_test_id("debt-customer")).to_contain_text("Sari Dewi Lestari")
    page.fill("#id_amount", "350.000")
    page.select_option("#id_counter_account", label="Penjualan")
    page.fill("#id_note", "Nastar 5 toples untuk arisan")
    due = today(ika_shop) + dt.timedelta(days=10)
    page.fill("#id_due_date", due.isoformat())
    no_sideways_scroll(page)
    shot("debt-form")
    page.get_by_test_id("debt-save").click()
    expect(page.locator("body")).to_contain_text("Piutang tercatat.")
    expect(page.get_by_test_id("debt-left")).to_have_text("Rp350.000")
    expect(page.get_by_test_id("debt-who")).to_contain_text("Sari Dewi Lestari")

    # 2. the reminder: its words say it is about her transaction, not a promotion
    preview = page.get_by_test_id("reminder-preview")
    expect(preview).to_contain_text("Halo Sari")
    expect(preview).to_contain_text("bukan promosi")
    expect(preview).to_contain_text("Rp350.000")
    no_sideways_scroll(page)
    shot("debt-page")
    page.get_by_label("WhatsApp dari HP saya (tautan wa.me)").check()
    page.get_by_test_id("reminder-send").click()
    page.wait_for_url("https://wa.me/**")
    url = urlsplit(page.url)
    assert (url.netloc, url.path) == ("wa.me", "/6281277778888")
    text = parse_qs(url.query)["text"][0]
    assert text.startswith("Halo Sari, ini pengingat pembayaran dari Dapur Kue Bu Ika")
    assert "Nastar 5 toples untuk arisan" in text and "bukan promosi" in text
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
        reminder = DebtReminder.objects.get()
    assert reminder.debt == debt and reminder.delivery.status == DeliveryStatus.SENT

    # 3. back in Merdeka: the reminder is logged; she pays Rp150.000 in cash
    page.goto(f"{live_server.url}/buku/utang-piutang/{debt.pk}/")
    expect(page.get_by_test_id("reminders-log")).to_contain_text("WhatsApp dari HP saya")
    page.fill("#id_amount", "500.000")  # more than she owes: refused, in her words
    page.get_by_test_id("payment-save").click()
    expect(page.locator("#id_amount_error")).to_contain_text(
        "lebih besar dari sisa yang belum dibayar (Rp350.000)"
    )
    no_sideways_scroll(page)
    shot("overpayment-refused")
    page.fill("#id_amount", "150.000")
    page.get_by_test_id("payment-save").click()
    expect(page.locator("body")).to_contain_text("Pembayaran tercatat.")
    expect(page.get_by_test_id("debt-left")).to_have_text("Rp200.000")
    expect(page.get_by_test_id("payments")).to_contain_text("Rp150.000")
    no_sideways_scroll(page)
    shot("part-paid")

    # 4. the receivables: what is left, aged (not due yet), and on her page too
    page.goto(f"{live_server.url}/buku/")
    page.get_by_test_id("receivables-link").click()
    expect(page.get_by_test_id("owed-total")).to_have_text("Rp200.000")
    expect(page.get_by_test_id("bucket-not_due")).to_contain_text("Rp200.000")
    expect(page.get_by_test_id("bucket-0_30")).to_contain_text("Rp0")
    expect(page.get_by_test_id("debt-rows")).to_contain_text("Sari Dewi Lestari")
    expect(page.get_by_test_id("debt-rows")).to_contain_text("10 hari lagi")
    no_sideways_scroll(page)
    shot("receivables")
    page.get_by_test_id("bucket-not_due").click()
    expect(page).to_have_url(re.compile(r"\?umur=not_due$"))
    expect(page.get_by_test_id("debt-rows").locator("li")).to_have_count(1)
    page.goto(f"{live_server.url}/pelanggan/{sari.pk}/")
    expect(page.get_by_test_id("customer-owes-total")).to_have_text("Rp200.000")
    no_sideways_scroll(page)
    shot("customer-page")
    with shop_scope(ika_shop):  # the debt and its payment, one entry each
        assert JournalEntry.objects.count() == 2
    assert console_errors == []


def test_a_delivered_order_not_paid_in_full_is_reminded_and_paid_off_in_parts(
    live_server, page, shot, ika, ika_shop, console_errors
):
    """Cash on delivery that did not all come: the order is in the receivables (belum
    lunas); she reminds the buyer on WhatsApp, takes a part on the order's page (more
    than is left is refused with what is left), and the ageing shows the rest."""
    order, _made = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=1, name="Kue Lapis Legit", unit_price=Decimal(285_000))],
        shipping_fee=Decimal(0),
        idempotency_key="cod-1",
        delivery_method="courier",
        payment_method="cod",
    )
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="gosend", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))
    sign_in(page, live_server, "ika", PASSWORD)

    # 1. the receivables list it, aged from its delivery; its page reminds her
    page.goto(f"{live_server.url}/buku/piutang/")
    expect(page.get_by_test_id("owed-total")).to_have_text("Rp285.000")
    expect(page.get_by_test_id("bucket-0_30")).to_contain_text("Rp285.000")
    page.get_by_test_id("debt-rows").get_by_text(f"#{order.external_id}").click()
    expect(page.get_by_test_id("debt-left")).to_have_text("Rp285.000")
    page.get_by_label("WhatsApp dari HP saya (tautan wa.me)").check()
    page.get_by_test_id("reminder-send").click()
    page.wait_for_url("https://wa.me/**")
    text = parse_qs(urlsplit(page.url).query)["text"][0]
    assert f"#{order.external_id}" in text and "bukan promosi" in text

    # 2. on the order's page: belum lunas; Rp300.000 is refused, Rp100.000 is taken
    page.goto(f"{live_server.url}/buku/piutang/pesanan/{order.pk}/")
    expect(page.get_by_test_id("reminders-log")).to_contain_text("WhatsApp dari HP saya")
    page.get_by_test_id("order-pay-link").click()
    expect(page.get_by_test_id("order-left")).to_contain_text("Rp285.000")
    expect(page.get_by_test_id("order-left")).to_contain_text("Belum lunas")
    pay = page.get_by_test_id("pay-form")
    pay.get_by_label("Tunai", exact=True).check()
    pay.locator("input[name=amount]").fill("300.000")
    page.get_by_test_id("pay-submit").click()
    expect(page.get_by_test_id("order-refused")).to_contain_text(
        "lebih besar dari sisa yang belum dibayar (Rp285.000)"
    )
    no_sideways_scroll(page)
    shot("order-overpayment-refused")
    pay.get_by_label("Tunai", exact=True).check()
    pay.locator("input[name=amount]").fill("100.000")
    page.get_by_test_id("pay-submit").click()
    expect(page.locator("body")).to_contain_text("Pembayaran dicatat. Sisa tagihan Rp185.000.")
    expect(page.get_by_test_id("order-paid")).to_have_text("Rp100.000")
    expect(page.get_by_test_id("order-left")).to_contain_text("Rp185.000")
    expect(pay.locator("input[name=amount]")).to_have_value("185000")  # what is left
    no_sideways_scroll(page)
    shot("order-part-paid")

    # 3. the ageing holds what is left
    page.goto(f"{live_server.url}/buku/piutang/")
    expect(page.get_by_test_id("owed-total")).to_have_text("Rp185.000")
    expect(page.get_by_test_id("bucket-0_30")).to_contain_text("Rp185.000")
    no_sideways_scroll(page)
    shot("order-receivable-aged")
    with shop_scope(ika_shop):  # delivered, then one entry for the part paid
        assert JournalEntry.objects.filter(order=order).count() == 2
    # the refused payment's page answers 400 (a refusal, on purpose); nothing else failed
    assert [e for e in console_errors if "status of 400" not in e] == []
