"""Debts on the phone: the *piutang* and *utang* lists with their ageing, a debt in one
form, a payment, a reminder (merdeka.books.debts does the rest). Staff may record debts,
payments and reminders; cancelling a debt is an owner's."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.books import debt_reminders, debts
from merdeka.books.chart import chart_ensure
from merdeka.books.forms import DebtForm, DebtPaymentForm, ReminderForm
from merdeka.books.models import Debt, DebtKind
from merdeka.books.posting import today
from merdeka.core.csp import form_to_whatsapp
from merdeka.core.decorators import shop_member
from merdeka.core.money import format_rupiah
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.customers.selectors import customer_get, customer_list
from merdeka.orders.models import Order
from merdeka.privacy.audit import audit_record

DEFAULT_TERM = dt.timedelta(days=30)
# the reminder form's POST answers with a redirect to WhatsApp
TO_WHATSAPP = form_to_whatsapp
LIST_URL = {DebtKind.RECEIVABLE: "debt_receivables", DebtKind.PAYABLE: "debt_payables"}


@shop_member
def debt_list(request, kind: str):
    shop = request.shop
    items = debts.owed_list(shop=shop, kind=kind)
    buckets, total = debts.ageing(items=items)
    chosen = request.GET.get("umur", "")
    if chosen in dict(debts.BUCKETS):
        items = [item for item in items if item.bucket == chosen]
    else:
        chosen = ""
    if kind == DebtKind.RECEIVABLE:  # who cannot be reminded where, at a glance
        debt_reminders.unreachable_mark(shop=shop, items=items)
    return render(
        request,
        "books/debts.html",
        {
            "kind": kind,
            "items": items,
            "buckets": buckets,
            "total": total,
            "chosen": chosen,
            "chosen_label": dict(debts.BUCKETS).get(chosen, ""),
        },
    )


def _customer(request, customer_id) -> Customer | None:
    if not customer_id:
        return None
    try:
        return customer_get(shop=request.shop, customer_id=int(customer_id))
    except (Customer.DoesNotExist, ValueError):
        raise Http404 from None


@shop_member
def debt_new(request, kind: str):
    shop = request.shop
    chart_ensure(shop=shop)
    day = today(shop)
    accounts = debts.counter_accounts(shop=shop, kind=kind)
    default = "sales" if kind == DebtKind.RECEIVABLE else "inventory"
    customer = _customer(request, request.POST.get("customer") or request.GET.get("pelanggan"))
    form = DebtForm(
        request.POST or None,
        kind=kind,
        counter_accounts=accounts,
        initial={
            "key": secrets.token_hex(8),
            "date": day,
            "due_date": day + DEFAULT_TERM,
            "counter_account": next((a.pk for a in accounts if a.key == default), None),
            "customer": customer.pk if customer else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if kind == DebtKind.RECEIVABLE and customer is None:
            if data["phone"]:
                customer = customer_list(shop=shop, phone=data["phone"]).first()
            if customer is None:
                form.add_error(
                    "phone",
                    _("No customer has this number. Add her on the Customers page first.")
                    if data["phone"]
                    else _("Write the customer's WhatsApp number."),
                )
        if form.is_valid():
            try:
                debt = debts.debt_record(
                    shop=shop,
                    kind=kind,
                    key=data["key"],
                    amount=int(data["amount"]),
                    counter_account_id=data["counter_account"],
                    due_date=data["due_date"],
                    day=data["date"],
                    customer_id=customer.pk if customer else None,
                    creditor=data.get("creditor", ""),
                    note=data["note"],
                    actor=request.user,
                    request=request,
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("The receivable is recorded.")
                    if kind == DebtKind.RECEIVABLE
                    else _("The payable is recorded."),
                )
                return redirect("debt_detail", debt_id=debt.pk)
    return render(
        request, "books/debt_form.html", {"form": form, "kind": kind, "customer": customer}
    )


def _debt(request, debt_id: int) -> Debt:
    try:
        return debts.debt_get(shop=request.shop, debt_id=debt_id)
    except Debt.DoesNotExist:
        raise Http404 from None


def _reminder_form(request, customer, data=None) -> dict:
    """The reminder's form and what the page says about where it cannot go."""
    if customer is None:
        return {"reminder_form": None, "reach": None}
    reach = debt_reminders.reminder_reach(shop=request.shop, customer=customer)
    form = ReminderForm(
        data,
        channels=reach.channels,
        templates=debt_reminders.utility_templates(shop=request.shop),
    )
    return {"reminder_form": form, "reach": reach}


