"""Whatever a buyer sends to the public forms, the answer is a page or a redirect with
a message, never a server error: the cart, the checkout (with products in stock and
pre-ordered), opening, joining and running a group buy, and the region lists.

Values are drawn from a mix of hostile text and the values the forms expect (real
product ids, delivery and payment choices, region codes, issued tokens), so that
examples reach the services behind the forms too. The test client re-raises any
exception a view lets through."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.groupbuy.tests.world import groupbuy_world
from merdeka.preorders.tests.conftest import open_batch
from merdeka.storefront.tests.conftest import make_product

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD = [
    "", " ", "0", "1", "-1", "2", "999", "1000", "99999999999999999999", "1.5", "1e3", "٣",
    "\x00", "\u202eevil", "a" * 5000, "<script>alert(1)</script>", "{toko}", "' OR 1=1 --",
    "https://evil.example/", "//evil.example", "/s/", "null", "[]", "%00",
]  # fmt: skip
CHOICES = [
    "pickup", "courier", "cod", "qris", "transfer", "ewallet", "regions", "close", "cancel",
    "32", "32.73", "32.73.05", "32.73.05.1001", "31", "99.99", "3", "7",
    "Siti Nurhaliza", "0812-2222-3333", "62812****7890", "+6281311112222", "siti@example.id",
    "on",
]  # fmt: skip
VALUE = st.one_of(
    st.sampled_from(ODD + CHOICES),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
BUYER_FIELDS = [
    "name", "whatsapp", "delivery", "province", "city", "district", "village", "street",
    "payment", "note", "email", "marketing_whatsapp", "marketing_email", "step",
]  # fmt: skip


def fields_of(names, **known) -> st.SearchStrategy[dict]:
    """Some of ``names`` with drawn values; ``known`` adds likely values per field."""
    return st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(VALUE, st.sampled_from(known[name])) if name in known else VALUE
            for name in names
        },
    )


def no_error(response) -> None:
    assert response.status_code < 500, response.status_code


def issued_token(client, url) -> str:
    page = client.get(url)
    no_error(page)
    match = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    return match.group(1) if match else ""


def with_token(draw, client, url, data: dict) -> dict:
    """The form's own token, a made-up one, or none."""
    how = draw(st.sampled_from(["issued", "issued", "made-up", "none"]))
    if how == "issued":
        return {**data, "token": issued_token(client, url)}
    if how == "made-up":
        return {**data, "token": draw(VALUE)}
    return data


@pytest.fixture
def world(ika_shop, storefront):
    """A cake in stock, a cake baked to order (an open pre-order) and an open group buy."""
    _product, [lapis] = make_product(ika_shop, name="Kue Lapis Legit", stock=1000)
    bolu, [pandan] = make_product(ika_shop, name="Bolu Pandan", stock=0)
    open_batch(ika_shop, bolu)
    return {"variants": [lapis, pandan], **groupbuy_world(ika_shop, lapis)}


@FUZZ
@given(st.data())
def test_the_cart_forms_answer_any_input(storefront, world, data):
    client = Client()
    ids = [str(v.pk) for v in world["variants"]]
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()):
            url = reverse("storefront_cart_add", args=[storefront.slug])
            names = ["variant", "quantity", "next"]
        else:  # the cart page: change or remove a line
            url = reverse("storefront_cart", args=[storefront.slug])
            names = ["variant", "quantity"]
        no_error(client.post(url, data.draw(fields_of(names, variant=ids))))
    no_error(client.get(reverse("storefront_cart", args=[storefront.slug])))


@FUZZ
@given(st.data())
def test_the_checkout_answers_any_input(storefront, world, data):
    client = Client()
    for variant in data.draw(st.lists(st.sampled_from(world["variants"]), max_size=2)):
        client.post(
            reverse("storefront_cart_add", args=[storefront.slug]),
            {"variant": variant.pk, "quantity": data.draw(st.integers(1, 3))},
        )
    url = reverse("storefront_checkout", args=[storefront.slug])
    form = data.draw(fields_of(BUYER_FIELDS))
    no_error(client.post(url, with_token(data.draw, client, url, form)))
    regions = data.draw(fields_of(["province", "city", "district", "village", "delivery"]))
    no_error(client.get(reverse("storefront_regions", args=[storefront.slug]), regions))


@FUZZ
@given(st.data())
def test_opening_a_group_buy_answers_any_input(storefront, world, data):
    client = Client()
    url = reverse("groupbuy_open", args=[storefront.slug, world["offer"].pk])
    form = data.draw(fields_of(["name", "whatsapp", "days"]))
    no_error(client.post(url, with_token(data.draw, client, url, form)))


@FUZZ
@given(st.data())
def test_joining_a_group_buy_answers_any_input(storefront, world, data):
    client = Client()
    url = reverse("groupbuy_public", args=[storefront.slug, world["group"].share_token])
    form = data.draw(fields_of([*BUYER_FIELDS, "quantity"]))
    no_error(client.post(url, with_token(data.draw, client, url, form)))


@FUZZ
@given(st.data())
def test_the_coordinators_page_answers_any_input(storefront, world, data):
    client = Client()
    group = world["group"]
    url = reverse("groupbuy_coordinator", args=[storefront.slug, group.coordinator_token])
    no_error(client.post(url, data.draw(fields_of(["action"], action=["close", "cancel"]))))
    no_error(client.get(url))


def test_a_variant_number_past_what_the_database_holds_is_refused_not_an_error(storefront):
    client = Client()
    for url in (
        reverse("storefront_cart_add", args=[storefront.slug]),
        reverse("storefront_cart", args=[storefront.slug]),
    ):
        for variant in ("99999999999999999999", str(2**63), "-1"):
            no_error(client.post(url, {"variant": variant, "quantity": "1"}))
