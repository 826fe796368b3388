"""Unsubscribe links: signed, unguessable, no personal data, effective at once."""

from __future__ import annotations

from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Delivery
from merdeka.outreach.services.unsubscribe import unsubscribe_token
from merdeka.privacy.consent import consent_allows, consent_state


def a_delivery(shop, customer, channel="walink"):
    with shop_scope(shop):
        return Delivery.objects.create(
            shop=shop, customer=customer, channel=channel, purpose="marketing", body="Halo"
        )


def path_of(delivery):
    return reverse("outreach_unsubscribe", args=[unsubscribe_token(delivery)])


def test_the_link_has_no_personal_data(ika_shop, people):
    delivery = a_delivery(ika_shop, people["siti"])
    path = path_of(delivery)
    for secret in ("Siti", "6281211112222", "0812", "siti@example.id"):
        assert secret not in path
    # the shop, a random nonce and a signature; no customer id
    shop_id, nonce_and_signature = path.split("/")[2].split(".", 1)
    assert shop_id == str(ika_shop.pk)
    assert nonce_and_signature.split(":")[0] == delivery.unsubscribe_nonce


def test_opening_the_link_asks_and_posting_withdraws_at_once(client, ika_shop, people):
    siti = people["siti"]
    delivery = a_delivery(ika_shop, siti)
    page = client.get(path_of(delivery))
    assert page.status_code == 200
    assert "Dapur Kue Bu Ika" in page.content.decode()
    assert "Siti" not in page.content.decode()
    assert consent_allows(shop=ika_shop, customer=siti, channel="whatsapp")  # a GET changes nothing
    done = client.post(path_of(delivery))
    assert done.status_code == 200
    assert not consent_allows(shop=ika_shop, customer=siti, channel="whatsapp")
    assert consent_allows(shop=ika_shop, customer=siti, channel="email")
    assert consent_state(shop=ika_shop, customer=siti)["whatsapp"].source == "unsubscribe"


def test_an_email_link_withdraws_email_and_works_one_click(client, ika_shop, people):
    delivery = a_delivery(ika_shop, people["siti"], channel="email")
    # RFC 8058: mail apps POST "List-Unsubscribe=One-Click" without a CSRF token
    client.post(path_of(delivery), {"List-Unsubscribe": "One-Click"})
    assert not consent_allows(shop=ika_shop, customer=people["siti"], channel="email")
    assert consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")


def test_a_used_link_says_so_and_records_nothing_twice(client, ika_shop, people):
    from merdeka.privacy.models import ConsentEvent

    delivery = a_delivery(ika_shop, people["siti"])
    client.post(path_of(delivery))
    again = client.post(path_of(delivery))
    assert again.status_code == 200
    assert "sudah berhenti" in again.content.decode().lower()
    with shop_scope(ika_shop):
        assert ConsentEvent.objects.filter(granted=False).count() == 1


def test_a_tampered_or_made_up_link_is_refused(client, ika_shop, citra_shop, people):
    delivery = a_delivery(ika_shop, people["siti"])
    token = unsubscribe_token(delivery)
    shop_id, rest = token.split(".", 1)
    for bad in (token[:-2] + "xx", f"{citra_shop.pk}.{rest}", "contoh", f"{shop_id}.abc:def"):
        answer = client.post(reverse("outreach_unsubscribe", args=[bad]))
        assert answer.status_code == 404
        assert "tidak berfungsi" in answer.content.decode()
    assert consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")
