"""Gross profit on the phone: per channel and per product over a period (the days kept
as entries post), and the orders of the period a page at a time, newest first, with
their sales whose goods had no known cost (owners)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render

from merdeka.books.costs import gross_profit
from merdeka.books.forms import PeriodForm
from merdeka.books.posting import today
from merdeka.books.profit import cursor_read, profit_orders_page
from merdeka.core.decorators import shop_member

PER_PAGE = 25


@shop_member(owner=True)
def books_gross_profit(request):
    shop = request.shop
    day = today(shop)
    form = PeriodForm(request.GET or {"date_from": day.replace(day=1), "date_to": day})
    context = {"form": form}
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        before = request.GET.get("before")
        orders, after = profit_orders_page(
            shop=shop, date_from=start, date_to=end, before=before, size=PER_PAGE
        )
        period = {"date_from": start.isoformat(), "date_to": end.isoformat()}
        context |= {
            "start": start,
            "end": end,
            "found": gross_profit(shop=shop, date_from=start, date_to=end),
            "orders": orders,
            "paged": cursor_read(before) is not None,
            "first_page": f"?{urlencode(period)}#per-order",
            "next_page": f"?{urlencode(period | {'before': after})}#per-order" if after else "",
        }
    return render(request, "books/gross_profit.html", context)
