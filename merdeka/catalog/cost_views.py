"""What stock costs, on the phone: buying stock (beli stok), the opening value of the
stock already on the shelf, and counting it (stok opname)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from merdeka.books.costs import paid_from_choices
from merdeka.catalog import selectors, services
from merdeka.catalog.cost_forms import OpeningValueForm, PurchaseForm, counts_from
from merdeka.catalog.views import _product_or_404
from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError


def _counted_variants(product):
    return [v for v in product.variants.all() if v.track_stock]


@shop_member
def stock_purchase(request, product_id):
    product = _product_or_404(request, product_id)
    shop = request.shop
    variants = _counted_variants(product)
    locations = selectors.locations(shop=shop) or [services.location_default(shop=shop)]
    form = PurchaseForm(
        request.POST or None,
        variants=variants,
        locations=locations,
        paid_from=paid_from_choices(shop=shop),
        initial={"key": secrets.token_hex(8)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        variant = next(v for v in variants if v.pk == data["variant"])
        location = next(loc for loc in locations if loc.pk == data["location"])
        try:
            services.stock_purchase(
                shop=shop,
                variant=variant,
                location=location,
                quantity=data["quantity"],
                unit_cost=data["unit_cost"],
                paid_from=data["paid_from"],
                key=data["key"],
                note=data["note"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The purchase of %(variant)s is recorded.") % {"variant": variant}
            )
            return redirect("product_stock", product_id=product.pk)
    costs = selectors.variant_costs(shop=shop, variant_ids=[v.pk for v in variants])
    rows = [(v, costs.get(v.pk)) for v in variants]
    return render(
        request, "catalog/purchase.html", {"product": product, "form": form, "rows": rows}
    )


@shop_member(owner=True)
def stock_opening_value(request, product_id):
    product = _product_or_404(request, product_id)
    shop = request.shop
    variants = _counted_variants(product)
    form = OpeningValueForm(request.POST or None, variants=variants)
    if request.method == "POST" and form.is_valid():
        variant = next(v for v in variants if v.pk == form.cleaned_data["variant"])
        try:
            services.stock_opening_value(
                shop=shop,
                variant=variant,
                unit_cost=form.cleaned_data["unit_cost"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The stock of %(variant)s has its value.") % {"variant": variant}
            )
            return redirect("product_stock", product_id=product.pk)
    rows = selectors.units_without_cost(shop=shop, variants=variants)
    return render(
        request, "catalog/opening_value.html", {"product": product, "form": form, "rows": rows}
    )


@shop_member
def stock_count(request):
    shop = request.shop
    locations = selectors.locations(shop=shop) or [services.location_default(shop=shop)]
    chosen = request.POST.get("location") or request.GET.get("location")
    # not one of hers (another shop's id): her first location, never the other's
    location = next((loc for loc in locations if str(loc.pk) == chosen), locations[0])
    sheet = selectors.count_sheet(shop=shop, location=location)
    counts, problems, confirm = {}, [], False
    if request.method == "POST":
        counts, problems = counts_from(request.POST, [row["variant"].pk for row in sheet])
        if problems:
            messages.error(request, _("Write each count as a whole number (or leave it empty)."))
        elif not counts:
            messages.error(request, _("Write the units you counted first."))
        elif request.POST.get("step") == "confirm":
            try:
                moves = services.stock_count(
                    shop=shop, location=location, counts=counts, actor=request.user
                )
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("The count is saved: %(n)s differences recorded.") % {"n": len(moves)},
                )
                return redirect(f"{request.path}?location={location.pk}")
        else:
            confirm = True
        sheet = selectors.count_sheet(shop=shop, location=location, counts=counts)
    differences = [row for row in sheet if row["difference"]]
    context = {
        "locations": locations,
        "location": location,
        "sheet": sheet,
        "confirm": confirm,
        "differences": differences,
        "total_value": sum(row["value"] or 0 for row in differences),
        "problems": problems,
    }
    return render(request, "catalog/stock_count.html", context)
