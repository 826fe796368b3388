from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

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
    return render(
        request, "customers/list.html", {"page": page, "search": search, "searched": bool(phone)}
    )


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
    history = audit_events(shop=request.shop, target=customer)[:20]
    return render(request, "customers/detail.html", {"customer": customer, "history": history})
