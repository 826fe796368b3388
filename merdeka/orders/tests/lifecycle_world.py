"""The order objects of the cross-shop walk (merdeka/core/tests/crossshop.py)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.models import OrderEvent, Payment
from merdeka.orders.services import Buyer, LineRequest, order_place


def _proof() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 40, 40)).save(out, format="PNG")
    return SimpleUploadedFile("bukti.png", out.getvalue(), content_type="image/png")


def order_world(world) -> dict:
    shop, variant = world["shop"], world["variant"]
    buyer = Buyer(
        name="Kanari Rahasia Ika", phone="0813-7777-8888", street="Jl. Kanari Rahasia Ika 1"
    )
    orders = {}
    for key in ("paid", "unpaid"):
        orders[key], _ = order_place(
            shop=shop,
            lines=[LineRequest(variant.pk, 1)],
            buyer=buyer,
            idempotency_key=f"cross-shop-{key}",
            delivery_method="courier",
            payment_method="transfer",
            shipping_fee=Decimal(0),
        )
    order = orders["paid"]
    lifecycle.order_payment_record(
        shop=shop,
        order_id=order.pk,
        method="transfer",
        reference="Kanari Rahasia Ika",
        proof=_proof(),
    )
    with shop_scope(shop):
        payment = Payment.objects.get(order=order)
        event = OrderEvent.objects.get(order=order, kind="payment")
    assert event.delivery_id is not None  # a wa.me message waits for the seller's tap
    return {"order": order, "unpaid": orders["unpaid"], "payment": payment, "event": event}
