"""The pages: the public ones under the storefront's slug, and the seller's dashboard."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.groupbuy import services
from merdeka.groupbuy.models import GroupBuy, GroupMember
from merdeka.groupbuy.tests.conftest import join
from merdeka.groupbuy.tests.world import groupbuy_world
from merdeka.orders.models import Order
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.services import storefront_ensure
from merdeka.storefront.tests.conftest import make_product


def public(group, slug="dapur-ika"):
    return reverse("groupbuy_public", kwargs={"slug": slug, "token": group.share_token})


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def join_post(client, group, token, **extra):
    data = {
        "token": token,
        "quantity": "6",
        "name": "Budi Santoso",
        "whatsapp": "0813 0000 0002",
        "delivery": "pickup",
        "payment": "transfer",
        **extra,
    }
    return client.post(public(group), data)


def test_the_product_page_offers_a_group_buy(client, offer, lapis):
    response = client.get(reverse("storefront_product", args=["dapur-ika", "kue-lapis-legit"]))
    body = response.content.decode()
    assert reverse("groupbuy_open", args=["dapur-ika", offer.pk]) in body
    assert "Rp45.000" in body and "Rp40.000" in body


def test_a_buyer_opens_a_group_and_lands_on_the_private_coordinator_page(client, offer):
    url = reverse("groupbuy_open", args=["dapur-ika", offer.pk])
    token = token_of(client.get(url))
    data = {"token": token, "name": "Sari Dewi", "whatsapp": "0812 1111 2222", "days": "3"}
    response = client.post(url, data)
    group = GroupBuy.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "groupbuy_coordinator", args=["dapur-ika", group.coordinator_token]
    )
    assert client.post(url, data).status_code == 302  # a double tap
    assert GroupBuy.unscoped.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert group.share_token in page and "https://wa.me/?text=" in page


def test_a_bad_deadline_or_number_is_refused_in_indonesian(client, offer):
    url = reverse("groupbuy_open", args=["dapur-ika", offer.pk])
    token = token_of(client.get(url))
    response = client.post(url, {"token": token, "name": "S", "whatsapp": "123", "days": "30"})
    body = unescape(response.content.decode())
    assert "Tulis namamu." in body and "30 bukan salah satu dari pilihan" in body
    assert "Ini bukan nomor WhatsApp" in body
    assert not GroupBuy.unscoped.exists()


def test_members_join_through_the_link_and_see_the_price_they_would_pay(client, group, lapis):
    join(group.shop, group, "Ani Suryani", "081300000001", 4)
    response = client.get(public(group))
    assert response["Cache-Control"] == "no-store, private"
    response = join_post(client, group, token_of(response))
    member = GroupMember.unscoped.get(order__personal__isnull=False, quantity=6)
    assert response.status_code == 302
    page = unescape(client.get(response["Location"]).content.decode())
    assert "Rp270.000" in page  # 6 x 45.000: the group is at 10 now
    assert member.order.external_id in page
    # a double tap of the same form joins once
    again = join_post(client, group, member.order.idempotency_key)
    assert again["Location"] == response["Location"]
    assert GroupMember.unscoped.count() == 2


def test_the_public_page_shows_the_running_total_but_no_member(client, group):
    join(group.shop, group, "Ani Suryani", "081300000001", 4)
    join(group.shop, group, "Budi Santoso", "081300000002", 7)
    body = unescape(client.get(public(group)).content.decode())
    assert "11 pcs terkumpul" in body and "2 anggota" in body
    assert "Rp45.000" in body
    assert "19 pcs lagi" in body  # to the 30-piece tier
    for secret in ("Ani", "Budi", "Santoso", "0813", "6281300000001", group.coordinator_token):
        assert secret not in body
    assert "Dibuka oleh Sari." in body  # the coordinator's first name only
    assert "Lestari" not in body
    og = re.search(r'og:title" content="([^"]+)"', body).group(1)
    assert "Kue Lapis Legit" in og and "Rp45.000" in og


def test_joining_after_the_deadline_shows_a_clear_message(client, group):
    with shop_scope(group.shop):
        GroupBuy.objects.filter(pk=group.pk).update(deadline=group.deadline - timedelta(days=4))
    response = client.get(public(group))
    body = unescape(response.content.decode())
    assert "Batas waktu beli bareng ini sudah lewat" in body and 'name="quantity"' not in body
    assert not Order.unscoped.exists()


def test_a_closed_group_refuses_a_posted_join(client, group):
    token = token_of(client.get(public(group)))
    services.group_close(shop=group.shop, group_id=group.pk, reason="seller")
    response = join_post(client, group, token)
    assert "Beli bareng ini sudah ditutup" in unescape(response.content.decode())
    assert not Order.unscoped.exists()


def test_the_coordinator_sees_first_names_and_closes_the_group(client, group):
    join(group.shop, group, "Ani Suryani", "081300000001", 4)
    url = reverse("groupbuy_coordinator", args=["dapur-ika", group.coordinator_token])
    body = unescape(client.get(url).content.decode())
    assert "Ani — 4" in body and "Suryani" not in body and "0813" not in body
    assert 'data-testid="close-group-confirm"' in body  # behind the confirmation
    client.post(url, {"action": "close", "confirmed": "yes"})
    with shop_scope(group.shop):
        group.refresh_from_db()
        assert Order.objects.get().status == "awaiting_payment"
    assert group.status == "closed" and group.final_price == Decimal(50000)


def test_another_shops_tokens_and_offers_do_not_open_under_this_slug(
    client, group, offer, citra_shop
):
    storefront_ensure(shop=citra_shop)
    _product, [variant] = make_product(citra_shop, name="Keripik Citra", stock=3)
    theirs = groupbuy_world(citra_shop, variant)
    from merdeka.storefront.models import StorefrontSettings

    citra_slug = StorefrontSettings.unscoped.get(shop=citra_shop).slug
    member = theirs["member"]
    urls = [
        reverse("groupbuy_public", args=["dapur-ika", theirs["group"].share_token]),
        reverse("groupbuy_coordinator", args=["dapur-ika", theirs["group"].coordinator_token]),
        reverse("groupbuy_open", args=["dapur-ika", theirs["offer"].pk]),
        reverse(
            "groupbuy_member",
            args=["dapur-ika", theirs["group"].share_token, member.order.public_token],
        ),
        # and Ika's under Citra's address
        reverse("groupbuy_public", args=[citra_slug, group.share_token]),
        reverse("groupbuy_coordinator", args=[citra_slug, group.coordinator_token]),
        reverse("groupbuy_open", args=[citra_slug, offer.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "close"}).status_code in (404, 405), url
    with shop_scope(citra_shop):
        assert GroupBuy.objects.get().status == "open"
    # Citra's shop page never offers Ika's group buys
    body = client.get(reverse("storefront_shop", args=[citra_slug])).content.decode()
    assert "Lapis" not in body


def test_the_seller_dashboard_shows_totals_and_logs_who_read_the_members(client, ika, group):
    join(group.shop, group, "Ani Suryani", "081300000001", 4)
    join(group.shop, group, "Budi Santoso", "081300000002", 7)
    client.force_login(ika)
    body = unescape(client.get(reverse("groupbuy_list")).content.decode())
    assert "Kue Lapis Legit" in body and "Rp45.000" in body and ">11<" in body
    detail = unescape(client.get(reverse("groupbuy_detail", args=[group.pk])).content.decode())
    assert "Ani Suryani" in detail and "0813-0000-0002" in detail
    with shop_scope(group.shop):
        event = AuditEvent.objects.filter(action="groupbuy.viewed").get()
        order = Order.objects.filter(personal__isnull=False).first()
    assert event.target_id == str(group.pk) and event.actor_id == ika.pk
    # the order book marks the order as a group buy
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert reverse("groupbuy_detail", args=[group.pk]) in page


def test_the_seller_sets_tiers_and_bad_ones_are_refused(client, ika, lapis):
    client.force_login(ika)
    url = reverse("groupbuy_offer_add")
    response = client.post(
        url, {"variant": lapis.pk, "tiers": "1 = 50000\n10 = 60000", "max_days": "5"}
    )
    assert "tidak boleh lebih mahal" in unescape(response.content.decode())
    response = client.post(
        url,
        {
            "variant": lapis.pk,
            "tiers": "1-9 = 50000\n10+ = 45.000",
            "max_days": "5",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    from merdeka.groupbuy.models import GroupOffer

    offer = GroupOffer.unscoped.get()
    assert services.offer_tiers(offer)[1].price == Decimal(45000) and offer.max_days == 5


def test_the_seller_opens_a_group_herself(client, ika, offer):
    client.force_login(ika)
    response = client.post(
        reverse("groupbuy_seller_open"), {"offer": offer.pk, "days": "2", "token": "seller-1"}
    )
    group = GroupBuy.unscoped.get()
    assert response["Location"] == reverse("groupbuy_detail", args=[group.pk])
    assert group.opened_by_id == ika.pk and group.coordinator_phone is None


@pytest.mark.parametrize("name", ["groupbuy_list", "groupbuy_offer_add", "groupbuy_seller_open"])
def test_staff_may_use_the_dashboard(client, rina, offer, name):
    client.force_login(rina)
    assert client.get(reverse(name)).status_code == 200


def test_a_new_offer_shows_on_the_cached_product_page_at_once(
    client, ika, lapis, django_capture_on_commit_callbacks
):
    url = reverse("storefront_product", args=["dapur-ika", "kue-lapis-legit"])
    assert "bareng/buka" not in client.get(url).content.decode()  # now cached
    from merdeka.groupbuy.tests.world import TIERS

    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_save(
            shop=lapis.shop, actor=ika, variant=lapis, tiers=TIERS, max_days=7
        )
    assert (
        reverse("groupbuy_open", args=["dapur-ika", offer.pk]) in client.get(url).content.decode()
    )


def test_a_titled_name_is_shown_with_its_title_never_cut_to_bu(client, ika_shop, offer):
    group, _ = services.group_open(
        shop=ika_shop,
        offer=offer,
        days=3,
        key="open-bu",
        coordinator_name="Bu Ika Rahmawati",
        coordinator_phone="0812 1111 3333",
    )
    join(ika_shop, group, "Bu Siti Rahma", "081300000001", 2)
    page = unescape(client.get(public(group)).content.decode())
    assert "Dibuka oleh Bu Ika." in page and "Dibuka oleh Bu." not in page
    url = reverse("groupbuy_coordinator", args=["dapur-ika", group.coordinator_token])
    assert "Bu Siti — 2" in unescape(client.get(url).content.decode())


def test_closing_without_the_second_tap_does_nothing_and_says_so(client, ika, group):
    join(group.shop, group, "Ani Suryani", "081300000001", 4)
    coordinator = reverse("groupbuy_coordinator", args=["dapur-ika", group.coordinator_token])
    page = client.post(coordinator, {"action": "close"}, follow=True).content.decode()
    assert "Belum ada yang dilakukan" in unescape(page)
    client.force_login(ika)
    seller = reverse("groupbuy_detail", args=[group.pk])
    client.post(seller, {"action": "cancel"})
    group.refresh_from_db()
    assert group.status == "open"
    client.post(seller, {"action": "cancel", "confirmed": "yes"})
    group.refresh_from_db()
    assert group.status == "cancelled"
