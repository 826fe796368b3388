"""The public storefront: what a buyer without an account sees, and what they never see."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.storefront.services import storefront_ensure
from merdeka.storefront.tests.conftest import make_product
from merdeka.storefront.tests.test_checkout import checkout_post


def test_the_shop_page_lists_published_products_with_prices(client, storefront, lapis, ika_shop):
    make_product(ika_shop, name="Resep Rahasia", is_published=False)
    page = client.get(reverse("storefront_shop", args=[storefront.slug])).content.decode()
    assert "Kue Lapis Legit" in page and "Rp85.000" in page
    assert "Resep Rahasia" not in page


def test_the_product_page_has_open_graph_tags_and_a_whatsapp_share_link(client, storefront, lapis):
    product, _variant = lapis
    url = reverse("storefront_product", args=[storefront.slug, product.slug])
    page = client.get(url).content.decode()
    assert '<meta property="og:title" content="Kue Lapis Legit — Rp85.000">' in page
    assert f'<meta property="og:url" content="http://testserver{url}">' in page
    assert '<meta property="og:type" content="product">' in page
    share = re.search(r'href="(https://wa\.me/\?text=[^"]+)"', page).group(1)
    assert "Kue%20Lapis%20Legit" in share and "testserver" in share


def test_the_product_page_is_light_on_a_phone(client, storefront, lapis):
    """HTML plus every stylesheet and script it loads, compressed as served: <= 60 KB."""
    product, _variant = lapis
    response = client.get(reverse("storefront_product", args=[storefront.slug, product.slug]))
    html = response.content
    total = len(gzip.compress(html))
    assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
    assert assets, "the page loads its stylesheet"
    for asset in assets:
        path = finders.find(asset.decode())
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read()))
    assert total <= 60 * 1024, total


def test_hostile_product_text_is_shown_as_text(client, storefront, ika_shop):
    product, _ = make_product(
        ika_shop, name="<script>alert(1)</script>", description='=HYPERLINK("http://x")'
    )
    page = client.get(reverse("storefront_product", args=[storefront.slug, product.slug]))
    body = page.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_an_unknown_shop_or_product_is_a_404(client, storefront, lapis):
    assert client.get(reverse("storefront_shop", args=["tidak-ada"])).status_code == 404
    url = reverse("storefront_product", args=[storefront.slug, "tidak-ada"])
    assert client.get(url).status_code == 404


def test_one_shop_never_shows_another_shops_products_photos_or_orders(
    client, storefront, lapis, citra_shop, ika_shop
):
    citra_front = storefront_ensure(shop=citra_shop)
    citra_product, [citra_variant] = make_product(citra_shop, name="Keripik Citra", stock=3)
    ika_product, ika_variant = lapis
    # Citra's product under Ika's address, and the other way round
    for front, product in ((storefront, citra_product), (citra_front, ika_product)):
        url = reverse("storefront_product", args=[front.slug, product.slug])
        assert client.get(url).status_code == 404
    page = client.get(reverse("storefront_shop", args=[storefront.slug])).content.decode()
    assert "Keripik Citra" not in page
    # Citra's variant cannot go into a cart at Ika's address
    response = client.post(
        reverse("storefront_cart_add", args=[storefront.slug]), {"variant": citra_variant.pk}
    )
    assert response.status_code == 404
    # an order of Ika's shop is not found under Citra's address
    client.post(reverse("storefront_cart_add", args=[storefront.slug]), {"variant": ika_variant.pk})
    response = checkout_post(client, storefront)
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert (
        client.get(reverse("storefront_order", args=[citra_front.slug, token])).status_code == 404
    )
    assert client.get(response["Location"]).status_code == 200
    with shop_scope(citra_shop):
        assert Order.objects.count() == 0


def test_a_signed_in_seller_sees_another_shops_storefront_as_that_shop(
    citra_client, storefront, lapis
):
    page = citra_client.get(reverse("storefront_shop", args=[storefront.slug])).content.decode()
    assert "Kue Lapis Legit" in page and "Toko Citra" not in page


def test_a_closed_shop_shows_its_products_but_takes_no_order(client, storefront, lapis, ika_shop):
    from merdeka.storefront.models import StorefrontSettings

    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(is_open=False)
    _product, variant = lapis
    client.post(reverse("storefront_cart_add", args=[storefront.slug]), {"variant": variant.pk})
    response = checkout_post(client, storefront)
    assert response.status_code == 200
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def test_a_photo_is_served_with_long_cache_headers(
    client, storefront, lapis, ika_shop, settings, tmp_path
):
    from merdeka.catalog.photo_services import photo_add
    from merdeka.catalog.tests.test_photos import jpeg_upload

    settings.MEDIA_ROOT = tmp_path
    product, _variant = lapis
    photo = photo_add(shop=ika_shop, product=product, upload=jpeg_upload(900, 600))
    url = reverse("storefront_photo", args=[storefront.slug, photo.key, 640])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert "immutable" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    other = reverse("storefront_photo", args=["toko-lain", photo.key, 640])
    assert client.get(other).status_code == 404


def test_the_product_page_stays_cheap_in_queries(
    client, storefront, lapis, django_assert_max_num_queries
):
    product, _ = lapis
    url = reverse("storefront_product", args=[storefront.slug, product.slug])
    client.get(url)
    with django_assert_max_num_queries(8):
        client.get(url)


@pytest.mark.parametrize("level", ["province", "city", "district"])
def test_the_region_lists_follow_what_was_chosen(client, storefront, level):
    chosen = {"province": "32", "city": "32.73", "district": "32.73.05"}
    wanted = {k: v for k, v in chosen.items() if list(chosen).index(k) <= list(chosen).index(level)}
    page = client.get(
        reverse("storefront_regions", args=[storefront.slug]), wanted
    ).content.decode()
    nxt = {"province": "Kota Bandung", "city": "Andir", "district": "Maleber"}[level]
    assert nxt in page
    assert page.strip().startswith("<fieldset")


def test_the_cached_product_page_changes_when_the_product_does(
    client, storefront, lapis, ika_shop, django_capture_on_commit_callbacks
):
    from merdeka.catalog.services import VariantInput, product_save

    product, variant = lapis
    url = reverse("storefront_product", args=[storefront.slug, product.slug])
    assert "Lapis legit wisman" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        product_save(
            shop=ika_shop,
            product=product,
            name=product.name,
            description="Sekarang 24 lapis",
            category_id=None,
            is_published=True,
            variants=[
                VariantInput(
                    pk=variant.pk,
                    size="",
                    flavour="",
                    sku=variant.sku,
                    price=variant.price,
                    weight_grams=800,
                )
            ],
        )
    page = client.get(url).content.decode()
    assert "Sekarang 24 lapis" in page and "Lapis legit wisman" not in page


def test_buyers_can_narrow_the_shop_page_by_category(client, storefront, ika_shop):
    from merdeka.catalog.services import category_save

    kering, basah = (category_save(shop=ika_shop, name=n) for n in ("Kue Kering", "Kue Basah"))
    nastar, _ = make_product(ika_shop, name="Nastar")
    klepon, _ = make_product(ika_shop, name="Klepon")
    with shop_scope(ika_shop):
        nastar.category, klepon.category = kering, basah
        nastar.save(), klepon.save()
    url = reverse("storefront_shop", args=[storefront.slug])
    page = client.get(url, {"kategori": kering.slug}).content.decode()
    assert "Nastar" in page and "Klepon" not in page
    assert "Kue Basah" in page  # the other category is offered


def test_the_shop_page_queries_do_not_grow_with_the_products(
    client, storefront, ika_shop, django_assert_max_num_queries
):
    url = reverse("storefront_shop", args=[storefront.slug])
    make_product(ika_shop, name="Nastar")
    client.get(url)
    for i in range(6):
        make_product(ika_shop, name=f"Kue {i}", prices=(1000, 2000))
    with django_assert_max_num_queries(7):
        page = client.get(url).content.decode()
    assert page.count('class="product-card"') == 7


def test_the_cached_product_page_carries_each_visitors_own_token_and_cart(
    storefront, lapis, django_assert_max_num_queries
):
    from django.test import Client

    product, variant = lapis
    url = reverse("storefront_product", args=[storefront.slug, product.slug])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    assert "cart-count" not in first.get(url).content.decode()  # rendered and cached
    page = second.get(url).content.decode()  # from the cache
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert "mark" not in token
    added = second.post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {"variant": variant.pk, "quantity": 2, "csrfmiddlewaretoken": token},
    )
    assert added.status_code == 302
    second.get(reverse("storefront_cart", args=[storefront.slug]))  # shows the message
    assert 'data-testid="cart-count">2<' in second.get(url).content.decode()
    assert "cart-count" not in first.get(url).content.decode()
    with django_assert_max_num_queries(1):  # the storefront by its slug; the page is cached
        first.get(url)
