from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from merdeka.catalog.models import StockLevel
from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.groupbuy import services
from merdeka.groupbuy.models import GroupBuy, GroupMember, GroupStatus
from merdeka.groupbuy.tests.conftest import join
from merdeka.groupbuy.tiers import Tier
from merdeka.orders.models import Order
from merdeka.outreach.models import Delivery
from merdeka.privacy.consent import consent_allows
from merdeka.privacy.rights import customer_erase


def reserved(shop, variant) -> int:
    with shop_scope(shop):
        return StockLevel.objects.get(variant=variant).reserved


def orders(shop):
    with shop_scope(shop):
        return {o.recipient_name: o for o in Order.objects.filter(shop=shop)}


def test_a_group_opens_with_a_copy_of_the_tiers_and_two_secret_links(ika_shop, offer, group):
    assert group.status == GroupStatus.OPEN
    assert group.tiers == [
        {"min": 1, "price": "50000"},
        {"min": 10, "price": "45000"},
        {"min": 30, "price": "40000"},
    ]
    assert len(group.share_token) >= 30 and len(group.coordinator_token) >= 30
    assert group.share_token != group.coordinator_token
    # the seller changes the offer: the open group keeps what was shared
    services.offer_save(
        shop=ika_shop, actor=None, variant=offer.variant, tiers=[Tier(1, Decimal(60000))],
        max_days=7, offer=offer,
    )  # fmt: skip
    with shop_scope(ika_shop):
        group.refresh_from_db()
    assert services.group_progress(group).base_price == Decimal(50000)


def test_opening_twice_with_one_key_opens_one_group(ika_shop, offer, group):
    again, created = services.group_open(
        shop=ika_shop, offer=offer, days=3, key="open-1",
        coordinator_name="Sari", coordinator_phone="081211112222",
    )  # fmt: skip
    assert not created and again.pk == group.pk


@pytest.mark.parametrize("days", [0, 8])
def test_the_deadline_stays_within_what_the_seller_allows(ika_shop, offer, days, english):
    with pytest.raises(ServiceError, match="within 7 days"):
        services.group_open(
            shop=ika_shop, offer=offer, days=days, key=f"d{days}",
            coordinator_name="Sari", coordinator_phone="081211112222",
        )  # fmt: skip


def test_a_coordinator_needs_a_reachable_number(ika_shop, offer, english):
    with pytest.raises(ServiceError, match="WhatsApp number"):
        services.group_open(
            shop=ika_shop, offer=offer, days=3, key="x",
            coordinator_name="Sari", coordinator_phone="0812****2222",
        )  # fmt: skip


def test_a_paused_offer_opens_nothing(ika_shop, offer, english):
    services.offer_save(
        shop=ika_shop, actor=None, variant=offer.variant, tiers=services.offer_tiers(offer),
        max_days=7, is_active=False, offer=offer,
    )  # fmt: skip
    with pytest.raises(ServiceError, match="not offered"):
        services.group_open(
            shop=ika_shop, offer=offer, days=3, key="x",
            coordinator_name="Sari", coordinator_phone="081211112222",
        )  # fmt: skip


def test_the_coordinator_is_encrypted_at_rest_and_becomes_a_customer(ika_shop, group):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coordinator_name, coordinator_phone FROM groupbuy_groupbuy WHERE id = %s",
            [group.pk],
        )
        name, phone = cursor.fetchone()
    assert "Sari" not in name and "62812" not in phone
    with shop_scope(ika_shop):
        customer = Customer.objects.get(pk=group.coordinator_customer_id)
        assert customer.phone == "+6281211112222"
        found = GroupBuy.objects.filter(
            coordinator_phone_index=GroupBuy._meta.get_field("coordinator_phone_index").index_for(
                ika_shop.pk, "0812-1111-2222"
            )
        )
        assert list(found) == [group]


def test_erasing_the_coordinator_removes_their_name_and_number_from_the_group(ika_shop, group):
    customer_erase(shop=ika_shop, customer_id=group.coordinator_customer_id)
    with shop_scope(ika_shop):
        group.refresh_from_db()
    assert group.coordinator_name is None and group.coordinator_phone is None
    assert group.coordinator_phone_index is None


def test_each_member_pays_the_price_reached_with_them_in_it(ika_shop, lapis, group):
    first, created = join(ika_shop, group, "Ani Suryani", "081300000001", 4)
    assert created and first.order.total == Decimal(200000)  # 4 x 50.000
    second, _ = join(ika_shop, group, "Budi Santoso", "081300000002", 6)
    assert second.order.total == Decimal(270000)  # 10 in all: 6 x 45.000
    with shop_scope(ika_shop):
        group.refresh_from_db()
        order = Order.objects.get(pk=second.order_id)
        assert order.lines.get().unit_price == Decimal(45000)
    assert (group.total_quantity, group.member_count) == (10, 2)
    assert order.status == "new" and order.channel == "storefront"
    assert reserved(ika_shop, lapis) == 10


