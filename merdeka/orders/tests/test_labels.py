"""Shipping labels for the orders ticked on the order list: A6 or a thermal roll."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.models import Order
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.models import StorefrontSettings


def label(response, number: str) -> str:
    """The text of one order's label on the page."""
    html = response.content.decode()
    part = html.split(f'data-testid="label-{number}"', 1)[1].split("</section>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", part)).split())


@pytest.fixture
def parcels(ika_shop, storefront, lapis):
    """Two storefront orders of Bu Ika: Siti's shipped with J&T, Budi's cash on delivery."""
    _product, variant = lapis
    siti, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 2)],
        buyer=Buyer(
            name="Siti Nurhaliza",
            phone="0812-2222-3333",
            street="Jl. Melati No. 7 RT 02/RW 05",
            village="Maleber",
            district="Andir",
            city="Kota Bandung",
            province="Jawa Barat",
            postal_code="40184",
        ),
        idempotency_key="label-siti",
        delivery_method="courier",
        payment_method="transfer",
        shipping_fee=Decimal(15000),
    )
    lifecycle.order_payment_record(shop=ika_shop, order_id=siti.pk, method="transfer")
    lifecycle.order_ship(shop=ika_shop, order_id=siti.pk, courier="jnt", tracking="JX1234567890")
    budi, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 1)],
        buyer=Buyer(name="Budi Santoso", phone="0813-4444-5555", street="Jl. Kenanga 1"),
        idempotency_key="label-budi",
        delivery_method="cod",
        payment_method="cod",
        shipping_fee=Decimal(10000),
    )
    return siti, budi


def labels(client, *orders, size=None):
    params = [("id", o.pk) for o in orders] + ([("size", size)] if size else [])
    return client.get(reverse("order_labels"), params)


def test_a_label_carries_what_the_courier_and_the_buyer_need(ika_client, parcels):
    siti, budi = parcels
    response = labels(ika_client, siti, budi)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    first = label(response, siti.external_id)
    for expected in (
        "J&T Express",
        "JX1234567890",
        f"#{siti.external_id}",
        "Siti Nurhaliza",
        "0812-2222-3333",
        "Jl. Melati No. 7 RT 02/RW 05",
        "Maleber, Andir",
        "Kota Bandung, Jawa Barat 40184",
        "Dapur Kue Bu Ika",
        "0813-1111-2222",  # the shop's WhatsApp
        "2\u00d7 Kue Lapis Legit",  # 2 times
    ):
        assert expected in first, expected
    assert "COD" not in first
    second = label(response, budi.external_id)
    assert "Budi Santoso" in second and "Jl. Kenanga 1" in second
    assert "COD: tagih Rp95.000" in second  # the courier collects the total
    # the page is the order the seller ticked them in, one label a page
    html = response.content.decode()
    assert html.index(f"label-{siti.external_id}") < html.index(f"label-{budi.external_id}")


def test_the_paper_sizes_print_with_their_own_page_size(ika_client, parcels):
    siti, _budi = parcels
    for size, css in (("a6", "labels-a6.css"), ("80", "labels-80.css"), ("58", "labels-58.css")):
        page = labels(ika_client, siti, size=size).content.decode()
        assert css in page and f"labels-{size}" in page
    assert "labels-a6.css" in labels(ika_client, siti, size="A4?").content.decode()
    from django.contrib.staticfiles import finders

    for name, page_size in (("58", "58mm"), ("80", "80mm"), ("a6", "A6")):
        css = Path(finders.find(f"orders/labels-{name}.css")).read_text()
        assert f"@page {{ size: {page_size}" in css


def test_the_order_list_ticks_orders_and_prints_their_labels(ika_client, parcels):
    siti, budi = parcels
    page = ika_client.get(reverse("order_list")).content.decode()
    assert f'name="id" value="{siti.pk}"' in page and f'name="id" value="{budi.pk}"' in page
    assert f'action="{reverse("order_labels")}"' in page
    nothing = ika_client.get(reverse("order_labels"))
    assert nothing.status_code == 302 and nothing["Location"] == reverse("order_list")


def test_printing_labels_is_audited_per_order(ika_client, ika_shop, parcels):
    siti, budi = parcels
    labels(ika_client, siti, budi)
    with shop_scope(ika_shop):
        printed = set(
            AuditEvent.objects.filter(action="order.label_printed").values_list(
                "target_id", flat=True
            )
        )
    assert printed == {str(siti.pk), str(budi.pk)}


def test_another_shops_order_ids_give_404(client, citra, citra_shop, ika_client, parcels):
    siti, _budi = parcels
    client.force_login(citra)
    assert labels(client, siti).status_code == 404
    # one foreign id among the visitor's own refuses the whole page
    with shop_scope(citra_shop):
        own = Order.objects.create(
            shop=citra_shop,
            channel="manual",
            external_id="CITRA-1",
            ordered_at=siti.ordered_at,
            total=Decimal(1000),
        )
    assert labels(client, own).status_code == 200
    response = labels(client, own, siti)
    assert response.status_code == 404 and b"Siti" not in response.content
    assert client.get(reverse("order_labels"), {"id": "1x"}).status_code == 404


def test_without_a_storefront_the_label_still_names_the_shop(ika_client, ika_shop, parcels):
    siti, _budi = parcels
    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(shop=ika_shop).update(whatsapp="")
    body = label(labels(ika_client, siti), siti.external_id)
    assert "Dapur Kue Bu Ika" in body and "0813-1111-2222" not in body
