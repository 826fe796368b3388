"""The cached product page served before the session (CachedProductPageMiddleware).

A visitor without a session gets the page from the cache with no database query and
with every header the view's answer carries; anyone else, and any change to the shop's
catalog, goes through the view."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.storefront.models import StorefrontSettings

# headers that differ per response by nature (the visitor's own CSRF cookie, the clock)
_PER_RESPONSE = {"set-cookie", "date"}


def _url(storefront, product):
    return reverse("storefront_product", args=[storefront.slug, product.slug])


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_visitor_without_a_session_gets_the_cached_page_without_a_query(
    storefront, lapis, django_assert_num_queries
):
    product, _ = lapis
    url = _url(storefront, product)
    Client().get(url)  # rendered by the view and cached
    with django_assert_num_queries(0):
        page = Client().get(url)
    assert page.status_code == 200
    assert "Kue Lapis Legit" in page.content.decode()
    assert "cart-count" not in page.content.decode()


def test_the_cached_page_carries_the_same_security_headers_as_the_view(
    storefront, lapis, django_assert_num_queries
):
    product, _ = lapis
    url = _url(storefront, product)
    from_view = Client().get(url)
    with django_assert_num_queries(0):
        from_cache = Client().get(url)
    view_headers = {k.lower(): v for k, v in from_view.headers.items()}
    cache_headers = {k.lower(): v for k, v in from_cache.headers.items()}
    assert set(view_headers) - _PER_RESPONSE == set(cache_headers) - _PER_RESPONSE
    for name in (
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "content-language",
        "vary",
        "content-type",
    ):
        assert cache_headers[name] == view_headers[name], name
    assert "script-src 'self'" in cache_headers["content-security-policy"]
    assert cache_headers["x-frame-options"] == "DENY"
    assert "Cookie" in cache_headers["vary"] and "Accept-Language" in cache_headers["vary"]
    assert from_cache.content == from_view.content.replace(
        _token(from_view.content.decode()).encode(), _token(from_cache.content.decode()).encode()
    )


def test_the_token_of_the_cached_page_is_accepted_by_the_cart(
    storefront, lapis, django_assert_num_queries
):
    product, variant = lapis
    url = _url(storefront, product)
    Client().get(url)
    buyer = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        page = buyer.get(url)
    assert "csrftoken" in page.cookies  # a fresh visitor is given the cookie to match
    token = _token(page.content.decode())
    assert "mark" not in token
    added = buyer.post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {"variant": variant.pk, "quantity": 3, "csrfmiddlewaretoken": token},
    )
    assert added.status_code == 302
    assert added.url == reverse("storefront_cart", args=[storefront.slug])
    # without the token the same post is refused: the check is really on
    refused = Client(enforce_csrf_checks=True).post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {"variant": variant.pk, "quantity": 1},
    )
    assert refused.status_code == 403


def test_a_visitor_with_a_cart_sees_the_badge_on_the_cached_page(storefront, lapis):
    product, variant = lapis
    url = _url(storefront, product)
    Client().get(url)  # cached
    buyer = Client()
    buyer.post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {"variant": variant.pk, "quantity": 2},
    )
    buyer.get(reverse("storefront_cart", args=[storefront.slug]))  # shows the message
    page = buyer.get(url).content.decode()
    assert 'data-testid="cart-count">2<' in page
    assert "cart-count" not in Client().get(url).content.decode()


def test_a_catalog_change_is_seen_at_once_by_visitors_without_a_session(
    storefront, lapis, ika_shop, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from merdeka.catalog.services import VariantInput, product_save

    product, variant = lapis
    url = _url(storefront, product)
    Client().get(url)
    with django_assert_num_queries(0):
        assert Client().get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        product_save(
            shop=ika_shop,
            product=product,
            name=product.name,
            description=product.description,
            category_id=None,
            is_published=False,
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
    assert Client().get(url).status_code == 404


def test_a_storefront_that_moved_to_another_address_is_not_served_at_the_old_one(
    storefront, lapis, ika_shop, django_capture_on_commit_callbacks
):
    from merdeka.catalog.cache import catalog_changed

    product, _ = lapis
    old = _url(storefront, product)
    assert Client().get(old).status_code == 200  # cached at the old address
    with django_capture_on_commit_callbacks(execute=True), shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(slug="ika-baru")
        catalog_changed(shop_id=ika_shop.pk)  # as storefront_update does
    assert Client().get(old).status_code == 404
    new = reverse("storefront_product", args=["ika-baru", product.slug])
    assert Client().get(new).status_code == 200


def test_a_signed_in_seller_goes_through_the_view(ika_client, storefront, lapis):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product, _ = lapis
    url = _url(storefront, product)
    Client().get(url)  # cached
    ika_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = ika_client.get(url)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "django_session" in sql and "storefront_storefrontsettings" in sql
    assert "Kue Lapis Legit" in page.content.decode()


def test_only_gets_of_the_product_page_are_answered_from_the_cache(
    storefront, lapis, django_assert_max_num_queries
):
    product, _ = lapis
    url = _url(storefront, product)
    Client().get(url)
    assert Client().post(url).status_code in (403, 405)  # never the cached page
    assert Client().head(url).status_code == 405  # as the view answers it
    shop = Client().get(reverse("storefront_shop", args=[storefront.slug]))
    assert shop.status_code == 200 and "Kue Lapis Legit" in shop.content.decode()
    other_host = Client(HTTP_HOST="evil.example").get(url)
    assert other_host.status_code == 400


def test_a_returning_visitor_keeps_their_csrf_secret_on_the_cached_page(
    storefront, lapis, django_assert_num_queries
):
    from django.middleware.csrf import _unmask_cipher_token

    product, variant = lapis
    url = _url(storefront, product)
    Client().get(url)
    buyer = Client(enforce_csrf_checks=True)
    first = buyer.get(url)
    secret = first.cookies["csrftoken"].value
    with django_assert_num_queries(0):
        again = buyer.get(url)
    tokens = {_token(first.content.decode()), _token(again.content.decode())}
    assert len(tokens) == 2  # masked afresh each time...
    assert {_unmask_cipher_token(t) for t in tokens} == {secret}  # ...over the same secret
    assert buyer.cookies["csrftoken"].value == secret
    added = buyer.post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {
            "variant": variant.pk,
            "quantity": 1,
            "csrfmiddlewaretoken": _token(again.content.decode()),
        },
    )
    assert added.status_code == 302


def test_csrf_strings_are_drawn_from_the_whole_alphabet():
    from django.middleware.csrf import CSRF_ALLOWED_CHARS

    from merdeka.storefront.middleware import _random_strings

    strings = _random_strings(400, 32)
    assert len(strings) == 400 and all(len(s) == 32 for s in strings)
    assert len(set(strings)) == 400
    assert set("".join(strings)) == set(CSRF_ALLOWED_CHARS)  # 12,800 draws of 62 letters
