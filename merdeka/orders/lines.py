"""The rows of an order placed in Merdeka, built the same way by every placement
(``order_place`` in the storefront, pre-orders and group buys; ``manual_order_create``
for the seller): its lines and the recipient's address on the order."""

from __future__ import annotations

from decimal import Decimal

from merdeka.core.phone import normalize_phone
from merdeka.orders.models import OrderLine


def order_line_for(
    *,
    shop,
    order,
    position: int,
    quantity: int,
    unit_price: Decimal,
    variant=None,
    name: str = "",
    location=None,
) -> OrderLine:
    """One unsaved line: a catalog variant's SKU, product name and label (and the stock
    location its units were reserved at), or, without a variant, a typed-in ``name``."""
    return OrderLine(
        shop=shop,
        order=order,
        position=position,
        sku=variant.sku if variant else "",
        name=variant.product.name if variant else name.strip(),
        variant=variant.label if variant else "",
        quantity=quantity,
        unit_price=unit_price,
        total=unit_price * quantity,
        product_variant=variant,
        stock_location_id=getattr(location, "pk", None),
    )


def recipient_fields(buyer) -> dict:
    """The recipient's phone and address as the order stores them (``Order(**...)``),
    from a ``merdeka.orders.services.Buyer``; the name is left to the caller."""
    return {
        "recipient_phone": normalize_phone(buyer.phone),
        "street": buyer.street.strip() or None,
        "village": buyer.village[:80],
        "district": buyer.district[:80],
        "city": buyer.city[:80],
        "province": buyer.province[:80],
        "postal_code": buyer.postal_code[:10],
    }