def test_a_double_tap_joins_once(ika_shop, lapis, group):
    first, created = join(ika_shop, group, "Ani Suryani", "081300000001", 3, key="tap")
    again, created_again = join(ika_shop, group, "Ani Suryani", "081300000001", 3, key="tap")
    assert created and not created_again and again.pk == first.pk
    with shop_scope(ika_shop):
        group.refresh_from_db()
        assert GroupMember.objects.count() == 1
    assert group.total_quantity == 3 and reserved(ika_shop, lapis) == 3


def test_joining_after_the_deadline_is_refused_in_indonesian(ika_shop, lapis, group):
    later = group.deadline + timedelta(seconds=1)
    with pytest.raises(ServiceError, match="Batas waktu beli bareng ini sudah lewat"):
        join(ika_shop, group, "Ani Suryani", "081300000001", 1, now=later)
    with shop_scope(ika_shop):
        group.refresh_from_db()
        assert Order.objects.count() == 0
    assert group.total_quantity == 0 and reserved(ika_shop, lapis) == 0


def test_joining_a_closed_group_is_refused(ika_shop, group):
    services.group_close(shop=ika_shop, group_id=group.pk, reason="seller")
    with pytest.raises(ServiceError, match="sudah ditutup"):
        join(ika_shop, group, "Ani Suryani", "081300000001", 1)


def test_a_join_beyond_the_stock_is_refused_and_counts_nothing(ika_shop, lapis, group, english):
    join(ika_shop, group, "Ani Suryani", "081300000001", 38)
    with pytest.raises(ServiceError, match="Only 2 left for this group buy"):
        join(ika_shop, group, "Budi Santoso", "081300000002", 3)
    with shop_scope(ika_shop):
        group.refresh_from_db()
    assert (group.total_quantity, group.member_count) == (38, 1)
    assert reserved(ika_shop, lapis) == 38


def test_closing_gives_everyone_the_final_price_and_tells_them(ika_shop, group, english):
    join(ika_shop, group, "Ani Suryani", "081300000001", 4)
    join(ika_shop, group, "Budi Santoso", "081300000002", 20, delivery="courier",
                   fee=Decimal(15000))  # fmt: skip
    join(ika_shop, group, "Citra Ayu", "081300000003", 6)
    closed = services.group_close(shop=ika_shop, group_id=group.pk, reason="coordinator")
    assert closed.status == GroupStatus.CLOSED and closed.final_price == Decimal(40000)
    found = orders(ika_shop)
    assert found["Ani Suryani"].total == Decimal(160000)  # 4 x 40.000, not 50.000
    assert found["Budi Santoso"].total == Decimal(815000)  # 20 x 40.000 + 15.000
    assert found["Citra Ayu"].total == Decimal(240000)
    assert {o.status for o in found.values()} == {"awaiting_payment"}
    with shop_scope(ika_shop):
        lines = {o.recipient_name: o.lines.get() for o in Order.objects.all()}
        deliveries = list(Delivery.objects.filter(purpose="service").select_related("customer"))
    assert {line.unit_price for line in lines.values()} == {Decimal(40000)}
    assert len(deliveries) == 3 and {d.channel for d in deliveries} == {"walink"}
    by_name = {d.customer.name: d.body for d in deliveries}
    assert "everyone pays Rp40.000 a piece" in by_name["Budi Santoso"]
    assert "total Rp815.000 to pay" in by_name["Budi Santoso"]
    assert found["Budi Santoso"].public_token in by_name["Budi Santoso"]
    # closing again does nothing more
    assert services.group_close(shop=ika_shop, group_id=group.pk, reason="seller") is None
    with shop_scope(ika_shop):
        assert Delivery.objects.count() == 3


def test_a_group_below_its_minimum_fails_and_gives_the_stock_back(ika_shop, lapis, storefront,
                                                                 english):  # fmt: skip
    offer = services.offer_save(
        shop=ika_shop, actor=None, variant=lapis, max_days=3,
        tiers=[Tier(10, Decimal(45000)), Tier(30, Decimal(40000))],
    )  # fmt: skip
    group, _ = services.group_open(
        shop=ika_shop, offer=offer, days=1, key="k", coordinator_name="Sari",
        coordinator_phone="081211112222",
    )  # fmt: skip
    join(ika_shop, group, "Ani Suryani", "081300000001", 4)
    assert orders(ika_shop)["Ani Suryani"].total == Decimal(180000)  # the first tier's price
    closed = services.group_close(shop=ika_shop, group_id=group.pk, reason="deadline")
    assert closed.status == GroupStatus.FAILED and closed.final_price is None
    assert orders(ika_shop)["Ani Suryani"].status == "cancelled"
    assert reserved(ika_shop, lapis) == 0
    with shop_scope(ika_shop):
        assert "did not reach its minimum of 10" in Delivery.objects.get().body


