"""Beli bareng on a phone: a coordinator opens a group buy from the product page, two
members join through the shared link, the page shows the running total and that the
lower tier's price is reached; the seller sees the group in her dashboard."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import (
    fill_buyer,
    menu_go,
    no_sideways_scroll,
    open_storefront,
    phone_context,
    sign_in,
)
from merdeka.groupbuy import services
from merdeka.groupbuy.models import GroupBuy
from merdeka.groupbuy.tiers import Tier
from merdeka.orders.models import Order
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIERS = [Tier(1, Decimal(50000)), Tier(10, Decimal(45000)), Tier(30, Decimal(40000))]


@pytest.fixture
def offer(ika_shop, ika):
    open_storefront(ika_shop)
    _product, [variant] = make_product(
        ika_shop, name="Kue Lapis Legit", stock=50, prices=(Decimal(55000),)
    )
    return services.offer_save(shop=ika_shop, actor=ika, variant=variant, tiers=TIERS, max_days=7)


def join(context, url, name, phone, quantity, shot, label):
    member = context.new_page()
    member.goto(url)
    expect(member.get_by_test_id("join-form")).to_be_visible()
    member.fill("#id_quantity", str(quantity))
    fill_buyer(member, name=name, whatsapp=phone)
    no_sideways_scroll(member)
    shot(f"{label}-form", member)
    member.get_by_test_id("join").click()
    expect(member.locator("main h1")).to_have_text("Kamu sudah ikut beli bareng!")
    expect(member.get_by_test_id("my-quantity")).to_have_text(str(quantity))
    shot(label, member)
    return member


def test_a_coordinator_opens_a_group_buy_two_members_join_and_the_lower_price_is_reached(
    live_server, page, shot, offer, ika_shop, console_errors
):
    page.goto(f"{live_server.url}/s/dapur-ika/p/kue-lapis-legit/")
    expect(page.get_by_test_id("group-offer")).to_contain_text("Rp45.000")
    page.get_by_test_id("open-group-buy").click()
    page.fill("#id_name", "Sari Dewi")
    page.fill("#id_whatsapp", "0812 1111 2222")
    page.select_option("#id_days", "3")
    shot("open")
    page.get_by_test_id("open-group").click()

    # the coordinator's private page, with the member link and a WhatsApp share button
    expect(page.locator("main h1")).to_have_text("Kue Lapis Legit")
    expect(page.get_by_test_id("group-total")).to_have_text("0 pcs terkumpul")
    share = page.get_by_test_id("share-whatsapp").get_attribute("href")
    link = page.get_by_test_id("share-link").input_value()
    assert share.startswith("https://wa.me/?text=") and link in unquote(share)
    assert "/bareng/" in link and link != page.url
    coordinator_url = page.url
    shot("coordinator")

    context = phone_context(page)
    ani = join(context, link, "Ani Suryani", "0813 0000 0001", 4, shot, "member-1")
    expect(ani.get_by_test_id("pay-now")).to_have_text("Rp200.000")  # 4 x 50.000 so far
    other = phone_context(page)
    budi = join(other, link, "Budi Santoso", "0813 0000 0002", 6, shot, "member-2")
    expect(budi.get_by_test_id("pay-now")).to_have_text("Rp270.000")  # 6 x 45.000

    # the public page: the running total, the lower tier reached, no member named
    ani.goto(link)
    expect(ani.get_by_test_id("group-total")).to_have_text("10 pcs terkumpul")
    expect(ani.get_by_test_id("group-members")).to_have_text("2 anggota")
    expect(ani.get_by_test_id("price-now")).to_contain_text("Rp45.000")
    expect(ani.get_by_test_id("tier-reached")).to_contain_text("mulai 10")
    expect(ani.get_by_test_id("next-tier")).to_contain_text("20 pcs lagi")
    body = ani.locator("body").inner_text()
    assert "Budi" not in body and "0813" not in body
    og = ani.locator('meta[property="og:title"]').get_attribute("content")
    assert og == "Beli bareng: Kue Lapis Legit — Rp45.000"
    no_sideways_scroll(ani)
    shot("public", ani)
    context.close()
    other.close()

    page.goto(coordinator_url)
    expect(page.get_by_test_id("coordinator-members")).to_contain_text("Ani — 4")
    expect(page.get_by_test_id("coordinator-members")).to_contain_text("Budi — 6")
    assert "Suryani" not in page.locator("body").inner_text()

    # the seller sees the group, its total and price, and the members in her dashboard
    seller_context = phone_context(page)
    seller = seller_context.new_page()
    sign_in(seller, live_server, "ika", PASSWORD)
    menu_go(seller, "Beli bareng")
    row = seller.get_by_test_id("group-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("row-total")).to_have_text("10")
    expect(row.get_by_test_id("row-price")).to_have_text("Rp45.000")
    shot("seller-list", seller)
    row.get_by_role("link").click()
    expect(seller.get_by_test_id("seller-members")).to_contain_text("Ani Suryani")
    expect(seller.get_by_test_id("seller-members")).to_contain_text("Budi Santoso")
    expect(seller.get_by_test_id("seller-price")).to_have_text("Rp45.000")
    shot("seller-detail", seller)
    # she closes it: everyone pays the lower price
    seller.get_by_test_id("close-group-open").click()
    expect(seller.get_by_test_id("close-group")).to_contain_text("Rp45.000 per buah")
    seller.get_by_role("button", name="Ya, tutup sekarang").click()
    expect(seller.get_by_test_id("seller-members")).to_contain_text("Rp180.000")  # 4 x 45.000
    seller_context.close()
    assert not console_errors, console_errors

    with shop_scope(ika_shop):
        group = GroupBuy.objects.get()
        totals = sorted(Order.objects.values_list("total", "status"))
    assert group.status == "closed" and group.final_price == Decimal(45000)
    assert totals == [(Decimal(180000), "awaiting_payment"), (Decimal(270000), "awaiting_payment")]
