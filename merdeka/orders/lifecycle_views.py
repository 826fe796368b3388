"""The seller's actions on an order page: thin views over ``merdeka.orders.lifecycle``.

Every change is a POST with its CSRF token and works without JavaScript (the page
answers with a redirect back, or the page again with the form's message). The team of
the order's shop may act; another shop's order ids give 404.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from merdeka.core.csp import form_to_whatsapp
from merdeka.core.decorators import shop_member
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import buyer_notices, lifecycle, notes, proofs, selectors
from merdeka.orders.lifecycle_forms import (
    CancelForm,
    NoteForm,
    PaymentForm,
    ReturnForm,
    ShipForm,
)
from merdeka.orders.models import Courier, Order, OrderEvent, Payment, Status
from merdeka.privacy.audit import audit_record
from merdeka.storefront.models import StorefrontSettings


def _order(request, order_id: int) -> Order:
    try:
        return selectors.order_get(shop=request.shop, order_id=order_id)
    except Order.DoesNotExist:
        raise Http404 from None


def detail_context(request, order: Order, **forms) -> dict:
    """What the order page shows: the order, its history, its payments and parcel, and
    the actions the seller may take now (with their forms, blank or with errors)."""
    shop = request.shop
    manages = lifecycle.seller_manages(order)
    steps = lifecycle.next_statuses(order) if manages else []
    with shop_scope(shop):
        events = list(
            OrderEvent.objects.filter(shop=shop, order=order)
            .select_related("actor", "delivery")
            .order_by("-at", "-id")
        )
        payments = list(
            Payment.objects.filter(shop=shop, order=order).defer("proof").order_by("recorded_at")
        )
        shipment = order.shipments.filter(shop=shop).first()
    for event in events:
        courier = event.detail.get("courier")
        event.courier_label = Courier(courier).label if courier in Courier.values else ""
    # what her payments add up to and what is left (payments may come in parts)
    paid = sum((p.amount for p in payments), Decimal(0))
    left = lifecycle.amount_left(order, paid)
    initial_amount = int(left) if left else ""
    return {
        "order": order,
        "total_gap": selectors.order_total_gap(order),
        "manages": manages,
        "steps": steps,
        "plain_steps": [s for s in steps if s in lifecycle.PLAIN_STEPS],
        # nothing left to move forward (a return is no step forward): the payment form
        # is what the page is for, open
        "pay_first": not [s for s in steps if s != Status.RETURNED],
        "can_pay": manages and lifecycle.payment_problem(order, paid) is None,
        "paid": paid,
        "left": left,
        # paid and left show once money came in, or when a delivered order waits for it
        "show_paid": bool(payments)
        or (left and manages and order.status in (Status.SHIPPED, Status.COMPLETED)),
        "can_ship": Status.SHIPPED in steps,
        "can_complete": Status.COMPLETED in steps,
        "can_cancel": Status.CANCELLED in steps,
        "can_return": Status.RETURNED in steps,
        "was_paid": order.paid_at is not None or bool(payments),
        "events": events,
        "payments": payments,
        "shipment": shipment,
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"method": order.payment_method or "transfer"}),
        "initial_amount": initial_amount,
        "ship_form": forms.get("ship_form") or ShipForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "return_form": forms.get("return_form") or ReturnForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "open_form": forms.get("open_form", ""),
        # the refusals of the form that was sent, shown above the actions (the form
        # itself may no longer be offered, e.g. a second "cancel")
        "refused": [
            error
            for form in forms.values()
            if hasattr(form, "non_field_errors")
            for error in form.non_field_errors()
        ],
    }


@form_to_whatsapp  # the order page again: its "Tell the buyer on WhatsApp" form
def _again(request, order: Order, **forms) -> HttpResponse:
    """The order page again, with the form that was refused and its message."""
    audit_record(action="order.viewed", shop=request.shop, target=order, request=request)
    return render(
        request, "orders/detail.html", detail_context(request, order, **forms), status=400
    )


def _service(request, order: Order, service, **fields):
    """Call a ``merdeka.orders.lifecycle`` action on this order as this seller."""
    return service(
        shop=request.shop, order_id=order.pk, actor=request.user, request=request, **fields
    )


def _act(request, order: Order, service, *, done, **fields) -> HttpResponse:
    """An action without a form of its own: do it, say how it went, back to the order.

    ``done`` is the success message, or a function of the service's result giving it."""
    try:
        result = _service(request, order, service, **fields)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("order_detail", order_id=order.pk)


