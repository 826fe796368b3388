from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.core.csp import form_to_whatsapp
from merdeka.core.decorators import shop_member
from merdeka.orders import export, selectors
from merdeka.orders.forms import OrderFilterForm
from merdeka.orders.lifecycle_views import detail_context
from merdeka.orders.models import Order
from merdeka.orders.notify import new_orders_since
from merdeka.privacy.audit import audit_record


@shop_member
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.filters()
    orders = selectors.order_list(shop=request.shop, **filters)
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # marked once, shown as marked
    selectors.orders_mark_origin(shop=request.shop, orders=page.object_list)
    context = {
        "form": form,
        "page": page,
        "filtered": any(filters.values()),
        "summary": selectors.order_summary(orders),
    }
    return render(request, "orders/list.html", context)


@shop_member
@form_to_whatsapp  # "Tell the buyer on WhatsApp" answers with a wa.me link
def order_detail(request, order_id: int):
    try:
        order = selectors.order_get(shop=request.shop, order_id=order_id)
    except Order.DoesNotExist:
        raise Http404 from None
    # the recipient's name, phone and address are personal data: reading them is logged
    audit_record(action="order.viewed", shop=request.shop, target=order, request=request)

    return render(request, "orders/detail.html", detail_context(request, order))


@shop_member(export=True)
@require_POST
def order_export(request):
    """The order list as on the page (its filters and search) as CSV or XLSX."""

    form = OrderFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect("order_list")
    filters = form.filters()
    orders = selectors.order_list(shop=request.shop, **filters)
    fmt = request.POST.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    export.export_started(
        shop=request.shop,
        actor=request.user,
        fmt=fmt,
        count=orders.count(),
        filtered=any(filters.values()),
        request=request,
    )
    return export.download(shop=request.shop, fmt=fmt, orders=orders)


@shop_member
def order_news(request):
    """The shop's buyers' orders since the one the browser saw last (``?since=<id>``),
    for ``orders/notify.js``: a few plain facts, never the buyer."""

    raw = request.GET.get("since", "")
    since = int(raw) if raw.isdigit() else None
    response = JsonResponse(new_orders_since(shop=request.shop, since=since))
    response["Cache-Control"] = "no-store, private"
    return response
