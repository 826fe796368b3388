"""Closing the books on the phone: whoever sees the reports closes a month that has
ended (owners; staff once an owner opened the reports to them); only an owner reopens
it; both are audited; what belongs to a closed month later posts in the first open one,
naming its day."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import ClosedMonth, JournalEntry, Source
from merdeka.books.posting import Line, entry_post, today
from merdeka.core.scoping import shop_scope
from merdeka.privacy.models import AuditEvent


def last_month(shop) -> dt.date:
    return (today(shop).replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def closed(shop) -> list[dt.date]:
    with shop_scope(shop):
        return list(ClosedMonth.objects.filter(shop=shop).values_list("month", flat=True))


def actions(shop) -> list[str]:
    with shop_scope(shop):
        return list(
            AuditEvent.objects.filter(shop=shop, action__startswith="books.month_")
            .order_by("id")
            .values_list("action", flat=True)
        )


def test_the_owner_closes_last_month_and_a_late_posting_goes_to_the_open_one(ika_client, ika_shop):
    month = last_month(ika_shop)
    page = ika_client.get(reverse("books_report")).content.decode()
    assert 'data-testid="month-close"' in page and f'value="{month:%Y-%m}"' in page
    answer = ika_client.post(reverse("books_month_close"), {"month": f"{month:%Y-%m}"}, follow=True)
    assert "sudah ditutup: tidak ada catatan baru" in answer.content.decode()
    assert closed(ika_shop) == [month]
    assert 'data-testid="closed-months"' in answer.content.decode()
    # an entry dated in it posts on the first day of this month, naming its own day
    acc = accounts_by_key(shop=ika_shop, keys=["cash", "capital"])
    late = entry_post(
        shop=ika_shop,
        date=month + dt.timedelta(days=3),
        source=Source.MANUAL,
        key="late",
        lines=[Line(acc["cash"], debit=10_000), Line(acc["capital"], credit=10_000)],
    )
    assert (late.date, late.belongs_to) == (today(ika_shop).replace(day=1), month.replace(day=4))
    # this month has not ended: it cannot be closed; nonsense is refused
    this = today(ika_shop).replace(day=1)
    answer = ika_client.post(reverse("books_month_close"), {"month": f"{this:%Y-%m}"}, follow=True)
    assert "Hanya bulan yang sudah lewat" in answer.content.decode()
    answer = ika_client.post(reverse("books_month_close"), {"month": "bulan lalu"}, follow=True)
    assert "Pilih bulan yang mau ditutup." in answer.content.decode()
    assert closed(ika_shop) == [month]
    # she reopens it: audited; a posting dated in it stays in it now
    answer = ika_client.post(
        reverse("books_month_reopen"), {"month": f"{month:%Y-%m}"}, follow=True
    )
    assert "dibuka lagi" in answer.content.decode()
    assert closed(ika_shop) == []
    assert actions(ika_shop) == ["books.month_closed", "books.month_reopened"]
    again = entry_post(
        shop=ika_shop,
        date=month + dt.timedelta(days=3),
        source=Source.MANUAL,
        key="again",
        lines=[Line(acc["cash"], debit=5_000), Line(acc["capital"], credit=5_000)],
    )
    assert (again.date, again.belongs_to) == (month.replace(day=4), None)
    with shop_scope(ika_shop):
        assert JournalEntry.objects.get(pk=late.pk).date == today(ika_shop).replace(day=1)


def test_staff_close_only_when_the_reports_are_theirs_and_never_reopen(client, ika, rina, ika_shop):
    month = f"{last_month(ika_shop):%Y-%m}"
    client.force_login(rina)
    assert client.post(reverse("books_month_close"), {"month": month}).status_code == 403
    assert closed(ika_shop) == []
    client.force_login(ika)
    client.post(reverse("books_reports_access"), {"staff_see_reports": "on"})
    client.force_login(rina)
    page = client.get(reverse("books_report")).content.decode()
    assert 'data-testid="month-close"' in page and 'data-testid="month-reopen"' not in page
    assert client.post(reverse("books_month_close"), {"month": month}).status_code == 302
    assert closed(ika_shop) == [last_month(ika_shop)]
    assert client.post(reverse("books_month_reopen"), {"month": month}).status_code == 403
    assert closed(ika_shop) == [last_month(ika_shop)]
