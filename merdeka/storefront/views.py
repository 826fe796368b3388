"""The public storefront (no account needed) and the seller's storefront settings.

Public views run under ``merdeka.storefront.public.public_storefront`` (the shop's
scope, found by its public slug); the forms that place something carry a one-time token
(``merdeka.storefront.tokens``); the product page is cached (``merdeka.storefront.pagecache``).
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from merdeka.catalog import photos as photo_files
from merdeka.catalog.models import ProductPhoto
from merdeka.core.addresses import public_address_context, public_url
from merdeka.core.decorators import shop_member
from merdeka.core.money import format_rupiah
from merdeka.core.redirects import safe_next
from merdeka.core.services import ServiceError
from merdeka.groupbuy.selectors import offers_public
from merdeka.groupbuy.services import offer_tiers
from merdeka.orders.models import PaymentMethod
from merdeka.orders.services import (
    LineRequest,
    order_by_idempotency_key,
    order_place,
)
from merdeka.preorders import selectors as preorder_selectors
from merdeka.preorders.services import checkout_policy
from merdeka.storefront import pagecache, qris, selectors, services
from merdeka.storefront.forms import (
    CONSENT_TEXT_VERSION,
    CartAddForm,
    CartUpdateForm,
    CheckoutForm,
    RegionFields,
    StorefrontSettingsForm,
)
from merdeka.storefront.public import page_context, public_storefront
from merdeka.storefront.tokens import form_renewed, token_issue, token_known


@require_GET
@public_storefront
def shop_page(request, storefront):
    category = request.GET.get("kategori") or None
    cards = selectors.product_cards(shop=storefront.shop, category_slug=category)
    preorder_selectors.cards_annotate(shop=storefront.shop, cards=cards)
    categories = selectors.categories_public(shop=storefront.shop)
    context = page_context(
        request, storefront, cards=cards, categories=categories, category=category
    )
    return render(request, "storefront/shop.html", context)


@require_GET
@public_storefront
def product_page(request, storefront, product_slug):
    def render_page(*, marked: bool):
        return _product_page(request, storefront, product_slug, marked=marked)

    return pagecache.page_cached(request, storefront, product_slug, render_page)


def _product_page(request, storefront, product_slug, *, marked: bool):
    product = selectors.product_public(shop=storefront.shop, slug=product_slug)
    if product is None:
        raise Http404
    variants = list(product.variants.all())
    if not variants:
        raise Http404
    available = selectors.variants_available(shop=storefront.shop, variants=variants)
    batches = preorder_selectors.product_batches(shop=storefront.shop, product=product)
    prices = {v.pk: v.price for v in variants}
    for batch, totals, batch_variants in batches:
        if preorder_selectors.is_open(batch):  # made to order: the batch's quota, its price
            for pk in batch_variants & set(available):
                available[pk] = totals.left if batch.max_quantity else None
                prices[pk] = batch.price or prices[pk]
    url = public_url(request, product_url(storefront, product))
    share = f"{product.name} — {format_rupiah(min(v.price for v in variants))}\n{url}"
    context = page_context(
        request,
        storefront,
        product=product,
        variants=variants,
        choices=[(v, available[v.pk], prices[v.pk]) for v in variants],
        preorders=batches,
        now=timezone.now(),
        preselected=next((v.pk for v in variants if available[v.pk] != 0), None),
        photos=list(product.photos.all()),
        canonical_url=url,
        share_url="https://wa.me/?text=" + quote(share),
        price_from=min(v.price for v in variants),
        group_offers=_group_offers(storefront.shop, product),
    )
    if marked:  # rendered once for everyone: per-visitor parts are filled in later
        context.update(pagecache.page_marks())
    return render(request, "storefront/product.html", context)


def _group_offers(shop, product) -> list:
    """The product's group buy offers with their tiers (merdeka.groupbuy)."""

    return [(offer, offer_tiers(offer)) for offer in offers_public(shop=shop, product=product)]


def product_url(storefront, product) -> str:
    return reverse(
        "storefront_product", kwargs={"slug": storefront.slug, "product_slug": product.slug}
    )


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)
@public_storefront
def photo(request, storefront, key, width):
    if width not in ProductPhoto.WIDTHS:
        raise Http404
    found = (
        ProductPhoto.objects.filter(shop=storefront.shop, key=key).select_related("product").first()
    )
    own_shop = getattr(request, "shop", None) is not None and request.shop.pk == storefront.shop_id
    if found is None or width not in found.widths:
        raise Http404
    if not (found.product.is_published or own_shop):  # the seller sees drafts
        raise Http404
    path = photo_files.path_for(storefront.shop_id, found.key, width)
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/webp")


