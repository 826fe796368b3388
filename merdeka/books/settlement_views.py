"""The marketplaces' payouts on the phone: each day's released orders matched with the
orders the books hold, what was expected against what was released, the withdrawals,
and what each marketplace still owes (owners)."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render

from merdeka.books import settlements
from merdeka.books.forms import PeriodForm
from merdeka.books.posting import today
from merdeka.core.decorators import shop_member


@shop_member(owner=True)
def books_settlements(request):
    shop = request.shop
    day = today(shop)
    # at first, the month up to the latest payout she imported (or to today)
    end = settlements.latest_day(shop=shop) or day
    form = PeriodForm(request.GET or {"date_from": end - dt.timedelta(days=30), "date_to": end})
    context = {"form": form, "balances": settlements.balances(shop=shop, at=day), "day": day}
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        context |= {
            "start": start,
            "end": end,
            "payouts": settlements.releases(shop=shop, date_from=start, date_to=end),
            "withdrawals": settlements.withdrawals(shop=shop, date_from=start, date_to=end),
        }
    return render(request, "books/settlements.html", context)