# The actions with a form of their own, by the name the order page opens its form under
# (``open_form``): the form's key in the page's context, the lifecycle service it is
# passed to by its field names, and what the seller is told when it is done.
_FORM_ACTIONS = {
    "pay": (
        "payment_form",
        lifecycle.order_payment_record,
        lambda outcome: (
            _("Payment recorded. %(left)s is left to pay.") % {"left": format_rupiah(outcome.left)}
            if outcome.left
            else _("Payment recorded. The order is paid.")
        ),
    ),
    "ship": ("ship_form", lifecycle.order_ship, gettext_lazy("The order is shipped.")),
    "cancel": (
        "cancel_form",
        lifecycle.order_cancel,
        gettext_lazy("The order is cancelled; its stock is back on sale."),
    ),
    "return": (
        "return_form",
        lifecycle.order_return,
        lambda outcome: (
            _("The return is recorded; its goods are back in stock.")
            if outcome.event.detail.get("restock")
            else _("The return is recorded; the damaged goods did not go back into stock.")
        ),
    ),
    "note": ("note_form", notes.order_note_add, gettext_lazy("Note added.")),
}


def _act_on_form(request, order: Order, name: str, form) -> HttpResponse:
    """An action with a form: a valid form goes to its service; a refusal is put on the
    form and the page shown again with that form open."""
    form_key, service, done = _FORM_ACTIONS[name]
    if form.is_valid():
        try:
            result = _service(request, order, service, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, str(done(result) if callable(done) else done))
            return redirect("order_detail", order_id=order.pk)
    return _again(request, order, **{form_key: form}, open_form=name)


@shop_member
@require_POST
def order_step(request, order_id: int):
    """Ask for payment or start processing: the steps without a form of their own."""
    order = _order(request, order_id)
    to = request.POST.get("to", "")
    if to not in lifecycle.PLAIN_STEPS:
        messages.error(request, _("Choose a step of the order."))
        return redirect("order_detail", order_id=order.pk)
    return _act(
        request,
        order,
        lifecycle.order_status_set,
        to=to,
        done=lambda outcome: (
            _("The order is now %(status)s.")
            % {"status": outcome.order.get_status_display().lower()}
        ),
    )


@shop_member
@require_POST
def order_pay(request, order_id: int):
    order = _order(request, order_id)
    form = PaymentForm(request.POST, request.FILES)
    if getattr(request, "upload_too_large", False):
        form.is_valid()
        form.add_error("proof", _("The proof photo is larger than 5 MB. Send a smaller one."))
        return _again(request, order, payment_form=form, open_form="pay")
    return _act_on_form(request, order, "pay", form)


@shop_member
@require_POST
def order_ship(request, order_id: int):
    return _act_on_form(request, _order(request, order_id), "ship", ShipForm(request.POST))


@shop_member
@require_POST
def order_complete(request, order_id: int):
    order = _order(request, order_id)
    return _act(request, order, lifecycle.order_complete, done=_("The order is complete."))


@shop_member
@require_POST
def order_cancel(request, order_id: int):
    return _act_on_form(request, _order(request, order_id), "cancel", CancelForm(request.POST))


@shop_member
@require_POST
def order_return(request, order_id: int):
    return _act_on_form(request, _order(request, order_id), "return", ReturnForm(request.POST))


@shop_member
@require_POST
def order_note(request, order_id: int):
    return _act_on_form(request, _order(request, order_id), "note", NoteForm(request.POST))


