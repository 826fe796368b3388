"""The SKU page: what imported order lines are called that maps to no catalog variant
yet, mapped once by the seller (``merdeka.books.skus``), and the mappings she made."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from merdeka.books import skus
from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError


@shop_member(owner=True)
def books_skus(request):
    shop = request.shop
    if request.method == "POST":
        try:
            variant_id = int(request.POST.get("variant") or 0)
        except ValueError:
            variant_id = 0
        try:
            orders = skus.sku_map(
                shop=shop,
                key=request.POST.get("key", "")[:250],
                variant_id=variant_id,
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Mapped. The cost of goods of %(n)s orders follows it in the books.")
                % {"n": len(orders)},
            )
        return redirect("books_skus")
    context = {
        "unmapped": skus.unmapped(shop=shop),
        "mappings": skus.mappings(shop=shop),
        "variants": skus.variant_choices(shop=shop),
    }
    return render(request, "books/skus.html", context)
