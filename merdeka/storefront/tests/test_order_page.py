"""The buyer's order page: the QRIS to save for "scan from gallery", values to copy, the
shop's link to share; all of it readable without JavaScript."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import unquote

import qriskit
from django.urls import reverse
from PIL import Image

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.storefront.services import storefront_ensure
from merdeka.storefront.tests.conftest import tlv_decode
from merdeka.storefront.tests.test_checkout import add, checkout_post

PUBLIC = "https://toko.example.id"


def place(client, storefront, lapis, **checkout):
    _product, variant = lapis
    add(client, storefront, variant, 2)
    response = checkout_post(client, storefront, **checkout)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_the_qris_image_to_save_is_a_png_of_this_orders_amount_and_number(
    client, storefront, lapis, ika_shop
):
    order_url = place(client, storefront, lapis)
    body = unescape(client.get(order_url).content.decode())
    with shop_scope(ika_shop):
        order = Order.objects.get()
    image_url = reverse("storefront_order_qris", args=[storefront.slug, order.public_token])
    link = re.search(r'<a href="([^"]+)" download[^>]*data-testid="save-qris"', body)
    assert link and link.group(1) == image_url

    response = client.get(image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        f'attachment; filename="QRIS-{storefront.slug}-{order.external_id}.png"'
    )
    assert response["Cache-Control"] == "no-store, private"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "PNG" and min(picture.size) >= 300  # big enough to scan
    scanned = qriskit.scan(picture.convert("RGB")).dumps()
    page_payload = re.search(r'data-testid="qris-payload"[^>]*>([^<]+)<', body).group(1)
    assert scanned == page_payload
    tags = tlv_decode(scanned)
    assert tags["54"] == "190000" and tlv_decode(tags["62"])["01"] == order.external_id


def test_there_is_no_qris_image_for_another_payment_or_under_another_shops_address(
    client, storefront, lapis, ika_shop, citra_shop
):
    place(client, storefront, lapis, payment="transfer")
    with shop_scope(ika_shop):
        order = Order.objects.get()
    url = reverse("storefront_order_qris", args=[storefront.slug, order.public_token])
    assert client.get(url).status_code == 404  # paid by transfer: no QRIS

    place(client, storefront, lapis)
    with shop_scope(ika_shop):
        order = Order.objects.get(payment_method="qris")
    citra_front = storefront_ensure(shop=citra_shop)
    assert (
        client.get(
            reverse("storefront_order_qris", args=[citra_front.slug, order.public_token])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("storefront_order_qris", args=[storefront.slug, "x" * 20])).status_code
        == 404
    )


def test_amount_and_account_numbers_have_copy_buttons_that_copy_the_digits(
    client, storefront, lapis
):
    body = unescape(
        client.get(place(client, storefront, lapis, payment="transfer")).content.decode()
    )
    total = re.search(r'<button [^>]*data-copy="([^"]*)"[^>]*data-testid="copy-total"', body)
    assert total and total.group(1) == "190000"  # what a bank app's amount field takes
    account = re.search(r'<button [^>]*data-copy="([^"]*)"[^>]*data-testid="copy-account"', body)
    assert account and account.group(1) == "1234567890"
    # without JavaScript the buttons stay hidden and the number is plain text
    assert re.search(r'data-testid="copy-account" hidden>', body)
    assert re.search(r'data-testid="account-number">1234567890</span>', body)
    assert 'src="/static/storefront/order.js" defer' in body
    assert "<script>" not in body and "style=" not in body  # the page's CSP allows neither


def test_the_shop_link_to_share_is_the_public_address(client, storefront, lapis, settings):
    settings.MERDEKA_PUBLIC_URL = PUBLIC
    body = unescape(client.get(place(client, storefront, lapis)).content.decode())
    shop = f"{PUBLIC}/s/{storefront.slug}/"
    assert f'data-testid="shop-link">{shop}<' in body
    share = re.search(r'<a href="([^"]+)"[^>]*data-share-url="([^"]+)"', body)
    assert share.group(2) == shop
    # without JavaScript, "Share" opens WhatsApp with the link
    assert share.group(1).startswith("https://wa.me/?text=") and shop in unquote(share.group(1))
