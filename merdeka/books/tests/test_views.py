"""The books on the phone: an expense in three taps, today's and this month's figures
for the owner, the statements for any period; staff record but see no profit."""

from __future__ import annotations

import re

from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import JournalEntry
from merdeka.core.scoping import shop_scope


def figure(text: str, testid: str) -> str:
    """The text of the element marked ``testid`` (tags inside it dropped)."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:strong|td|th)>', text, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def expense(client, shop, key="k1", amount="45.000"):
    acc = accounts_by_key(shop=shop, keys=["expense:packaging", "cash"])
    return client.post(
        reverse("books_home"),
        {
            "key": key,
            "amount": amount,
            "category": acc["expense:packaging"],
            "paid_from": acc["cash"],
            "note": "Kardus",
        },
    )


def test_the_owner_records_an_expense_and_sees_it_in_todays_figures(ika_client, ika_shop):
    page = ika_client.get(reverse("books_home"))
    assert page.status_code == 200 and b'data-testid="today-profit"' in page.content
    response = expense(ika_client, ika_shop)
    assert response.status_code == 302
    expense(ika_client, ika_shop)  # the same form sent twice records once
    page = ika_client.get(reverse("books_home"))
    text = page.content.decode()
    assert "Pengeluaran tercatat" in text or "expense is recorded" in text
    assert figure(text, "today-expenses") == "Rp45.000"
    assert figure(text, "today-profit") == "-Rp45.000"
    with shop_scope(ika_shop):
        assert JournalEntry.objects.count() == 1


def test_a_bad_amount_is_refused_with_a_message_and_writes_nothing(ika_client, ika_shop):
    response = expense(ika_client, ika_shop, amount="empat puluh")
    assert response.status_code == 200
    assert "rupiah bulat" in response.content.decode()
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.exists()


def test_staff_record_expenses_but_see_no_profit_and_no_reports(rina_client, ika_shop):
    page = rina_client.get(reverse("books_home"))
    assert page.status_code == 200
    assert b"today-profit" not in page.content and b'data-testid="expense-form"' in page.content
    assert expense(rina_client, ika_shop).status_code == 302
    assert rina_client.get(reverse("books_report")).status_code == 403


def test_the_report_shows_profit_and_loss_for_the_period(ika_client, ika_shop):
    expense(ika_client, ika_shop, amount="125.000")
    page = ika_client.get(reverse("books_profit_and_loss"))
    text = re.sub(r"<[^>]+>", "", page.content.decode())
    assert re.search(r"Total beban\s*Rp125.000", text)
    assert re.search(r"Rugi bersih\s*-Rp125.000", text)
    bad = ika_client.get(
        reverse("books_profit_and_loss"), {"date_from": "2026-12-01", "date_to": "2026-11-01"}
    )
    assert "sebelum" in bad.content.decode()
