"""The seller's catalog: products with variants and photos, stock per location."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.catalog import photo_services, selectors, services
from merdeka.catalog.forms import (
    CategoryForm,
    LocationForm,
    PhotoForm,
    ProductForm,
    StockAdjustForm,
    VariantFormSet,
)
from merdeka.catalog.models import LOW_STOCK_DEFAULT, Product, ProductPhoto
from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError
from merdeka.storefront.services import storefront_ensure


def _product_or_404(request, product_id) -> Product:
    try:
        return selectors.product_get(shop=request.shop, product_id=product_id)
    except Product.DoesNotExist:
        raise Http404 from None


@shop_member
def product_list(request):
    query = request.GET.get("q", "").strip()[:80]
    products = selectors.product_list(shop=request.shop, query=query)
    return render(request, "catalog/list.html", {"products": products, "query": query})


def _variant_inputs(formset) -> list[services.VariantInput]:
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data:
            continue
        rows.append(
            services.VariantInput(
                pk=data.get("id"),
                size=data.get("size") or "",
                flavour=data.get("flavour") or "",
                sku=data.get("sku") or "",
                price=data["price"] if data.get("price") is not None else None,
                weight_grams=data.get("weight_grams") or 0,
                track_stock=bool(data.get("track_stock")),
                delete=bool(data.get("DELETE")),
                low_stock_threshold=(
                    LOW_STOCK_DEFAULT
                    if data.get("low_stock_threshold") is None
                    else data["low_stock_threshold"]
                ),
            )
        )
    return [r for r in rows if r.delete or r.price is not None]


def _product_form(request, product: Product | None):
    categories = selectors.categories(shop=request.shop)
    if product is None:
        initial = {"is_published": True}
        variants_initial = [{"track_stock": True}]
    else:
        initial = {
            "name": product.name,
            "description": product.description,
            "category": product.category_id,
            "is_published": product.is_published,
        }
        variants_initial = [
            {
                "id": v.pk,
                "size": v.size,
                "flavour": v.flavour,
                "price": v.price,
                "sku": v.sku,
                "weight_grams": v.weight_grams,
                "track_stock": v.track_stock,
                "low_stock_threshold": v.low_stock_threshold,
            }
            for v in product.variants.all()
        ]
    with_photos = product is None  # a new product's photos come with it, in one go
    if request.method == "POST":
        # reading the files runs the upload handler, which stops an oversized request
        files = request.FILES if with_photos else None
        form = ProductForm(request.POST, files, categories=categories, with_photos=with_photos)
        formset = VariantFormSet(request.POST, prefix="variants")
    else:
        form = ProductForm(initial=initial, categories=categories, with_photos=with_photos)
        formset = VariantFormSet(initial=variants_initial, prefix="variants")
        formset.extra = 1  # one empty row for another size or flavour
    if request.method == "POST" and getattr(request, "upload_too_large", False):
        form.add_error(None, _("The photos together are too large. Send fewer at once."))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.product_save(
                shop=request.shop,
                product=product,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                category_id=form.cleaned_data["category"],
                is_published=form.cleaned_data["is_published"],
                variants=_variant_inputs(formset),
                photos=form.cleaned_data.get("photos") or (),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(product)s saved.") % {"product": saved.name})
            if product is None:
                services.location_default(shop=request.shop)
                return redirect("product_stock", product_id=saved.pk)
            return redirect("product_edit", product_id=saved.pk)
    if request.method == "POST" and with_photos and request.FILES.getlist("photos"):
        # a browser never fills a file input in again: say so where the photos go
        form.add_error(
            "photos",
            _("Choose the photos again: a browser does not keep them when a form comes back."),
        )
    return form, formset


@shop_member
def product_add(request):
    result = _product_form(request, None)
    if not isinstance(result, tuple):
        return result
    form, formset = result
    return render(request, "catalog/form.html", {"form": form, "formset": formset})


@shop_member
def product_edit(request, product_id):
    product = _product_or_404(request, product_id)
    result = _product_form(request, product)
    if not isinstance(result, tuple):
        return result
    form, formset = result
    context = {
        "form": form,
        "formset": formset,
        "product": product,
        "photo_form": PhotoForm(),
        "photos": list(product.photos.all()),
        "storefront_slug": storefront_ensure(shop=request.shop).slug,
    }
    return render(request, "catalog/form.html", context)


@shop_member
def product_stock(request, product_id):
    product = _product_or_404(request, product_id)
    shop = request.shop
    if not selectors.locations(shop=shop):
        services.location_default(shop=shop)
    form = StockAdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        variant = next((v for v in product.variants.all() if v.pk == data["variant"]), None)
        location = next(
            (loc for loc in selectors.locations(shop=shop) if loc.pk == data["location"]), None
        )
        if variant is None or location is None:
            raise Http404
        try:
            services.stock_adjust(
                shop=shop,
                variant=variant,
                location=location,
                on_hand=data["on_hand"],
                note=data["note"],
                actor=request.user,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Stock of %(variant)s saved.") % {"variant": variant})
        return redirect("product_stock", product_id=product.pk)
    context = {
        "product": product,
        "grid": selectors.stock_grid(shop=shop, product=product),
        "moves": selectors.stock_moves(shop=shop, product=product),
        "form": form,
    }
    return render(request, "catalog/stock.html", context)


@shop_member
@require_POST
def photo_add(request, product_id):
    product = _product_or_404(request, product_id)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
    else:
        try:
            photo_services.photo_add(
                shop=request.shop, product=product, upload=form.cleaned_data["photo"]
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Photo added."))
    return redirect("product_edit", product_id=product.pk)


@shop_member
@require_POST
def photo_delete(request, product_id, photo_id):
    product = _product_or_404(request, product_id)
    photo = ProductPhoto.objects.filter(shop=request.shop, product=product, pk=photo_id).first()
    if photo is None:
        raise Http404
    photo_services.photo_delete(shop=request.shop, photo=photo)
    messages.success(request, _("Photo removed."))
    return redirect("product_edit", product_id=product.pk)


@shop_member
def categories(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.category_save(shop=request.shop, name=form.cleaned_data["name"])
        messages.success(request, _("Category added."))
        return redirect("catalog_categories")
    return render(
        request,
        "catalog/categories.html",
        {"form": form, "categories": selectors.categories(shop=request.shop)},
    )


@shop_member
def locations(request):
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.location_save(shop=request.shop, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Location saved."))
            return redirect("catalog_locations")
    return render(
        request,
        "catalog/locations.html",
        {"form": form, "locations": selectors.locations(shop=request.shop)},
    )