def test_cancelling_cancels_every_order_and_frees_the_stock(ika_shop, lapis, group):
    join(ika_shop, group, "Ani Suryani", "081300000001", 4)
    join(ika_shop, group, "Budi Santoso", "081300000002", 7)
    services.group_cancel(shop=ika_shop, group_id=group.pk)
    assert {o.status for o in orders(ika_shop).values()} == {"cancelled"}
    assert reserved(ika_shop, lapis) == 0
    with shop_scope(ika_shop):
        group.refresh_from_db()
        assert Delivery.objects.count() == 2
    assert group.status == GroupStatus.CANCELLED


def test_the_scheduler_closes_groups_whose_deadline_passed(
    ika_shop, group, django_capture_on_commit_callbacks
):
    join(ika_shop, group, "Ani Suryani", "081300000001", 12)
    with django_capture_on_commit_callbacks(execute=True):
        results = schedule.tick(now=group.deadline - timedelta(minutes=1))
    assert results["merdeka.groupbuy.services.groups_close_due"] == []
    with shop_scope(ika_shop):
        group.refresh_from_db()
    assert group.status == GroupStatus.OPEN
    moment = group.deadline + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        results = schedule.tick(now=moment)
    assert results["merdeka.groupbuy.services.groups_close_due"] == [group.pk]
    with shop_scope(ika_shop):
        group.refresh_from_db()
    assert group.status == GroupStatus.CLOSED and group.close_reason == "deadline"
    assert group.final_price == Decimal(45000) and group.closed_at == moment
    assert orders(ika_shop)["Ani Suryani"].total == Decimal(540000)
    assert services.groups_close_due(now=moment + timedelta(hours=1)) == []


def test_members_become_customers_with_the_consent_they_ticked(ika_shop, group):
    ani, _ = join(
        ika_shop, group, "Ani Suryani", "081300000001", 2, marketing=frozenset({"whatsapp"})
    )
    budi, _ = join(ika_shop, group, "Budi Santoso", "081300000002", 2)
    with shop_scope(ika_shop):
        ani_c = Customer.objects.get(pk=ani.order.customer_id)
        budi_c = Customer.objects.get(pk=budi.order.customer_id)
    assert ani_c.name == "Ani Suryani"
    assert consent_allows(shop=ika_shop, customer=ani_c, channel="whatsapp")
    assert not consent_allows(shop=ika_shop, customer=budi_c, channel="whatsapp")


def test_offers_stay_in_their_shop(ika_shop, citra_shop, lapis):
    with pytest.raises(ValueError):
        services.offer_save(
            shop=citra_shop, actor=None, variant=lapis, tiers=[Tier(1, Decimal(1))], max_days=3
        )


def test_an_offer_validates_its_tiers_and_days(ika_shop, lapis, english):
    with pytest.raises(ServiceError, match="cannot cost more"):
        services.offer_save(
            shop=ika_shop, actor=None, variant=lapis, max_days=3,
            tiers=[Tier(1, Decimal(100)), Tier(5, Decimal(200))],
        )  # fmt: skip
    with pytest.raises(ServiceError, match="1 to 60 days"):
        services.offer_save(
            shop=ika_shop, actor=None, variant=lapis, max_days=0, tiers=[Tier(1, Decimal(100))]
        )


def test_now_is_used_for_the_deadline(ika_shop, offer):
    moment = timezone.now() - timedelta(days=2)
    group, _ = services.group_open(
        shop=ika_shop, offer=offer, days=1, key="past", coordinator_name="Sari",
        coordinator_phone="081211112222", now=moment,
    )  # fmt: skip
    assert group.deadline == moment + timedelta(days=1)
    assert services.group_refusal(group) is not None


def test_with_the_cloud_api_members_who_wrote_lately_get_it_there_others_by_link(
    ika_shop, group, cloud, django_capture_on_commit_callbacks
):
    from merdeka.outreach.models import ServiceWindow

    ani, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 4)
    join(ika_shop, group, "Budi Santoso", "081300000002", 6)
    with shop_scope(ika_shop):
        ServiceWindow.objects.create(
            shop=ika_shop, customer_id=ani.order.customer_id, last_inbound_at=timezone.now()
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.group_close(shop=ika_shop, group_id=group.pk, reason="seller")
    with shop_scope(ika_shop):
        channels = {d.customer.name: d.channel for d in Delivery.objects.select_related("customer")}
        sent = Delivery.objects.get(channel="cloudapi")
    assert channels == {"Ani Suryani": "cloudapi", "Budi Santoso": "walink"}
    assert sent.status == "sent"