@require_POST
@public_storefront
def cart_add(request, storefront):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a variant first."))
        return redirect(safe_next(request, reverse("storefront_shop", args=[storefront.slug])))
    variant_id = form.cleaned_data["variant"]
    lines = selectors.cart_lines(shop=storefront.shop, cart={str(variant_id): 1})
    if not lines:
        raise Http404
    try:
        services.cart_add(
            request.session, storefront.shop, variant_id, form.cleaned_data["quantity"] or 1
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(product)s is in your cart.") % {"product": lines[0].variant})
    return redirect("storefront_cart", slug=storefront.slug)


@public_storefront
def cart(request, storefront):
    if request.method == "POST":
        form = CartUpdateForm(request.POST)
        if form.is_valid():
            try:
                services.cart_update(
                    request.session,
                    storefront.shop,
                    form.cleaned_data["variant"],
                    form.cleaned_data["quantity"],
                )
            except ServiceError as exc:
                messages.error(request, str(exc))
        return redirect("storefront_cart", slug=storefront.slug)
    lines = selectors.cart_lines(
        shop=storefront.shop, cart=services.cart_get(request.session, storefront.shop)
    )
    preorder_selectors.cart_annotate(shop=storefront.shop, lines=lines)
    subtotal = sum((line.total for line in lines), Decimal(0))
    return render(
        request,
        "storefront/cart.html",
        page_context(request, storefront, lines=lines, subtotal=subtotal),
    )


@public_storefront
def checkout(request, storefront):
    shop = storefront.shop
    cart_now = services.cart_get(request.session, shop)
    lines = selectors.cart_lines(shop=shop, cart=cart_now)
    preorder_selectors.cart_annotate(shop=shop, lines=lines)
    if request.method == "POST":
        form = CheckoutForm(request.POST, storefront=storefront)
        token = request.POST.get("token", "")[:64]
        placed = order_by_idempotency_key(shop, token) if token else None
        if placed is not None:  # a double tap or a retry: the first order stands
            return redirect(confirmation_url(storefront, placed))
        if not token_known(request, token):
            form = form_renewed(request, CheckoutForm, storefront=storefront)
        elif not lines:
            messages.error(request, _("Your cart is empty."))
            return redirect("storefront_shop", slug=storefront.slug)
        elif not storefront.is_open:
            messages.error(request, _("This shop is not taking orders right now."))
        elif request.POST.get("step") == "regions":
            pass  # without JavaScript: show the next list of regions, place nothing
        elif form.is_valid():
            response = _place(request, storefront, form, lines)
            if response is not None:
                return response
    else:
        if not lines:
            return redirect("storefront_cart", slug=storefront.slug)
        form = CheckoutForm(storefront=storefront, initial={"token": token_issue(request)})
    subtotal = sum((line.total for line in lines), Decimal(0))
    quote = _quote(storefront, lines, form.data if form.is_bound else form.initial_choices())
    response = render(
        request,
        "storefront/checkout.html",
        page_context(request, storefront, form=form, lines=lines, subtotal=subtotal, quote=quote),
    )
    response["Cache-Control"] = "no-store"
    return response


def _quote(storefront, lines, data) -> selectors.Quote:
    """What the buyer pays for ``lines`` with the delivery and region in ``data`` (a
    region from another province is not taken)."""
    picked = RegionFields.chosen(data)
    return selectors.checkout_quote(
        shop=storefront.shop,
        settings=storefront,
        lines=lines,
        delivery=(data.get("delivery") or "") if data else "",
        province_code=picked.get("province", ""),
        city_code=picked.get("city", ""),
    )


@require_GET
@public_storefront
def checkout_totals(request, storefront):
    """The checkout's subtotal, shipping fee and total for the delivery and city chosen
    so far (htmx swaps it in as the buyer chooses; it reads only those fields)."""
    shop = storefront.shop
    lines = selectors.cart_lines(shop=shop, cart=services.cart_get(request.session, shop))
    preorder_selectors.cart_annotate(shop=shop, lines=lines)
    response = render(
        request,
        "storefront/checkout.html#totals",
        {"quote": _quote(storefront, lines, request.GET), "storefront": storefront},
    )
    response["Cache-Control"] = "no-store"
    return response


def _place(request, storefront, form, lines):
    shop = storefront.shop
    data = form.cleaned_data
    buyer, fee = form.buyer_and_fee()
    if buyer is None:
        return None
    try:
        order, _created = order_place(
            shop=shop,
            lines=[LineRequest(line.variant.pk, line.quantity) for line in lines],
            buyer=buyer,
            idempotency_key=data["token"],
            delivery_method=data["delivery"],
            payment_method=data["payment"],
            shipping_fee=fee,
            note=data.get("note") or "",
            consent_evidence={"text": CONSENT_TEXT_VERSION},
            line_policy=checkout_policy(shop=shop),
        )
    except ServiceError as exc:
        form.add_error(None, str(exc))
        return None
    services.cart_clear(request.session, shop)
    return redirect(confirmation_url(storefront, order))


def confirmation_url(storefront, order) -> str:
    return reverse(
        "storefront_order", kwargs={"slug": storefront.slug, "token": order.public_token}
    )


@require_GET
@public_storefront
def regions_partial(request, storefront):
    """The region selects again, for the levels picked so far (htmx swaps them in)."""
    form = CheckoutForm(request.GET, storefront=storefront)
    return render(
        request, "storefront/checkout.html#regions", {"form": form, "storefront": storefront}
    )


def _order_qris(storefront, order) -> str | None:
    """The QRIS payload a buyer pays this order with: its amount and its number."""
    total = order.total or Decimal(0)
    if order.payment_method != PaymentMethod.QRIS or not storefront.qris_payload or total <= 0:
        return None
    return qris.dynamic_payload(storefront.qris_payload, amount=total, reference=order.external_id)


def _digits(text: str) -> str:
    """What a bank app's field takes: the digits of an amount or an account number."""
    return "".join(ch for ch in str(text) if ch.isdigit())


@require_GET
@public_storefront
def order_confirmation(request, storefront, token):
    order = selectors.order_by_token(shop=storefront.shop, token=token)
    if order is None:
        raise Http404
    total = order.total or Decimal(0)
    qris_payload = _order_qris(storefront, order)
    qris_svg = qris.svg(qris_payload) if qris_payload else None
    wa_url = None
    if storefront.whatsapp:
        text = _(
            "Hello %(shop)s, I have placed order %(number)s (%(total)s, %(payment)s). "
            "Please check it."
        ) % {
            "shop": storefront.shop.name,
            "number": order.external_id,
            "total": format_rupiah(total),
            "payment": order.get_payment_method_display(),
        }
        wa_url = f"https://wa.me/{storefront.whatsapp.lstrip('+')}?text={quote(text)}"
    shop_link = public_url(request, reverse("storefront_shop", args=[storefront.slug]))
    share_text = _("Order from %(shop)s online:") % {"shop": storefront.shop.name}
    response = render(
        request,
        "storefront/confirmation.html",
        page_context(
            request,
            storefront,
            order=order,
            lines=list(order.lines.all()),
            qris_svg=qris_svg,
            qris_payload=qris_payload,
            wa_url=wa_url,
            total_digits=_digits(int(total)),
            accounts=[
                {**account, "digits": _digits(account.get("number", ""))}
                for account in storefront.bank_accounts
            ],
            wallets=[
                {**wallet, "digits": _digits(wallet.get("number", ""))}
                for wallet in storefront.ewallets
            ],
            shop_link=shop_link,
            share_text=share_text,
            share_whatsapp="https://wa.me/?text=" + quote(f"{share_text} {shop_link}"),
        ),
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@public_storefront
def order_qris_png(request, storefront, token):
    """The order's QRIS as a picture to save: the buyer's banking app scans it from the
    gallery when the code cannot be scanned off this very phone's screen."""
    order = selectors.order_by_token(shop=storefront.shop, token=token)
    payload = _order_qris(storefront, order) if order is not None else None
    if payload is None:
        raise Http404
    response = HttpResponse(qris.png(payload), content_type="image/png")
    filename = f"QRIS-{storefront.slug}-{_safe_name(order.external_id)}.png"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)[:40]


# -- the seller's side ------------------------------------------------------------------


@shop_member(owner=True)
def storefront_settings(request):
    shop = request.shop
    settings = services.storefront_ensure(shop=shop)
    form = StorefrontSettingsForm(
        request.POST or None,
        request.FILES or None,
        initial=StorefrontSettingsForm.initial_for(settings, services.rates_text(shop=shop)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("qris_image"):
                data["qris"] = qris.static_from_image(data["qris_image"]).payload
            services.storefront_update(
                shop=shop,
                actor=request.user,
                request=request,
                slug=data["slug"],
                is_open=data["is_open"],
                tagline=data["tagline"],
                whatsapp=data["whatsapp"],
                qris_text=data["qris"],
                banks_text=data["banks"],
                ewallets_text=data["ewallets"],
                pickup_enabled=data["pickup_enabled"],
                pickup_address=data["pickup_address"],
                courier_enabled=data["courier_enabled"],
                courier_flat_fee=data["courier_flat_fee"],
                rates_text_value=data["rates"],
                cod_enabled=data["cod_enabled"],
            )
        except (ServiceError, qris.QrisError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Online shop settings saved."))
            return redirect("storefront_settings")
    context = {
        "form": form,
        "settings": settings,
        "public_url": public_url(request, reverse("storefront_shop", args=[settings.slug])),
        **public_address_context(request),
    }
    return render(request, "storefront/settings.html", context)
