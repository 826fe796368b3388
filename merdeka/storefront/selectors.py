"""Reads for the public storefront. The one cross-shop read is by public slug; every
other read takes ``shop=`` and runs in that shop's scope."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min, Prefetch, Sum

from merdeka.catalog.models import Category, Product, ProductPhoto, StockLevel, Variant
from merdeka.core import regions
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import DeliveryMethod, Order
from merdeka.storefront.models import ShippingRate, StorefrontSettings


def storefront_by_slug(*, slug: str) -> StorefrontSettings | None:
    """The storefront at this public address (the only read across shops, by design)."""
    return StorefrontSettings.unscoped.filter(slug=slug).select_related("shop").first()


def storefront_for(*, shop) -> StorefrontSettings | None:
    with shop_scope(shop):
        return StorefrontSettings.objects.filter(shop=shop).first()


def _available_by_variant(shop, variant_ids) -> dict[int, int]:
    rows = (
        StockLevel.objects.filter(
            shop=shop, variant_id__in=variant_ids, location__sells_online=True
        )
        .values("variant_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    return {row["variant_id"]: row["on_hand"] - row["reserved"] for row in rows}


@dataclass
class ProductCard:
    product: Product
    price_from: Decimal
    photo: ProductPhoto | None
    sold_out: bool
    preorder: bool = False  # made to order in an open batch (merdeka.preorders)


def _photos():
    return Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id"))


def _active_variants():
    return Prefetch(
        "variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id")
    )


def product_cards(*, shop, category_slug: str | None = None) -> list[ProductCard]:
    """The published products with a price, in name order (three queries in all)."""
    with shop_scope(shop):
        products = (
            Product.objects.filter(shop=shop, is_published=True, variants__is_active=True)
            .annotate(price_from=Min("variants__price"))
            .prefetch_related(_photos(), _active_variants())
            .order_by("name", "id")
        )
        if category_slug:
            products = products.filter(category__slug=category_slug)
        products = list(products)
        tracked = [v.pk for p in products for v in p.variants.all() if v.track_stock]
        available = _available_by_variant(shop, tracked)
        cards = []
        for product in products:
            variants = list(product.variants.all())
            sold_out = all(v.track_stock and available.get(v.pk, 0) <= 0 for v in variants)
            photos = list(product.photos.all())
            cards.append(
                ProductCard(product, product.price_from, photos[0] if photos else None, sold_out)
            )
        return cards


def categories_public(*, shop) -> list:
    """The categories that have a published product, for the shop page's filter."""
    with shop_scope(shop):
        return list(
            Category.objects.filter(
                shop=shop, products__is_published=True, products__variants__is_active=True
            ).distinct()
        )


def product_public(*, shop, slug: str) -> Product | None:
    with shop_scope(shop):
        return (
            Product.objects.filter(shop=shop, slug=slug, is_published=True)
            .prefetch_related(_photos(), _active_variants())
            .first()
        )


def variants_available(*, shop, variants) -> dict[int, int | None]:
    """variant id -> what can still be bought (None: not counted, always available)."""
    with shop_scope(shop):
        counted = [v.pk for v in variants if v.track_stock]
        available = _available_by_variant(shop, counted)
    return {v.pk: (max(0, available.get(v.pk, 0)) if v.track_stock else None) for v in variants}


@dataclass
class CartLine:
    variant: Variant
    quantity: int
    available: int | None
    price: Decimal | None = None  # a pre-order's own price (merdeka.preorders)
    preorder: object = None
    preorder_closed: object = None  # the batch it came from, over now (merdeka.preorders)

    @property
    def unit_price(self) -> Decimal:
        return self.variant.price if self.price is None else self.price

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


def cart_lines(*, shop, cart: dict[str, int]) -> list[CartLine]:
    ids = [int(k) for k in cart if str(k).isdigit()]
    if not ids:
        return []
    with shop_scope(shop):
        variants = list(
            Variant.objects.filter(
                shop=shop, pk__in=ids, is_active=True, product__is_published=True
            ).select_related("product")
        )
    available = variants_available(shop=shop, variants=variants)
    return sorted(
        (CartLine(v, int(cart[str(v.pk)]), available[v.pk]) for v in variants),
        key=lambda line: (line.variant.product.name, line.variant.position, line.variant.pk),
    )


def shipping_fee(*, shop, settings: StorefrontSettings, province_code: str, city_code: str):
    """The seller's courier fee to this city: its own rate, else the province's, else
    the flat fee; None when the seller does not ship there."""
    with shop_scope(shop):
        rates = {
            (r.province_code, r.city_code): r.fee
            for r in ShippingRate.objects.filter(shop=shop, province_code=province_code)
        }
    if (province_code, city_code) in rates:
        return rates[(province_code, city_code)]
    if (province_code, "") in rates:
        return rates[(province_code, "")]
    return settings.courier_flat_fee


@dataclass(frozen=True)
class Quote:
    """What the buyer will pay, shown on the checkout before the order is sent."""

    subtotal: Decimal
    fee: Decimal | None  # None: not known yet, or the shop does not send there
    state: str  # one of the QUOTE_* below

    @property
    def total(self) -> Decimal | None:
        return None if self.fee is None else self.subtotal + self.fee


QUOTE_READY = "ready"
QUOTE_CHOOSE_DELIVERY = "choose_delivery"
QUOTE_CHOOSE_CITY = "choose_city"
QUOTE_NOT_SENT = "not_sent"


def checkout_quote(
    *, shop, settings: StorefrontSettings, lines, delivery: str, province_code: str, city_code: str
) -> Quote:
    """The cart's subtotal and the fee of the chosen way of delivery, computed the way
    the order will be (``shipping_fee``, the rule placing an order charges by): pick-up
    costs nothing; courier and cash on delivery cost the fee to the buyer's city."""
    subtotal = sum((line.total for line in lines), Decimal(0))
    offered = {
        DeliveryMethod.PICKUP: settings.pickup_enabled,
        DeliveryMethod.COURIER: settings.courier_enabled,
        DeliveryMethod.COD: settings.cod_enabled,
    }
    if not offered.get(delivery):
        return Quote(subtotal, None, QUOTE_CHOOSE_DELIVERY)
    if delivery == DeliveryMethod.PICKUP:
        return Quote(subtotal, Decimal(0), QUOTE_READY)
    if not (province_code and city_code):
        return Quote(subtotal, None, QUOTE_CHOOSE_CITY)
    fee = shipping_fee(
        shop=shop, settings=settings, province_code=province_code, city_code=city_code
    )
    if fee is None:
        return Quote(subtotal, None, QUOTE_NOT_SENT)
    return Quote(subtotal, fee, QUOTE_READY)


def shipping_rates(*, shop) -> list[dict]:
    with shop_scope(shop):
        rates = list(ShippingRate.objects.filter(shop=shop))
    rows = []
    for rate in rates:
        province = regions.region(rate.province_code)
        city = regions.region(rate.city_code) if rate.city_code else None
        rows.append(
            {
                "province": province.name if province else rate.province_code,
                "city": city.name if city else "",
                "fee": rate.fee,
            }
        )
    return rows


def order_by_token(*, shop, token: str) -> Order | None:
    if not token or len(token) > 32:
        return None
    with shop_scope(shop):
        return (
            Order.objects.filter(shop=shop, public_token=token, channel="storefront")
            .prefetch_related("lines")
            .first()
        )
