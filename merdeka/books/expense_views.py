"""The expense pages: the quick expense (posted from the dashboard), the list and one
expense with its receipt, the monthly expenses, and her categories and money accounts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.books import accounts, expenses, recurring
from merdeka.books.dashboard import profit_visible
from merdeka.books.expense_forms import (
    AccountAddForm,
    AccountChangeForm,
    QuickExpenseForm,
    RecurringExpenseForm,
    StaffReportsForm,
)
from merdeka.books.models import ExpenseReceipt, JournalEntry, RecurringExpense
from merdeka.books.posting import today
from merdeka.core.confirm import confirmed, refuse_unconfirmed
from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import proofs


@shop_member
def expense_new(request):
    """The quick expense: its own page, and where the dashboard's form posts (back to
    the dashboard when it came from there)."""
    shop = request.shop
    form = QuickExpenseForm(
        request.POST or None, request.FILES or None, shop=shop, user=request.user
    )
    back_home = request.POST.get("from") == "home"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = expenses.expense_quick_record(
                shop=shop,
                key=data["key"],
                amount=int(data["amount"]),
                category_id=data["category"],
                paid_from_id=data["paid_from"],
                note=data["note"],
                receipt=data["receipt"],
                actor=request.user,
                request=request,
            )
        except expenses.ReceiptError as exc:
            form.add_error("receipt", str(exc))
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("The expense is recorded."),
                    reverse("books_expense_detail", args=[entry.pk]),
                    _("See it"),
                ),
            )
            if back_home or not profit_visible(shop=shop, membership=request.membership):
                return redirect("home")
            return redirect("books_expenses")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "from_home": back_home}
    return render(request, "books/expense_new.html", context, status=status)


@shop_member
def expense_list(request):
    if not profit_visible(shop=request.shop, membership=request.membership):
        raise PermissionDenied
    return render(
        request,
        "books/expense_list.html",
        {"expenses": expenses.expense_list(shop=request.shop)},
    )


@shop_member
def expense_detail(request, entry_id: int):
    expense = _expense_or_404(request.shop, entry_id)
    return render(
        request,
        "books/expense_detail.html",
        {
            "expense": expense,
            "may_list": profit_visible(shop=request.shop, membership=request.membership),
            "is_owner": request.membership.is_owner,
            "cancel_url": reverse("books_expense_cancel", args=[entry_id]),
            "receipt_delete_url": reverse("books_expense_receipt_delete", args=[entry_id]),
        },
    )


def _expense_or_404(shop, entry_id: int) -> expenses.Expense:
    try:
        return expenses.expense_get(shop=shop, entry_id=entry_id)
    except JournalEntry.DoesNotExist:
        raise Http404 from None


@shop_member(owner=True)
@require_POST
def expense_cancel(request, entry_id: int):
    """The owner cancels an expense: reversed in the books (they never delete)."""
    _expense_or_404(request.shop, entry_id)
    if not confirmed(request):
        refuse_unconfirmed(request)
    else:
        expenses.expense_cancel(
            shop=request.shop, entry_id=entry_id, actor=request.user, request=request
        )
        messages.success(request, _("The expense is cancelled: it was reversed in your books."))
    return redirect("books_expense_detail", entry_id=entry_id)


@shop_member(owner=True)
@require_POST
def expense_receipt_delete(request, entry_id: int):
    """The owner deletes the receipt photo of a cancelled expense."""
    _expense_or_404(request.shop, entry_id)
    if not confirmed(request):
        refuse_unconfirmed(request)
        return redirect("books_expense_detail", entry_id=entry_id)
    try:
        expenses.expense_receipt_delete(
            shop=request.shop, entry_id=entry_id, actor=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The receipt photo is deleted."))
    return redirect("books_expense_detail", entry_id=entry_id)


@shop_member
def expense_receipt(request, entry_id: int):
    """The receipt's photo, to the shop's own team only; never cached or sniffed."""
    try:
        photo = expenses.receipt_photo(shop=request.shop, entry_id=entry_id)
    except ExpenseReceipt.DoesNotExist:
        raise Http404 from None
    return proofs.photo_response(photo, filename=f"struk-{entry_id}.webp")


@shop_member(owner=True)
def recurring_list(request):
    shop = request.shop
    form = RecurringExpenseForm(
        request.POST or None,
        shop=shop,
        user=request.user,
        initial={"starts_on": today(shop), "day_of_month": today(shop).day},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = recurring.recurring_expense_create(
                shop=shop,
                name=data["name"],
                amount=int(data["amount"]),
                category_id=data["category"],
                paid_from_id=data["paid_from"],
                day_of_month=data["day_of_month"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s will be recorded every month by itself.") % {"name": made.name},
            )
            return redirect("books_recurring")
    with shop_scope(shop):
        rows = list(
            RecurringExpense.objects.filter(shop=shop)
            .select_related("category", "paid_from")
            .order_by("-is_active", "day_of_month", "name", "pk")
        )
    return render(request, "books/recurring.html", {"form": form, "rows": rows})


@shop_member(owner=True)
@require_POST
def recurring_stop(request, recurring_id: int):
    with shop_scope(request.shop):
        if not RecurringExpense.objects.filter(shop=request.shop, pk=recurring_id).exists():
            raise Http404
    if recurring.recurring_expense_stop(
        shop=request.shop, recurring_id=recurring_id, actor=request.user, request=request
    ):
        messages.success(request, _("It will not be recorded again. What was recorded stays."))
    return redirect("books_recurring")


@shop_member(owner=True)
def chart(request):
    """Her expense categories and money accounts: add, rename, switch off; and whether
    the staff see the profit."""
    shop = request.shop
    add = AccountAddForm(request.POST if request.POST.get("do") == "add" else None)
    settings = accounts.books_settings_get(shop=shop)
    staff = StaffReportsForm(
        request.POST if request.POST.get("do") == "staff" else None,
        initial={"staff_see_reports": settings.staff_see_reports},
    )
    if request.method == "POST":
        if add.is_bound and add.is_valid():
            try:
                account = accounts.account_add(
                    shop=shop,
                    group=add.cleaned_data["group"],
                    name=add.cleaned_data["name"],
                    actor=request.user,
                    request=request,
                )
            except ServiceError as exc:
                add.add_error("name", str(exc))
            else:
                messages.success(request, _("%(name)s is added.") % {"name": account.name})
                return redirect("books_accounts")
        elif staff.is_bound and staff.is_valid():
            accounts.staff_see_reports_set(
                shop=shop,
                allowed=staff.cleaned_data["staff_see_reports"],
                actor=request.user,
                request=request,
            )
            messages.success(request, _("Saved."))
            return redirect("books_accounts")
    context = {
        "add": add,
        "staff": staff,
        "groups": [
            (
                "expense",
                _("Expense categories"),
                accounts.chart_accounts(shop=shop, group=accounts.EXPENSE),
            ),
            (
                "money",
                _("Money accounts"),
                accounts.chart_accounts(shop=shop, group=accounts.MONEY),
            ),
        ],
    }
    return render(request, "books/accounts.html", context)


@shop_member(owner=True)
@require_POST
def account_change(request, account_id: int):
    shop = request.shop
    if not _account_exists(shop, account_id):
        raise Http404
    form = AccountChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a name."))
        return redirect("books_accounts")
    try:
        account = accounts.account_change(
            shop=shop,
            account_id=account_id,
            name=form.cleaned_data["name"],
            is_active=form.cleaned_data["is_active"],
            actor=request.user,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is saved.") % {"name": account.name})
    return redirect("books_accounts")


def _account_exists(shop, account_id: int) -> bool:
    return any(
        a.pk == account_id
        for group in accounts.GROUPS
        for a in accounts.chart_accounts(shop=shop, group=group)
    )
