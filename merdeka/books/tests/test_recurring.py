"""The monthly rent records itself: once per month on its day (the month's last day when
the month is shorter), months missed while the server was off are caught up on their own
days, nothing ever posts twice, and it stops where it should."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from merdeka.books import accounts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import JournalEntry, RecurringExpense
from merdeka.books.recurring import (
    first_due,
    recurring_expense_create,
    recurring_expenses_due,
    recurring_expenses_post,
)
from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError

JAKARTA = dt.timezone(dt.timedelta(hours=7))


def rent(shop, *, day=25, starts_on=dt.date(2026, 1, 1), ends_on=None, amount=1_500_000):
    acc = accounts_by_key(shop=shop, keys=["expense:rent", "bank"])
    with shop_scope(shop):
        return RecurringExpense.objects.create(
            shop=shop,
            name="Sewa kios",
            amount=amount,
            category_id=acc["expense:rent"],
            paid_from_id=acc["bank"],
            day_of_month=day,
            starts_on=starts_on,
            ends_on=ends_on,
            next_due=first_due(starts_on, day),
        )


def posted(shop) -> list[tuple[dt.date, str]]:
    with shop_scope(shop):
        return list(
            JournalEntry.objects.filter(shop=shop, source="expense")
            .order_by("date")
            .values_list("date", "memo")
        )


def test_a_month_posts_once_on_its_day(ika_shop):
    row = rent(ika_shop)
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 1, 24)) == 0
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 1, 25)) == 1
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 1, 25)) == 0
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 2, 20)) == 0
    assert posted(ika_shop) == [(dt.date(2026, 1, 25), "Sewa kios")]
    row.refresh_from_db()
    assert row.next_due == dt.date(2026, 2, 25)


def test_missed_months_are_caught_up_on_their_own_days_and_never_doubled(ika_shop):
    rent(ika_shop, day=31)
    # the server was off from January to May: each month posts on its (last) day
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 5, 2)) == 4
    assert [day for day, _ in posted(ika_shop)] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]
    # a second scheduler with a stale view of the row: the period's key refuses a double
    with shop_scope(ika_shop):
        RecurringExpense.objects.update(next_due=dt.date(2026, 3, 31))
    recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 5, 2))
    assert len(posted(ika_shop)) == 4
    with shop_scope(ika_shop):
        row = RecurringExpense.objects.get()
        assert JournalEntry.objects.filter(key=f"expense:recurring-{row.pk}-2026-03").count() == 1


def test_the_scheduler_posts_in_each_shops_own_day(ika_shop, citra_shop):
    rent(ika_shop, day=1, starts_on=dt.date(2026, 3, 1))
    rent(citra_shop, day=1, starts_on=dt.date(2026, 3, 1), amount=900_000)
    # 28 Feb 20:00 UTC is already 1 March 03:00 in Jakarta
    assert "merdeka.books.recurring.recurring_expenses_due" in schedule.PERIODIC
    now = dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.UTC)
    assert recurring_expenses_due(now=now) == 2
    assert recurring_expenses_due(now=now) == 0
    assert posted(ika_shop) == [(dt.date(2026, 3, 1), "Sewa kios")]
    assert posted(citra_shop) == [(dt.date(2026, 3, 1), "Sewa kios")]


def test_it_stops_after_its_end_and_when_stopped(ika_shop):
    row = rent(ika_shop, day=10, ends_on=dt.date(2026, 2, 15))
    recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 6, 1))
    assert [day for day, _ in posted(ika_shop)] == [dt.date(2026, 1, 10), dt.date(2026, 2, 10)]
    row.refresh_from_db()
    assert not row.is_active


def test_a_switched_off_account_stops_it_with_a_reason_instead_of_failing_each_tick(ika_shop):
    row = rent(ika_shop)
    accounts.account_change(shop=ika_shop, account_id=row.category_id, name="Sewa", is_active=False)
    assert recurring_expenses_post(shop=ika_shop, on=dt.date(2026, 3, 1)) == 0
    row.refresh_from_db()
    assert not row.is_active and row.stopped_reason
    assert posted(ika_shop) == []


def test_the_owner_adds_a_monthly_expense_that_posts_what_is_due_at_once(
    ika_client, ika_shop, rina
):
    rina_client = Client()
    rina_client.force_login(rina)
    acc = accounts_by_key(shop=ika_shop, keys=["expense:wages", "cash"])
    data = {
        "name": "Gaji Rina",
        "amount": "1.200.000",
        "category": acc["expense:wages"],
        "paid_from": acc["cash"],
        "day_of_month": "1",
        "starts_on": "2026-01-01",
    }
    assert rina_client.post(reverse("books_recurring"), data).status_code == 403
    response = ika_client.post(reverse("books_recurring"), data)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        row = RecurringExpense.objects.get()
    assert posted(ika_shop)[0] == (dt.date(2026, 1, 1), "Gaji Rina")  # caught up at once
    assert row.next_due > dt.date(2026, 1, 1)
    page = ika_client.get(reverse("books_recurring")).content.decode()
    assert "Gaji Rina" in page and "Rp1.200.000" in page
    ika_client.post(reverse("books_recurring_stop", args=[row.pk]))
    row.refresh_from_db()
    assert not row.is_active


def test_a_wrong_monthly_expense_is_refused_in_her_language(ika_shop):
    acc = accounts_by_key(shop=ika_shop, keys=["expense:rent", "sales"])
    with translation.override("id"), pytest.raises(ServiceError, match="akun yang membayar"):
        recurring_expense_create(
            shop=ika_shop,
            name="Sewa",
            amount=100_000,
            category_id=acc["expense:rent"],
            paid_from_id=acc["sales"],  # sales cannot pay an expense
            day_of_month=5,
            starts_on=dt.date(2026, 1, 1),
        )
    with shop_scope(ika_shop):
        assert not RecurringExpense.objects.exists()
