"""A customer's name with direction controls (stored before input was cleaned, or
arriving some other way) never turns the shop's message around: not in the
preview, not in the wa.me link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.core.text import BIDI_CONTROLS, FSI, PDI
from merdeka.customers.models import Customer
from merdeka.outreach.models import Delivery
from merdeka.outreach.placeholders import Recipient, placeholder_values, render
from merdeka.outreach.services import campaigns
from merdeka.outreach.tests.conftest import make_customer

RLO = "\u202e"
BODY = "Halo {nama}, PO {produk_terakhir} dibuka lagi di {toko}, kirim ke {kota}!"


class Shop:
    name = f"Dapur Kue{RLO} Bu Ika"


def filled(name, **kwargs) -> str:
    recipient = Recipient(name=name, city=kwargs.get("city", "Bandung"), last_product="Nastar")
    values = placeholder_values(shop=Shop(), recipient=recipient, unsubscribe_url="https://x/")
    return render(BODY, values)


def test_direction_controls_in_values_are_dropped():
    text = filled(f"Siti{RLO} Nurhaliza\u2066", city="Band\u200fung")
    assert (
        text == "Halo Siti Nurhaliza, PO Nastar dibuka lagi di Dapur Kue Bu Ika, kirim ke Bandung!"
    )


def test_a_right_to_left_name_is_isolated_from_the_shops_words():
    text = filled("عائشة")
    assert text.startswith(f"Halo {FSI}عائشة{PDI}, PO Nastar dibuka")


def stored_with_override(shop, name: str) -> Customer:
    """A customer whose name still carries an override, as stored before the fix."""
    customer = make_customer(shop, "Siti", phone="0812-1111-2222", consent=("whatsapp",))
    with shop_scope(shop):
        customer.name = name
        customer.save(update_fields=["name"])
        assert Customer.objects.get(pk=customer.pk).name == name
    return customer


def test_the_preview_and_the_wa_me_text_keep_the_shops_words_in_order(ika_client, ika_shop):
    customer = stored_with_override(ika_shop, f"Siti{RLO} Nurhaliza")
    form = {"name": "PO", "channel": "walink", "purpose": "marketing", "audience_kind": "all"}
    expected = "Halo Siti Nurhaliza, PO produk kami dibuka lagi di Dapur Kue Bu Ika, kirim ke !"
    page = ika_client.post(
        reverse("outreach_preview"),
        {**form, "body": BODY, "customer": customer.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert expected in page
    assert not set(BIDI_CONTROLS) & set(page)

    campaign = campaigns.campaign_save(shop=ika_shop, actor=None, fields={**form, "body": BODY})
    campaigns.campaign_send(shop=ika_shop, campaign=campaign)
    queue = ika_client.get(reverse("outreach_queue", args=[campaign.pk])).content.decode()
    link = next(p.split('"')[0] for p in queue.split('href="') if p.startswith("https://wa.me/"))
    [text] = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["text"]
    assert text.startswith(expected)
    assert not set(BIDI_CONTROLS) & set(text)
    with shop_scope(ika_shop):
        assert Delivery.objects.get(campaign=campaign).body == text
