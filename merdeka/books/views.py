"""The books on the phone: today's and this month's figures, an expense in three taps,
and the statements for any period (owners)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from merdeka.books import debts, selectors, services
from merdeka.books.chart import chart_ensure
from merdeka.books.forms import ExpenseForm
from merdeka.books.posting import today
from merdeka.books.statements import may_see_reports
from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError


@shop_member
def books_home(request):
    shop = request.shop
    chart_ensure(shop=shop)
    form = ExpenseForm(request.POST or None, shop=shop, initial={"key": secrets.token_hex(8)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.expense_record(
                shop=shop,
                key=data["key"],
                amount=int(data["amount"]),
                category_id=data["category"],
                paid_from_id=data["paid_from"],
                note=data["note"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The expense is recorded."))
            return redirect("books_home")
    day = today(shop)
    context = {
        "form": form,
        "day": day,
        "is_owner": request.membership.is_owner,
        "sees_reports": may_see_reports(request.membership),
        "owed": debts.totals(shop=shop, at=day),
    }
    if context["sees_reports"]:
        context |= {
            "today": selectors.profit_and_loss(shop=shop, date_from=day, date_to=day),
            "month": selectors.profit_and_loss(
                shop=shop, date_from=day.replace(day=1), date_to=day
            ),
            "money": selectors.money_balances(shop=shop, at=day),
        }
    return render(request, "books/home.html", context)
