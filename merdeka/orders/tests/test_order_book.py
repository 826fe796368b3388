from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.customers.services import customer_create
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy.models import AuditEvent

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture
def book(ika_shop, in_shop):
    """Orders from three channels; Budi has a phone, the Shopee one is anonymous."""
    budi = customer_create(shop=ika_shop, name="Budi Santoso", phone="+6281234567890")
    sari = customer_create(shop=ika_shop, name="Sari Dewi", phone="+6285711112222")
    rows = [
        (
            "shopee",
            "2412010ABCD",
            None,
            "completed",
            dt.datetime(2024, 12, 1, 9, 0, tzinfo=WIB),
            150000,
        ),
        (
            "tiktok",
            "577000111222333444",
            budi,
            "shipped",
            dt.datetime(2024, 12, 2, 23, 30, tzinfo=WIB),
            87500,
        ),
        ("whatsapp", "WA-7", budi, "new", dt.datetime(2024, 12, 3, 0, 15, tzinfo=WIB), 40000),
        (
            "storefront",
            "M-1001",
            sari,
            "cancelled",
            dt.datetime(2024, 12, 5, 12, 0, tzinfo=WIB),
            62000,
        ),
    ]
    orders = {}
    with in_shop(ika_shop):
        for channel, number, customer, status, when, total in rows:
            order = Order.objects.create(
                shop=ika_shop,
                channel=channel,
                external_id=number,
                customer=customer,
                status=status,
                ordered_at=when,
                total=Decimal(total),
                recipient_name="Penerima <script>alert(1)</script>",
                street="Jl. Melati 5",
                city="Kota Bandung",
                province="Jawa Barat",
            )
            OrderLine.objects.create(
                shop=ika_shop,
                order=order,
                name="Kue Lapis Legit",
                quantity=2,
                unit_price=Decimal(total) / 2,
                total=Decimal(total),
            )
            orders[number] = order
    return orders


def listed(client, **params) -> list[str]:
    response = client.get(reverse("order_list"), params)
    assert response.status_code == 200
    return [o.external_id for o in response.context["page"].object_list]


def test_every_channel_is_in_one_book_newest_first(ika_client, book):
    assert listed(ika_client) == ["M-1001", "WA-7", "577000111222333444", "2412010ABCD"]


def test_it_filters_by_channel_and_status(ika_client, book):
    assert listed(ika_client, channel="tiktok") == ["577000111222333444"]
    assert listed(ika_client, status="cancelled") == ["M-1001"]
    assert listed(ika_client, channel="shopee", status="new") == []


def test_dates_are_whole_days_in_the_shops_time_zone(ika_client, book):
    # 2 Dec 23:30 WIB is 2 Dec in Jakarta (16:30 UTC); 3 Dec 00:15 WIB is 2 Dec 17:15 UTC
    assert listed(ika_client, date_from="2024-12-02", date_to="2024-12-02") == [
        "577000111222333444"
    ]
    assert listed(ika_client, date_from="2024-12-03") == ["M-1001", "WA-7"]


def test_a_reversed_date_range_is_explained_not_guessed(ika_client, book):
    response = ika_client.get(
        reverse("order_list"), {"date_from": "2024-12-05", "date_to": "2024-12-01"}
    )
    assert "Tanggal awal setelah tanggal akhir" in response.content.decode()


def test_it_finds_orders_by_number_prefix_and_by_the_buyers_phone_in_any_format(ika_client, book):
    assert listed(ika_client, q="577000") == ["577000111222333444"]
    for phone in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890"):
        assert listed(ika_client, q=phone) == ["WA-7", "577000111222333444"]
    assert listed(ika_client, q="0812****7890") == []


