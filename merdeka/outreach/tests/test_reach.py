"""Reaching customers after an import: the campaign says before sending how many it
reaches and why not the others, the list counts only the messages that left, and the
seller can ask the customers never asked, one to one, for their consent."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from merdeka.cards.models import CardBatch, SignUp
from merdeka.cards.services import signup_submit
from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Campaign, Delivery, DeliveryStatus
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.sending import walink_mark_sent
from merdeka.outreach.tests.conftest import make_customer
from merdeka.privacy.consent import consent_record, consent_state
from merdeka.privacy.models import ConsentEvent


def promo(shop, **fields):
    return campaign_save(
        shop=shop,
        actor=None,
        fields={
            "name": "Promo Lebaran",
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo {nama_depan}, nastar sudah siap!",
            "audience_kind": "all",
            **fields,
        },
    )


def text_of(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def words_of(response) -> str:
    """The page's words as read, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", unescape(response.content.decode())).split())


def imported_buyers(shop):
    """What an import leaves: buyers with numbers, none ever asked; one said no."""
    people = {
        name: make_customer(shop, name, phone=phone)
        for name, phone in (
            ("Ani Suryani", "0812-1000-0001"),
            ("Budi Santoso", "0812-1000-0002"),
            ("Citra Lestari", "0812-1000-0003"),
            ("Dedi Kurnia", None),
        )
    }
    consent_record(
        shop=shop, customer=people["Citra Lestari"], channel="whatsapp", granted=False,
        source="reply_stop",
    )  # fmt: skip
    return people


def test_before_sending_the_page_says_who_is_reached_and_why_not_the_others(ika_client, ika_shop):
    imported_buyers(ika_shop)
    campaign = promo(ika_shop)
    page = text_of(ika_client.get(reverse("outreach_campaign", args=[campaign.pk])))
    assert "0 dari 4 pelanggan bisa dijangkau. Sisanya tidak, karena:" in page
    # in the order a send decides, so that the log says the same afterwards
    assert "3 belum pernah ditanya apakah mau promo lewat saluran ini" in page
    assert "1 menolak, atau sudah berhenti menerima pesan ini" in page
    # ... and the three ways to ask them (Dedi, without a number, cannot be asked)
    assert "Tanya 2 pelanggan lewat WhatsApp" in page
    assert reverse("outreach_consent_ask") in page
    assert reverse("card_batches") in page and reverse("storefront_settings") in page


