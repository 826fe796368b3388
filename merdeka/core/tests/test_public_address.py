"""Printed cards, the shop's link and share links use the public address; without one,
the pages that hand them out warn in words before anything is printed or shared."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.test import RequestFactory
from django.urls import reverse

from merdeka.cards import services as cards
from merdeka.core.addresses import is_local, public_url
from merdeka.core.tests.test_commands import clean_env, merdeka

PUBLIC = "https://toko.example.id"


@pytest.fixture
def batch(ika_shop, ika):
    return cards.batch_create(
        shop=ika_shop, actor=ika, label="Paket Shopee", channel="shopee", count=4, voucher_code=""
    )


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_a_link_uses_the_public_address_when_one_is_set(settings):
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    settings.MERDEKA_PUBLIC_URL = ""
    assert public_url(request, "/s/dapur-ika/") == "http://127.0.0.1:8000/s/dapur-ika/"
    settings.MERDEKA_PUBLIC_URL = PUBLIC
    assert public_url(request, "/s/dapur-ika/") == f"{PUBLIC}/s/dapur-ika/"


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("192.168.1.20:8000", True),
        ("10.0.0.5", True),
        ("laptop-ika.local", True),
        ("testserver", True),
        ("toko.example.id", False),
        ("103.10.20.30", False),
    ],
)
def test_addresses_only_this_computer_or_its_network_reaches_are_local(host, local):
    assert is_local(host) is local


def test_without_a_public_address_the_card_pages_warn_before_printing(ika_client, batch, settings):
    settings.MERDEKA_PUBLIC_URL = ""
    printing = page(ika_client, reverse("card_print", args=[batch.pk]))
    assert 'data-testid="public-address-warning"' in printing
    assert "HP pembeli tidak bisa membukanya" in printing
    assert "MERDEKA_PUBLIC_URL" not in printing  # in words, not a setting's name
    # the warning comes before the print button, and is not printed itself
    assert printing.index("public-address-warning") < printing.index("data-print")
    assert 'class="notice no-print public-address-warning"' in printing
    listing = page(ika_client, reverse("card_batches"))
    assert 'data-testid="public-address-warning"' in listing


def test_with_a_public_address_the_cards_carry_it_and_nothing_warns(ika_client, batch, settings):
    settings.MERDEKA_PUBLIC_URL = PUBLIC
    printing = page(ika_client, reverse("card_print", args=[batch.pk]))
    signup = reverse("signup", kwargs={"shop_slug": batch.shop.slug, "token": batch.token})
    assert f'data-testid="signup-url">{PUBLIC}{signup}<' in printing
    assert "public-address-warning" not in printing
    assert "public-address-warning" not in page(ika_client, reverse("card_batches"))


def test_the_shop_link_uses_the_public_address_or_warns(ika_client, ika_shop, settings):
    settings.MERDEKA_PUBLIC_URL = ""
    body = page(ika_client, reverse("storefront_settings"))
    assert 'data-testid="public-url">http://testserver/s/' in body
    assert 'data-testid="public-address-warning"' in body
    settings.MERDEKA_PUBLIC_URL = PUBLIC
    body = page(ika_client, reverse("storefront_settings"))
    assert f'data-testid="public-url">{PUBLIC}/s/' in body
    assert "public-address-warning" not in body


def test_a_public_address_away_from_this_computer_gets_the_milder_word(
    client, ika, ika_shop, batch, settings
):
    settings.MERDEKA_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "toko-ika.example.id"]
    client.force_login(ika)
    response = client.get(reverse("card_print", args=[batch.pk]), HTTP_HOST="toko-ika.example.id")
    body = unescape(response.content.decode())
    assert "http://toko-ika.example.id/" in body
    assert "Coba buka alamat itu dulu di HP dengan data seluler" in body
    assert "HP pembeli tidak bisa membukanya" not in body


def test_the_public_address_is_a_host_this_site_answers_and_trusts(tmp_path):
    show = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS]))"
    )
    env = clean_env(tmp_path / "var", MERDEKA_PUBLIC_URL="https://toko.example.id/")
    hosts, origins = json.loads(merdeka("shell", "-v", "0", "-c", show, env=env).stdout)
    assert "toko.example.id" in hosts and "127.0.0.1" in hosts
    assert origins == ["https://toko.example.id"]

    bad = merdeka(
        "shell", "-c", show, env=clean_env(tmp_path / "v", MERDEKA_PUBLIC_URL="toko.example.id"),
        check=False,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "MERDEKA_PUBLIC_URL must be a whole address such as https://" in bad.stderr
