"""The seller types in an order from a WhatsApp chat."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError
from merdeka.orders.manual import manual_catalog, manual_order_create
from merdeka.orders.manual_forms import LINE_ROWS, MAX_ROWS, ManualOrderForm
from merdeka.orders.services import order_by_idempotency_key


def _rows(request) -> int:
    value = request.POST.get("rows") or request.GET.get("rows") or ""
    return min(MAX_ROWS, max(LINE_ROWS, int(value))) if value.isdigit() else LINE_ROWS


@shop_member
def manual_order_new(request):
    shop = request.shop
    variants = manual_catalog(shop=shop)
    rows = _rows(request)
    if request.method == "POST":
        token = request.POST.get("token", "")[:64]
        placed = order_by_idempotency_key(shop, token) if token else None
        if placed is not None:  # the form was sent twice: the first order stands
            return redirect("order_detail", order_id=placed.pk)
        if request.POST.get("step") == "more":
            rows = min(MAX_ROWS, rows + LINE_ROWS)
        form = ManualOrderForm(request.POST, shop=shop, variants=variants, rows=rows)
        if request.POST.get("step") in ("regions", "more"):
            pass  # without JavaScript: the next list of regions, or more lines; no order yet
        elif form.is_valid():
            data = form.cleaned_data
            try:
                order, _created = manual_order_create(
                    shop=shop,
                    actor=request.user,
                    request=request,
                    buyer=form.buyer(),
                    lines=form.lines,
                    idempotency_key=data["token"],
                    delivery_method=data["delivery"],
                    payment_method=data["payment"],
                    shipping_fee=data.get("shipping_fee") or 0,
                    note=data.get("note") or "",
                    ordered_at=data["ordered_at"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Order %(number)s saved.") % {"number": order.external_id}
                )
                return redirect("order_detail", order_id=order.pk)
    else:
        form = ManualOrderForm(
            request.GET if request.GET.get("partial") == "regions" else None,
            shop=shop,
            variants=variants,
            rows=rows,
            initial={"token": secrets.token_urlsafe(24)},
        )
        if request.GET.get("partial") == "regions":
            return render(request, "storefront/checkout.html#regions", {"form": form})
    response = render(
        request,
        "orders/manual_new.html",
        {"form": form, "rows": rows, "has_catalog": bool(variants)},
    )
    response["Cache-Control"] = "no-store"
    return response