def page_text(response) -> str:
    """The page's text without tags, its spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())


def test_the_summary_counts_the_filtered_orders_in_rupiah(ika_client, book):
    response = ika_client.get(reverse("order_list"), {"q": "081234567890"})
    summary = page_text(response)
    # Budi's shipped TikTok order is paid; his new WhatsApp order is not yet
    assert "2 pesanan" in summary
    assert "dibayar Rp87.500" in summary
    assert "Rp40.000 belum dibayar dari 1 pesanan" in summary
    assert "Rp127.500" not in summary


def test_the_summary_shows_paid_revenue_and_keeps_unpaid_and_cancelled_apart(
    ika_client, ika_shop, book, in_shop
):
    with in_shop(ika_shop):  # a cash-on-delivery order on its way is not paid yet
        Order.objects.create(
            shop=ika_shop,
            channel="storefront",
            external_id="M-1002",
            status="shipped",
            payment_method="cod",
            delivery_method="cod",
            ordered_at=dt.datetime(2024, 12, 6, 9, 0, tzinfo=WIB),
            total=Decimal(30000),
        )
    summary = ika_client.get(reverse("order_list")).context["summary"]
    # paid: Shopee completed 150.000 + TikTok shipped 87.500; unpaid: WhatsApp new 40.000
    # + the COD parcel 30.000; the cancelled storefront order (62.000) counts for neither
    assert summary == {
        "count": 5,
        "paid": Decimal(237500),
        "paid_count": 2,
        "unpaid": Decimal(70000),
        "unpaid_count": 2,
        "closed_count": 1,
    }
    page = page_text(ika_client.get(reverse("order_list")))
    assert "5 pesanan" in page and "dibayar Rp237.500" in page
    assert "Rp70.000 belum dibayar dari 2 pesanan" in page
    assert "1 batal atau dikembalikan, tidak dihitung" in page
    assert "Rp299.500" not in page and "Rp319.500" not in page


def test_the_order_page_shows_lines_and_delivery_escaped_and_is_audited(ika_client, ika_shop, book):
    order = book["WA-7"]
    response = ika_client.get(reverse("order_detail", args=[order.pk]))
    body = response.content.decode()
    assert "Kue Lapis Legit" in body and "Rp40.000" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert AuditEvent.unscoped.filter(
        shop=ika_shop, action="order.viewed", target_id=str(order.pk)
    ).exists()


def test_the_list_page_makes_a_fixed_number_of_queries(
    ika_client, book, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        ika_client.get(reverse("order_list"))


def test_staff_see_the_order_book_too(rina_client, book):
    assert len(listed(rina_client)) == 4


def test_the_selector_reads_days_in_the_shops_zone_even_outside_a_request(ika_shop, book):
    from django.utils import timezone

    from merdeka.orders.selectors import order_list

    with timezone.override("UTC"):  # as a command or task runs it
        orders = order_list(
            shop=ika_shop, date_from=dt.date(2024, 12, 2), date_to=dt.date(2024, 12, 2)
        )
        assert [o.external_id for o in orders] == ["577000111222333444"]


def test_orders_from_a_group_buy_or_a_pre_order_are_marked_in_the_book(ika_client, ika_shop):
    from merdeka.groupbuy.tests.world import groupbuy_world
    from merdeka.preorders.tests.conftest import buy, open_batch
    from merdeka.storefront.tests.conftest import make_product

    _lapis, [lapis] = make_product(ika_shop, name="Kue Lapis Legit", stock=10)
    member = groupbuy_world(ika_shop, lapis)["member"]
    cake, [bolu] = make_product(ika_shop, name="Bolu Pandan", stock=0)
    open_batch(ika_shop, cake)
    preorder = buy(ika_shop, bolu)
    plain = buy(ika_shop, lapis, key="plain-1")

    response = ika_client.get(reverse("order_list"))
    rows = {o.external_id: o for o in response.context["page"].object_list}
    assert rows[member.order.external_id].in_group_buy
    assert rows[preorder.external_id].in_preorder
    assert not rows[plain.external_id].in_group_buy and not rows[plain.external_id].in_preorder
    body = response.content.decode()
    assert body.count('data-testid="badge-group-buy">Beli bareng<') == 1
    assert body.count('data-testid="badge-preorder">PO<') == 1
