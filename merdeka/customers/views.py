from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.customers import selectors, services
from merdeka.customers.forms import CustomerForm, CustomerSearchForm
from merdeka.customers.models import Customer
from merdeka.privacy.audit import audit_record
from merdeka.privacy.selectors import audit_events


@shop_member
def customer_list(request):
    search = CustomerSearchForm(request.GET or None)
    phone = search.cleaned_data["phone"] if search.is_valid() else None
    customers = selectors.customer_list(shop=request.shop, phone=phone)
    page = Paginator(customers, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "searched": bool(phone),
        "pending_reviews": selectors.pending_suggestions(shop=request.shop).count(),
    }
    return render(request, "customers/list.html", context)


@shop_member
def customer_add(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = services.customer_create(
            shop=request.shop, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("Customer saved."))
        return redirect("customer_detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form})


@shop_member
def customer_detail(request, customer_id: int):
    try:
        customer = selectors.customer_get(shop=request.shop, customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
    audit_record(action="customer.viewed", shop=request.shop, target=customer, request=request)
    orders = selectors.customer_orders(shop=request.shop, customer=customer)
    context = {
        "customer": customer,
        "history": audit_events(shop=request.shop, target=customer)[:20],
        "identities": selectors.customer_identities(shop=request.shop, customer=customer),
        "orders": orders,
        "order_total": sum((order.total or 0) for order in orders),
        "merges": selectors.customer_merges(shop=request.shop, customer=customer),
    }
    return render(request, "customers/detail.html", context)


@shop_member
def review_queue(request):
    page = Paginator(selectors.pending_suggestions(shop=request.shop), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "customers/review.html", {"page": page})


@shop_member
@require_POST
def review_decide(request, suggestion_id: int, decision: str):
    from merdeka.customers.models import MatchSuggestion

    if decision not in ("gabung", "pisah"):
        raise Http404
    try:
        services.suggestion_decide(
            shop=request.shop,
            actor=request.user,
            suggestion_id=suggestion_id,
            merge=decision == "gabung",
            request=request,
        )
    except MatchSuggestion.DoesNotExist:
        raise Http404 from None
    if decision == "gabung":
        messages.success(request, _("Merged. You can undo it from the customer's page."))
    else:
        messages.success(request, _("Kept apart. They will not be suggested again."))
    return redirect("review_queue")


@shop_member
@require_POST
def merge_undo(request, merge_id: int):
    from merdeka.customers.models import Merge

    try:
        services.merge_undo(
            shop=request.shop, actor=request.user, merge_id=merge_id, request=request
        )
    except Merge.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The merge was undone: they are two customers again."))
    return redirect("customer_list")
