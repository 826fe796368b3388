"""Debts on the phone: record a customer's debt from her number or her page, pay it in
parts, see it aged, remind her through WhatsApp; staff may do all of it but cancel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from merdeka.books import debts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Debt, DebtKind, DebtReminder, JournalEntry
from merdeka.books.posting import today
from merdeka.books.tests.test_debts import unpaid_delivered_order
from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.privacy.models import AuditEvent
from merdeka.privacy.rights import customer_restrict


@pytest.fixture
def sari(ika_shop):
    return customer_create(shop=ika_shop, name="Sari Dewi Lestari", phone="0812-7777-8888")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def record(client, shop, *, key="k1", amount="300.000", phone="0812 7777 8888", **extra):
    acc = accounts_by_key(shop=shop, keys=["sales"])
    day = today(shop)
    return client.post(
        reverse("debt_receivable_new"),
        {
            "key": key,
            "phone": phone,
            "amount": amount,
            "counter_account": acc["sales"],
            "note": "Nastar 3 toples",
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=7)).isoformat(),
            **extra,
        },
    )


def pay(client, debt, amount, key="p1"):
    acc = accounts_by_key(shop=debt.shop, keys=["cash"])
    return client.post(
        reverse("debt_pay", args=[debt.pk]),
        {"key": key, "amount": amount, "account": acc["cash"], "date": today(debt.shop)},
    )


def test_the_owner_records_a_customers_debt_by_her_number_and_pays_it_in_parts(
    ika_client, ika_shop, sari
):
    assert ika_client.get(reverse("debt_receivable_new")).status_code == 200
    response = record(ika_client, ika_shop)
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "debt_detail", args=[debt.pk]
    )
    assert debt.customer == sari and debt.amount == 300_000
    record(ika_client, ika_shop)  # the same form sent twice records once
    page = text_of(ika_client.get(response["Location"]))
    assert "Sari Dewi Lestari" in page and "Rp300.000" in page
    assert pay(ika_client, debt, "100.000")["Location"].endswith("#top")
    refused = pay(ika_client, debt, "250.000", key="p2")
    assert refused.status_code == 200
    assert "lebih besar dari sisa yang belum dibayar (Rp200.000)" in text_of(refused)
    page = text_of(ika_client.get(reverse("debt_detail", args=[debt.pk])))
    assert re.search(r'data-testid="debt-left">.*?Rp200\.000', page)
    with shop_scope(ika_shop):
        assert JournalEntry.objects.count() == 2
        assert AuditEvent.objects.filter(action="books.debt_viewed").exists()


def test_an_unknown_number_is_refused_with_a_way_forward(ika_client, ika_shop):
    response = record(ika_client, ika_shop, phone="0899 0000 1111")
    assert response.status_code == 200
    assert "Belum ada pelanggan dengan nomor ini" in text_of(response)
    with shop_scope(ika_shop):
        assert not Debt.objects.exists()


def test_the_customer_page_shows_what_she_owes_and_records_a_debt_for_her(
    ika_client, ika_shop, sari
):
    page = text_of(ika_client.get(reverse("customer_detail", args=[sari.pk])))
    assert "Dia tidak punya utang" in page
    form = ika_client.get(reverse("debt_receivable_new") + f"?pelanggan={sari.pk}")
    assert "Sari Dewi Lestari" in text_of(form) and 'name="phone"' not in text_of(form)
    record(ika_client, ika_shop, phone="", customer=sari.pk)
    page = text_of(ika_client.get(reverse("customer_detail", args=[sari.pk])))
    assert re.search(r'data-testid="customer-owes-total">.*?Rp300\.000', page)


def test_the_list_ages_what_is_owed_and_filters_by_bucket(ika_client, ika_shop, sari):
    acc = accounts_by_key(shop=ika_shop, keys=["sales"])
    day = today(ika_shop)
    for key, due, amount in (("a", 40, 70_000), ("b", -5, 30_000)):
        debts.debt_record(
            shop=ika_shop, kind=DebtKind.RECEIVABLE, key=key, amount=amount,
            counter_account_id=acc["sales"], day=day - dt.timedelta(days=60),
            due_date=day - dt.timedelta(days=due), customer_id=sari.pk,
        )  # fmt: skip
    page = text_of(ika_client.get(reverse("debt_receivables")))
    assert re.search(r'data-testid="owed-total">.*?Rp100\.000', page)
    assert re.search(r'data-testid="bucket-31_60"[^>]*>.*?Rp70\.000', page)
    assert re.search(r'data-testid="bucket-not_due"[^>]*>.*?Rp30\.000', page)
    assert "lewat 40 hari" in page and "5 hari lagi" in page
    only = text_of(ika_client.get(reverse("debt_receivables"), {"umur": "31_60"}))
    assert "lewat 40 hari" in only and "5 hari lagi" not in only
    assert ika_client.get(reverse("debt_payables")).status_code == 200


def test_a_payable_to_a_creditor(ika_client, ika_shop):
    acc = accounts_by_key(shop=ika_shop, keys=["inventory"])
    day = today(ika_shop)
    response = ika_client.post(
        reverse("debt_payable_new"),
        {
            "key": "u1",
            "creditor": "Toko Bahan Kue Sinar",
            "amount": "1.200.000",
            "counter_account": acc["inventory"],
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    page = text_of(ika_client.get(reverse("debt_payables")))
    assert "Toko Bahan Kue Sinar" in page and "Rp1.200.000" in page


def test_a_whatsapp_reminder_opens_wa_me_and_is_logged(rina_client, ika_shop, sari):
    record(rina_client, ika_shop)
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
    page = text_of(rina_client.get(reverse("debt_detail", args=[debt.pk])))
    assert "bukan promosi" in page  # the preview says what kind of message it is
    response = rina_client.post(reverse("debt_remind", args=[debt.pk]), {"channel": "walink"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://wa.me/6281277778888?text=")
    with shop_scope(ika_shop):
        assert DebtReminder.objects.get().sent_by.username == "rina"
    page = text_of(rina_client.get(reverse("debt_detail", args=[debt.pk])))
    assert 'data-testid="reminders-log"' in page


def test_a_restricted_customers_reminder_is_refused_with_the_reason(
    ika_client, ika, ika_shop, sari
):
    record(ika_client, ika_shop)
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
    customer_restrict(shop=ika_shop, customer_id=sari.pk, actor=ika, reason="request")
    response = ika_client.post(
        reverse("debt_remind", args=[debt.pk]), {"channel": "walink"}, follow=True
    )
    assert "pemrosesan datanya sedang dibatasi" in text_of(response)
    with shop_scope(ika_shop):
        assert not DebtReminder.objects.exists()


def test_staff_record_and_pay_but_only_owners_cancel(client, rina, ika, ika_shop, sari):
    client.force_login(rina)
    assert record(client, ika_shop).status_code == 302
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
    assert pay(client, debt, "1.000").status_code == 302
    assert client.post(reverse("debt_void", args=[debt.pk])).status_code == 403
    record(client, ika_shop, key="k2")
    with shop_scope(ika_shop):
        debt = Debt.objects.latest("id")
    client.force_login(ika)
    assert client.post(reverse("debt_void", args=[debt.pk])).status_code == 302
    debt.refresh_from_db()
    assert debt.voided_at is not None
    assert "Dibatalkan" in text_of(client.get(reverse("debt_detail", args=[debt.pk])))


def test_an_unpaid_delivered_orders_page_reminds_and_sends_payment_to_the_order(
    ika_client, ika, ika_shop, sari
):
    order = unpaid_delivered_order(ika_shop, ika)
    page = text_of(ika_client.get(reverse("order_debt", args=[order.pk])))
    assert "Rp150.000" in page and reverse("order_detail", args=[order.pk]) in page
    assert f"#{order.external_id}" in text_of(ika_client.get(reverse("debt_receivables")))
    sent = ika_client.post(reverse("order_debt", args=[order.pk]), {"channel": "walink"})
    assert sent["Location"].startswith("https://wa.me/")
    with shop_scope(ika_shop):
        assert DebtReminder.objects.get().order_id == order.pk


def test_another_shops_customer_cannot_be_chosen(citra_client, sari):
    url = reverse("debt_receivable_new") + f"?pelanggan={sari.pk}"
    assert citra_client.get(url).status_code == 404
    response = citra_client.post(reverse("debt_receivable_new"), {"customer": sari.pk})
    assert response.status_code == 404


def test_the_debt_pages_let_the_reminder_form_lead_to_whatsapp_only(ika_client, ika_shop, sari):
    record(ika_client, ika_shop)
    with shop_scope(ika_shop):
        debt = Debt.objects.get()
    policy = ika_client.get(reverse("debt_detail", args=[debt.pk]))["Content-Security-Policy"]
    assert "form-action 'self' https://wa.me https://api.whatsapp.com" in policy
    assert "wa.me" not in ika_client.get(reverse("debt_receivables"))["Content-Security-Policy"]