def test_sending_needs_the_second_tap(ika_client, ika_shop):
    make_customer(ika_shop, "Siti", phone="0812-1111-2222", consent=("whatsapp",))
    campaign = promo(ika_shop)
    page = text_of(ika_client.get(reverse("outreach_campaign", args=[campaign.pk])))
    assert 'data-testid="send-campaign-confirm"' in page
    assert "Membuat pesan untuk 1 pelanggan" in page
    url = reverse("outreach_campaign_send", args=[campaign.pk])
    assert "Belum ada yang dilakukan" in text_of(ika_client.post(url, follow=True))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    ika_client.post(url, {"confirmed": "yes"})
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_the_list_counts_only_the_messages_that_left(ika_client, ika_shop):
    people = imported_buyers(ika_shop)
    consent_record(
        shop=ika_shop, customer=people["Ani Suryani"], channel="whatsapp", granted=True,
        source="staff",
    )  # fmt: skip
    campaign = promo(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    listing = words_of(ika_client.get(reverse("outreach_campaigns")))
    assert "0 terkirim · 3 tidak terjangkau" in listing  # not "4 penerima"
    with shop_scope(ika_shop):
        waiting = Delivery.objects.get(campaign=campaign, status=DeliveryStatus.QUEUED)
    walink_mark_sent(shop=ika_shop, delivery_id=waiting.pk, campaign_id=campaign.pk)
    listing = words_of(ika_client.get(reverse("outreach_campaigns")))
    assert "Selesai · 1 terkirim · 3 tidak terjangkau" in listing


def test_a_consent_request_goes_one_to_one_to_the_never_asked_and_records_the_answer(
    ika_client, ika_shop, client
):
    people = imported_buyers(ika_shop)
    ask_page = text_of(ika_client.get(reverse("outreach_consent_ask")))
    assert "2 pelanggan dengan nomor WhatsApp belum pernah ditanya" in ask_page
    assert "Halo Ani, ini Dapur Kue Bu Ika." in ask_page  # the message, as Ani gets it
    response = ika_client.post(reverse("outreach_consent_ask"), {"everyone": "yes"})
    with shop_scope(ika_shop):
        request = Campaign.objects.get(consent_request=True)
        deliveries = list(Delivery.objects.filter(campaign=request).select_related("customer"))
    assert response["Location"] == reverse("outreach_queue", args=[request.pk])
    assert (request.channel, request.purpose) == ("walink", "service")
    # never to Citra (she said no) nor to Dedi (no number)
    assert {d.customer.name for d in deliveries} == {"Ani Suryani", "Budi Santoso"}
    assert all(d.status == DeliveryStatus.QUEUED for d in deliveries)

    queue = ika_client.get(reverse("outreach_queue", args=[request.pk])).content.decode()
    link = next(p.split('"')[0] for p in queue.split('href="') if p.startswith("https://wa.me/"))
    [text] = parse_qs(urlsplit(link.replace("&amp;", "&")).query)["text"]
    signup = re.search(r"https?://\S+/daftar/\S+/", text).group(0)
    assert "kami tidak akan mengirimimu promo" in text and "Halo " in text

    # Budi opens the link from his WhatsApp and says yes
    batch = CardBatch.unscoped.get(shop=ika_shop, kind=CardBatch.Kind.INVITATION)
    assert urlsplit(signup).path == reverse("signup", args=[ika_shop.slug, batch.token])
    page = client.get(urlsplit(signup).path).content.decode()
    assert "Mau dapat kabar dan promo dari kami?" in unescape(page)
    signup_submit(batch=batch, name="Budi Santoso", phone="0812-1000-0002", consent_whatsapp=True)
    budi = people["Budi Santoso"]
    consent = consent_state(shop=ika_shop, customer=budi)["whatsapp"]
    assert consent.granted and consent.source == "signup"
    with shop_scope(ika_shop):
        event = ConsentEvent.objects.get(customer=budi, granted=True)
        assert SignUp.objects.get().customer_id == budi.pk  # joined, not a new customer
    assert event.evidence["batch"] == batch.pk
    # the invitation is no printed batch
    cards = ika_client.get(reverse("card_batches")).content.decode()
    assert f'data-testid="batch-{batch.pk}"' not in cards
    assert "1 pelanggan mendaftar lewat undangan WhatsApp" in unescape(cards)


def test_one_customer_is_asked_from_her_page_and_a_no_is_never_asked_again(ika_client, ika_shop):
    people = imported_buyers(ika_shop)
    ani, citra = people["Ani Suryani"], people["Citra Lestari"]
    page = ika_client.get(reverse("customer_detail", args=[ani.pk])).content.decode()
    assert 'data-testid="ask-this-customer"' in page
    assert (
        'data-testid="ask-this-customer"'
        not in ika_client.get(reverse("customer_detail", args=[citra.pk])).content.decode()
    )
    ika_client.post(reverse("outreach_consent_ask"), {"customer": [ani.pk], "from": "customer"})
    with shop_scope(ika_shop):
        [delivery] = Delivery.objects.filter(campaign__consent_request=True)
    assert delivery.customer_id == ani.pk
    response = ika_client.post(
        reverse("outreach_consent_ask"), {"customer": [citra.pk], "from": "customer"}
    )
    assert response["Location"] == reverse("customer_detail", args=[citra.pk])
    with shop_scope(ika_shop):
        assert Campaign.objects.filter(consent_request=True).count() == 1


def test_another_shops_customers_are_never_asked(ika_client, ika_shop, citra_shop):
    theirs = make_customer(citra_shop, "Rahasia Citra", phone="0812-9999-0000")
    ika_client.post(reverse("outreach_consent_ask"), {"customer": [theirs.pk]})
    assert not Campaign.unscoped.filter(consent_request=True).exists()
