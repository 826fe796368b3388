"""Manual orders typed in from a WhatsApp chat: the service and the seller's form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from merdeka.catalog.models import StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, OrderLine
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.tests.conftest import make_product

SITI = Buyer(name="Siti Nurhaliza", phone="0812-2222-3333")


def create(shop, lines, *, buyer=SITI, key="wa-1", **kwargs):
    return manual_order_create(
        shop=shop,
        actor=None,
        buyer=buyer,
        lines=lines,
        idempotency_key=key,
        delivery_method=kwargs.pop("delivery_method", "pickup"),
        payment_method=kwargs.pop("payment_method", "transfer"),
        **kwargs,
    )


def counts(shop):
    with shop_scope(shop):
        return (
            Order.objects.count(),
            OrderLine.objects.count(),
            sorted(StockLevel.objects.values_list("reserved", flat=True)),
            Customer.objects.count(),
        )


@pytest.mark.usefixtures("english")
class TestService:
    def test_it_saves_catalog_and_typed_in_lines_at_the_sellers_prices(self, ika_shop, lapis):
        _product, variant = lapis
        yesterday = timezone.now() - dt.timedelta(days=1)
        order, created = create(
            ika_shop,
            [
                ManualLine(quantity=2, variant_id=variant.pk),
                ManualLine(quantity=1, variant_id=variant.pk, unit_price=Decimal(80000)),
                ManualLine(quantity=3, name="Bolu pandan titipan", unit_price=Decimal(25000)),
            ],
            shipping_fee=Decimal(10000),
            ordered_at=yesterday,
            note="Kirim sore",
        )
        assert created
        with shop_scope(ika_shop):
            order = Order.objects.get(pk=order.pk)
            lines = list(order.lines.order_by("position"))
            level = StockLevel.objects.get(variant=variant)
            customer = Customer.objects.get()
        assert order.channel == "manual" and order.ordered_at == yesterday
        assert [(line.name, line.quantity, line.unit_price) for line in lines] == [
            ("Kue Lapis Legit", 2, Decimal(85000)),
            ("Kue Lapis Legit", 1, Decimal(80000)),
            ("Bolu pandan titipan", 3, Decimal(25000)),
        ]
        assert lines[2].product_variant is None and lines[2].stock_location is None
        assert order.subtotal == Decimal(170000 + 80000 + 75000)
        assert order.total == order.subtotal + Decimal(10000)
        assert level.reserved == 3  # the typed-in line takes no stock
        assert order.recipient_phone == "+6281222223333"
        assert order.customer_id == customer.pk and customer.name == "Siti Nurhaliza"
        assert order.note == "Kirim sore"

    def test_a_second_send_returns_the_first_order(self, ika_shop, lapis):
        _product, variant = lapis
        first, created = create(ika_shop, [ManualLine(quantity=1, variant_id=variant.pk)])
        again, created_again = create(ika_shop, [ManualLine(quantity=1, variant_id=variant.pk)])
        assert created and not created_again and again.pk == first.pk
        assert counts(ika_shop)[:3] == (1, 1, [1])

    def test_the_buyer_merges_into_the_customer_who_ordered_from_the_storefront(
        self, ika_shop, lapis
    ):
        _product, variant = lapis
        order_place(
            shop=ika_shop,
            lines=[LineRequest(variant.pk, 1)],
            buyer=Buyer(name="Siti N.", phone="+62 812 2222 3333"),
            idempotency_key="web-1",
            delivery_method="pickup",
            payment_method="qris",
        )
        manual, _ = create(ika_shop, [ManualLine(quantity=1, name="Nastar", unit_price=50000)],
                           buyer=Buyer(name="Siti Nurhaliza", phone="6281222223333"))  # fmt: skip
        with shop_scope(ika_shop):
            assert Customer.objects.filter(merged_into__isnull=True).count() == 1
            assert set(Order.objects.values_list("customer_id", flat=True)) == {manual.customer_id}

    def test_a_shortage_is_refused_and_nothing_is_written(self, ika_shop):
        _p, [cake] = make_product(ika_shop, name="Kue Lapis Legit", stock=5)
        _p, [nastar] = make_product(ika_shop, name="Nastar Keju", stock=1)
        before = counts(ika_shop)
        with pytest.raises(ServiceError, match="Not enough stock of Nastar Keju: 1 left, 2"):
            create(
                ika_shop,
                [ManualLine(quantity=2, variant_id=cake.pk),
                 ManualLine(quantity=2, variant_id=nastar.pk)],
            )  # fmt: skip
        assert counts(ika_shop) == before

    def test_a_variant_of_another_shop_is_refused(self, ika_shop, citra_shop):
        _p, [theirs] = make_product(citra_shop, name="Keripik Citra", stock=5)
        before = counts(ika_shop)
        with pytest.raises(ServiceError, match="not in your catalog"):
            create(ika_shop, [ManualLine(quantity=1, variant_id=theirs.pk)])
        assert counts(ika_shop) == before
        with shop_scope(citra_shop):
            assert StockLevel.objects.get(variant=theirs).reserved == 0

    def test_products_hidden_from_the_online_shop_can_still_be_sold_by_hand(self, ika_shop):
        _p, [hidden] = make_product(ika_shop, name="Pesanan Khusus", stock=2, is_published=False)
        order, _ = create(ika_shop, [ManualLine(quantity=2, variant_id=hidden.pk)])
        assert order.total == Decimal(170000)

    @pytest.mark.parametrize(
        ("lines", "kwargs", "message"),
        [
            ([ManualLine(quantity=0, name="X", unit_price=1)], {}, "between 1 and 999"),
            ([ManualLine(quantity=-3, name="X", unit_price=1)], {}, "between 1 and 999"),
            ([ManualLine(quantity=1000, name="X", unit_price=1)], {}, "between 1 and 999"),
            ([ManualLine(quantity=1, name="X", unit_price=Decimal(-5))], {}, "whole number"),
            ([ManualLine(quantity=1, name="X", unit_price=Decimal("1.5"))], {}, "whole number"),
            ([ManualLine(quantity=1, name="X")], {}, "write the price"),
            ([ManualLine(quantity=1, name="", unit_price=1)], {}, "what was ordered"),
            ([ManualLine(quantity=1, name="x" * 201, unit_price=1)], {}, "at most 200"),
            ([], {}, "at least one product"),
            ([ManualLine(quantity=1, name="X", unit_price=1)] * 51, {}, "at most 50 lines"),
            ([ManualLine(quantity=1, name="X", unit_price=1)], {"note": "n" * 1001}, "1000"),
            (
                [ManualLine(quantity=1, name="X", unit_price=1)],
                {"shipping_fee": Decimal(-1)},
                "shipping fee",
            ),
            (
                [ManualLine(quantity=1, name="X", unit_price=1)],
                {"ordered_at": timezone.now() + dt.timedelta(days=2)},
                "future",
            ),
            (
                [ManualLine(quantity=1, name="X", unit_price=1)],
                {"buyer": Buyer(name="S", phone="0812-2222-3333")},
                "buyer's name",
            ),
            (
                [ManualLine(quantity=1, name="X", unit_price=1)],
                {"buyer": Buyer(name="Siti", phone="62812****3333")},
                "WhatsApp number",
            ),
            (
                [ManualLine(quantity=1, name="X", unit_price=1)],
                {"delivery_method": "drone"},
                "delivery method",
            ),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(self, ika_shop, lines, kwargs, message):
        before = counts(ika_shop)
        with pytest.raises(ServiceError, match=f"(?i){message}"):
            create(ika_shop, lines, **kwargs)
        assert counts(ika_shop) == before

    def test_a_hostile_name_is_kept_as_text(self, ika_shop, ika_client):
        hostile = '<script>alert("x")</script> =HYPERLINK("evil")'
        order, _ = create(
            ika_shop,
            [ManualLine(quantity=1, name=hostile, unit_price=1000)],
            buyer=Buyer(name=hostile, phone="0812-2222-3333"),
        )
        with shop_scope(ika_shop):
            assert Order.objects.get(pk=order.pk).recipient_name == hostile
            assert OrderLine.objects.get(order=order).name == hostile
        body = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body


def form_data(**overrides):
    data = {
        "token": "tok-manual-1",
        "name": "Siti Nurhaliza",
        "whatsapp": "0812 2222 3333",
        "delivery": "pickup",
        "payment": "transfer",
        "ordered_at": "2026-11-30T19:30",
        "note": "",
        "shipping_fee": "",
    }
    data.update(overrides)
    return data


class TestView:
    url = "/pesanan/baru/"

    def test_the_form_opens_with_the_time_now_in_the_shops_zone(self, ika_client, lapis):
        response = ika_client.get(self.url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Kue Lapis Legit" in body and 'name="line-4-variant"' in body
        assert response["Cache-Control"] == "no-store"

    def test_the_seller_saves_an_order_and_finds_it_in_the_book(self, ika_client, ika_shop, lapis):
        _product, variant = lapis
        response = ika_client.post(
            self.url,
            form_data(**{
                "line-0-variant": variant.pk, "line-0-quantity": "2",
                "line-1-name": "Bolu pandan", "line-1-quantity": "1", "line-1-price": "30000",
                "delivery": "courier", "shipping_fee": "12000",
                "province": "32", "city": "32.73",
            }),
        )  # fmt: skip
        assert response.status_code == 302
        with shop_scope(ika_shop):
            order = Order.objects.get()
            assert AuditEvent.objects.filter(action="order.manual_created").count() == 1
        assert response["Location"] == reverse("order_detail", args=[order.pk])
        assert order.total == Decimal(170000 + 30000 + 12000)
        # 19.30 in Jakarta is 12.30 UTC
        assert order.ordered_at == dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.UTC)
        assert order.province == "Jawa Barat" and order.city == "Kota Bandung"
        book = ika_client.get("/pesanan/?channel=manual").content.decode()
        assert order.external_id in book and "channel-manual" in book
        again = ika_client.post(self.url, form_data(**{"line-0-variant": variant.pk,
                                                       "line-0-quantity": "2"}))  # fmt: skip
        assert again["Location"] == reverse("order_detail", args=[order.pk])
        with shop_scope(ika_shop):
            assert Order.objects.count() == 1

    def test_bad_lines_show_indonesian_messages_and_save_nothing(self, ika_client, ika_shop, lapis):
        _product, variant = lapis
        response = ika_client.post(
            self.url,
            form_data(**{"line-0-variant": variant.pk, "line-0-quantity": "-1",
                         "line-1-quantity": "3"}),
        )  # fmt: skip
        body = response.content.decode()
        assert response.status_code == 200
        assert "Pilih produk atau tulis" in body
        with shop_scope(ika_shop):
            assert Order.objects.count() == 0

    def test_a_shortage_is_told_on_the_form(self, ika_client, ika_shop, lapis):
        _product, variant = lapis
        response = ika_client.post(
            self.url, form_data(**{"line-0-variant": variant.pk, "line-0-quantity": "9"})
        )
        assert "Stok Kue Lapis Legit tidak cukup" in response.content.decode()
        with shop_scope(ika_shop):
            assert Order.objects.count() == 0

    def test_more_lines_and_the_next_region_list_place_nothing(self, ika_client, ika_shop):
        response = ika_client.post(self.url, form_data(step="more", rows="5"))
        assert 'name="line-9-variant"' in response.content.decode()
        partial = ika_client.get(self.url + "?partial=regions&province=32")
        assert "Kota Bandung" in partial.content.decode()
        with shop_scope(ika_shop):
            assert Order.objects.count() == 0