@shop_member
@require_POST
def order_notify_whatsapp(request, order_id: int, event_id: int):
    """Open WhatsApp on the seller's phone with the message for the buyer filled in."""
    order = _order(request, order_id)
    try:
        url = buyer_notices.notify_send_walink(
            shop=request.shop, order_id=order.pk, event_id=event_id
        )
    except OrderEvent.DoesNotExist:
        raise Http404 from None
    if not url:
        messages.error(request, _("This buyer cannot be sent the message (no consent or number)."))
        return redirect("order_detail", order_id=order.pk)
    return HttpResponseRedirect(url)


@shop_member
def order_payment_proof(request, order_id: int, payment_id: int):
    """The proof photo, decrypted for the shop's team only; never cached."""
    order = _order(request, order_id)
    with shop_scope(request.shop):
        payment = Payment.objects.filter(shop=request.shop, order=order, pk=payment_id).first()
    if payment is None or not payment.proof:
        raise Http404
    audit_record(
        action="order.payment_proof_viewed", shop=request.shop, target=order, request=request
    )
    return proofs.photo_response(proofs.decode(payment.proof))


def _print_context(request, order: Order) -> dict:
    with shop_scope(request.shop):
        front = StorefrontSettings.objects.filter(shop=request.shop).first()
        shipment = order.shipments.filter(shop=request.shop).first()
    return {"order": order, "shop": request.shop, "front": front, "shipment": shipment}


@shop_member
def order_invoice(request, order_id: int):
    """A print-ready invoice (A4): the buyer's name and address are read, so audited."""
    order = _order(request, order_id)
    audit_record(action="order.invoice_printed", shop=request.shop, target=order, request=request)
    return render(request, "orders/invoice.html", _print_context(request, order))


@shop_member
def order_packing_slip(request, order_id: int):
    """A print-ready packing slip (A6) to put in or on the parcel: no prices."""
    order = _order(request, order_id)
    audit_record(
        action="order.packing_slip_printed", shop=request.shop, target=order, request=request
    )
    return render(request, "orders/packing_slip.html", _print_context(request, order))


LABEL_SIZES = {"a6": "A6", "80": "80 mm", "58": "58 mm"}


@shop_member
def order_labels(request):
    """Shipping labels for the orders ticked on the order list, ready to print: A6, or
    a thermal printer's 80 mm or 58 mm roll. Recipients' names, phones and addresses
    are read, so each order's printing is audited; another shop's order id gives 404."""
    from urllib.parse import urlencode

    raw = request.GET.getlist("id")
    if not raw:
        messages.error(request, _("Tick the orders whose labels you want to print."))
        return redirect("order_list")
    if len(raw) > selectors.MAX_LABELS:
        messages.error(
            request,
            _("At most %(count)s labels at once.") % {"count": selectors.MAX_LABELS},
        )
        return redirect("order_list")
    if not all(v.isdigit() for v in raw):
        raise Http404
    try:
        orders = selectors.orders_for_labels(shop=request.shop, order_ids=[int(v) for v in raw])
    except Order.DoesNotExist:
        raise Http404 from None
    size = request.GET.get("size", "a6")
    if size not in LABEL_SIZES:
        size = "a6"
    with shop_scope(request.shop):
        front = StorefrontSettings.objects.filter(shop=request.shop).first()
    for order in orders:
        order.shipment = next(iter(order.shipments.all()), None)
        order.collect = order.total if lifecycle.is_cash_on_delivery(order) else None
        audit_record(action="order.label_printed", shop=request.shop, target=order, request=request)
    ids = urlencode([("id", order.pk) for order in orders])
    sizes = [(key, label, f"?{ids}&size={key}") for key, label in LABEL_SIZES.items()]
    context = {"orders": orders, "shop": request.shop, "front": front, "size": size, "sizes": sizes}
    response = render(request, "orders/labels.html", context)
    response["Cache-Control"] = "no-store, private"
    return response