def _detail(request, debt: Debt, pay_form=None, status: int = 200):
    shop = request.shop
    state = debts.debt_state(shop=shop, debt=debt)
    if debt.kind == DebtKind.RECEIVABLE:  # her name and what she owes are on the page
        audit_record(action="books.debt_viewed", shop=shop, target=debt, request=request)
    customer, preview = None, ""
    if state["customer_id"] and state["left"] > 0 and debt.kind == DebtKind.RECEIVABLE:
        customer = customer_get(shop=shop, customer_id=state["customer_id"])
        owed = debts.debt_owed(shop=shop, debt_id=debt.pk)
        if owed is not None:
            preview = debt_reminders.reminder_preview(shop=shop, item=owed, customer=customer)
    if pay_form is None and state["left"] > 0:
        pay_form = DebtPaymentForm(
            kind=debt.kind,
            accounts=debts.money_accounts(shop=shop),
            initial={"key": secrets.token_hex(8), "date": today(shop)},
        )
    if pay_form is not None and state["left"] > 0:
        pay_form.fields["amount"].help_text = _("What is left: %(left)s") % {
            "left": format_rupiah(state["left"])
        }
    return render(
        request,
        "books/debt_detail.html",
        {
            "debt": debt,
            "state": state,
            "pay_form": pay_form if state["left"] > 0 else None,
            **_reminder_form(request, customer),
            "preview": preview,
            "is_owner": request.membership.is_owner,
            "bucket_label": dict(debts.BUCKETS)[state["bucket"]],
        },
        status=status,
    )


@TO_WHATSAPP
@shop_member
def debt_detail(request, debt_id: int):
    return _detail(request, _debt(request, debt_id))


@TO_WHATSAPP
@shop_member
@require_POST
def debt_pay(request, debt_id: int):
    debt = _debt(request, debt_id)
    form = DebtPaymentForm(
        request.POST, kind=debt.kind, accounts=debts.money_accounts(shop=request.shop)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            debts.debt_payment_record(
                shop=request.shop,
                debt_id=debt.pk,
                key=data["key"],
                amount=int(data["amount"]),
                account_id=data["account"],
                day=data["date"],
                note=data["note"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            form.add_error("amount", str(exc))
        else:
            messages.success(request, _("The payment is recorded."))
            # the form posted to #payment (a refusal shows there); the message is on top
            return redirect(reverse("debt_detail", args=[debt.pk]) + "#top")
    return _detail(request, debt, pay_form=form)


def _remind(request, *, debt_id=None, order_id=None, back):
    form = ReminderForm(
        request.POST,
        channels=[(c, c) for c in ("walink", "cloudapi", "email")],
        templates=debt_reminders.utility_templates(shop=request.shop),
    )
    if not form.is_valid():
        messages.error(request, _("Choose how to send the reminder."))
        return back
    try:
        sent = debt_reminders.reminder_send(
            shop=request.shop,
            channel=form.cleaned_data["channel"],
            debt_id=debt_id,
            order_id=order_id,
            template_id=form.cleaned_data.get("template"),
            actor=request.user,
            request=request,
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return back
    if sent.open_url:
        messages.success(request, _("The reminder is recorded as sent from your WhatsApp."))
        return HttpResponseRedirect(sent.open_url)
    messages.success(request, _("The reminder is on its way."))
    return back


@shop_member
@require_POST
def debt_remind(request, debt_id: int):
    debt = _debt(request, debt_id)
    return _remind(request, debt_id=debt.pk, back=redirect("debt_detail", debt_id=debt.pk))


@shop_member(owner=True)
@require_POST
def debt_void(request, debt_id: int):
    debt = _debt(request, debt_id)
    try:
        debts.debt_void(shop=request.shop, debt_id=debt.pk, actor=request.user, request=request)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The debt is cancelled; its entry was reversed."))
    return redirect("debt_detail", debt_id=debt.pk)


@TO_WHATSAPP
@shop_member
def order_debt(request, order_id: int):
    """An unpaid delivered order in the receivables: what is left, its reminders, and a
    reminder to send (its payment is recorded on the order's page)."""
    shop = request.shop
    order = Order.objects.filter(shop=shop, pk=order_id).only("pk").first()
    if order is None:
        raise Http404
    back = redirect("order_debt", order_id=order_id)
    if request.method == "POST":
        return _remind(request, order_id=order_id, back=back)
    owed = debts.order_owed(shop=shop, order_id=order_id)
    if owed is None:  # paid meanwhile: the order's page says so
        return redirect("order_detail", order_id=order_id)
    audit_record(action="order.viewed", shop=shop, target=order, request=request)
    customer, preview = None, ""
    if owed.customer_id:
        customer = customer_get(shop=shop, customer_id=owed.customer_id)
        preview = debt_reminders.reminder_preview(shop=shop, item=owed, customer=customer)
    return render(
        request,
        "books/order_debt.html",
        {
            "owed": owed,
            **_reminder_form(request, customer),
            "preview": preview,
            "bucket_label": dict(debts.BUCKETS)[owed.bucket],
        },
    )
