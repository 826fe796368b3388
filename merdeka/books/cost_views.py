"""Gross profit on the phone: per channel and per product over a period, and the sales
whose goods had no known cost (owners)."""

from __future__ import annotations

from django.shortcuts import render

from merdeka.books.costs import gross_profit
from merdeka.books.forms import PeriodForm
from merdeka.books.posting import today
from merdeka.core.decorators import shop_member


@shop_member(owner=True)
def books_gross_profit(request):
    shop = request.shop
    day = today(shop)
    form = PeriodForm(request.GET or {"date_from": day.replace(day=1), "date_to": day})
    context = {"form": form}
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        context |= {
            "start": start,
            "end": end,
            "found": gross_profit(shop=shop, date_from=start, date_to=end),
        }
    return render(request, "books/gross_profit.html", context)
