"""A group buy's links leave the screen (WhatsApp groups): the public address."""

from __future__ import annotations

from html import unescape
from urllib.parse import unquote

from django.urls import reverse

PUBLIC = "https://toko.example.id"


def test_the_seller_and_the_members_share_links_at_the_public_address(
    client, ika, group, storefront, settings
):
    settings.MERDEKA_PUBLIC_URL = PUBLIC
    path = reverse("groupbuy_public", kwargs={"slug": storefront.slug, "token": group.share_token})
    client.force_login(ika)
    detail = unescape(client.get(reverse("groupbuy_detail", args=[group.pk])).content.decode())
    assert f'id="share" type="text" readonly value="{PUBLIC}{path}"' in detail
    assert "public-address-warning" not in detail
    client.logout()
    public = unescape(client.get(path).content.decode())
    assert f'value="{PUBLIC}{path}" data-testid="share-link"' in public
    assert f"{PUBLIC}{path}" in unquote(public)  # in the WhatsApp message too


def test_without_a_public_address_the_seller_is_warned_before_sharing(client, ika, group, settings):
    settings.MERDEKA_PUBLIC_URL = ""
    client.force_login(ika)
    detail = unescape(client.get(reverse("groupbuy_detail", args=[group.pk])).content.decode())
    assert 'data-testid="public-address-warning"' in detail
    assert "MERDEKA_PUBLIC_URL" not in detail
