from __future__ import annotations

from decimal import Decimal

import pytest

from merdeka.catalog.models import StockLevel, StockMove
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer, Identity
from merdeka.orders.models import Order, OrderLine
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.privacy.consent import consent_allows
from merdeka.privacy.models import ConsentEvent
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.usefixtures("english")

SITI = Buyer(
    name="Siti Nurhaliza",
    phone="0812-2222-3333",
    street="Jl. Melati No. 7 RT 02/RW 05",
    village="Maleber",
    district="Andir",
    city="Kota Bandung",
    province="Jawa Barat",
    postal_code="40184",
)


def place(shop, lines, buyer=SITI, key="key-1", **kwargs):
    return order_place(
        shop=shop,
        lines=lines,
        buyer=buyer,
        idempotency_key=key,
        delivery_method=kwargs.pop("delivery_method", "courier"),
        payment_method=kwargs.pop("payment_method", "qris"),
        shipping_fee=kwargs.pop("shipping_fee", Decimal(15000)),
        **kwargs,
    )


def test_it_places_an_order_reserves_stock_and_makes_the_buyer_a_customer(ika_shop, lapis):
    _product, variant = lapis
    order, created = place(ika_shop, [LineRequest(variant.pk, 2)], note="Tanpa kismis ya")
    assert created
    with shop_scope(ika_shop):
        order = Order.objects.get(pk=order.pk)
        assert order.channel == "storefront" and order.status == "awaiting_payment"
        assert order.subtotal == Decimal(170000) and order.total == Decimal(185000)
        assert order.recipient_phone == "+6281222223333" and order.note == "Tanpa kismis ya"
        assert order.external_id.startswith("TK-") and len(order.public_token) >= 24
        [line] = OrderLine.objects.filter(order=order)
        assert (line.product_variant_id, line.quantity, line.total) == (variant.pk, 2, 170000)
        assert line.name == "Kue Lapis Legit" and line.stock_location_id is not None
        level = StockLevel.objects.get(variant=variant)
        assert (level.on_hand, level.reserved) == (5, 2)
        move = StockMove.objects.filter(reason="order").get()
        assert move.order_id == order.pk and move.reserved_change == 2
        customer = Customer.objects.get()
        assert order.customer_id == customer.pk
        assert customer.name == "Siti Nurhaliza" and customer.city == "Kota Bandung"
        assert Identity.objects.get().source == "storefront"
    # nothing ticked: no marketing consent
    assert not consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")


def test_a_retry_with_the_same_key_returns_the_first_order_and_reserves_nothing_more(
    ika_shop, lapis
):
    _product, variant = lapis
    first, created = place(ika_shop, [LineRequest(variant.pk, 1)])
    again, created_again = place(ika_shop, [LineRequest(variant.pk, 1)])
    assert created and not created_again and again.pk == first.pk
    with shop_scope(ika_shop):
        assert Order.objects.count() == 1
        assert StockLevel.objects.get(variant=variant).reserved == 1


def test_a_shortfall_on_any_line_writes_nothing_and_names_the_product(ika_shop, lapis):
    _product, variant = lapis
    _other, [bolu] = make_product(ika_shop, name="Bolu Pandan", stock=1)
    with pytest.raises(ServiceError, match="Only 1 of Bolu Pandan left"):
        place(ika_shop, [LineRequest(variant.pk, 2), LineRequest(bolu.pk, 3)])
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
        assert Customer.objects.count() == 0
        assert StockLevel.objects.get(variant=variant).reserved == 0
        assert not StockMove.objects.filter(reason="order").exists()


def test_a_sold_out_product_says_so(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Nastar", stock=0)
    with pytest.raises(ServiceError, match="Nastar is sold out"):
        place(ika_shop, [LineRequest(variant.pk, 1)])


def test_a_product_without_counted_stock_can_always_be_ordered(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kue Pesanan", stock=None)
    order, _ = place(ika_shop, [LineRequest(variant.pk, 40)])
    with shop_scope(ika_shop):
        assert OrderLine.objects.get(order=order).stock_location_id is None


def test_ticked_boxes_become_consent_per_channel_with_checkout_as_source(ika_shop, lapis):
    _product, variant = lapis
    buyer = Buyer(name="Dewi", phone="081233334444", email="dewi@example.id",
                  marketing=frozenset({"whatsapp"}))  # fmt: skip
    order, _ = place(ika_shop, [LineRequest(variant.pk, 1)], buyer=buyer, delivery_method="pickup")
    with shop_scope(ika_shop):
        customer = Customer.objects.get()
        event = ConsentEvent.objects.get()
    assert (event.channel, event.granted, event.source) == ("whatsapp", True, "checkout")
    assert event.evidence["order"] == order.external_id
    assert consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    assert not consent_allows(shop=ika_shop, customer=customer, channel="email")


def test_a_returning_buyer_is_the_same_customer(ika_shop, lapis):
    _product, variant = lapis
    place(ika_shop, [LineRequest(variant.pk, 1)], key="a")
    place(ika_shop, [LineRequest(variant.pk, 1)],
          buyer=Buyer(name="Siti N.", phone="+62 812 2222 3333"), key="b")  # fmt: skip
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 1
        assert (
            Order.objects.filter(customer__isnull=False).values("customer").distinct().count() == 1
        )


def test_another_shops_variant_cannot_be_ordered(ika_shop, citra_shop):
    _product, [citra_variant] = make_product(citra_shop, name="Keripik Citra", stock=9)
    with pytest.raises(ServiceError, match="no longer sold"):
        place(ika_shop, [LineRequest(citra_variant.pk, 1)])
    with shop_scope(citra_shop):
        assert StockLevel.objects.get(variant=citra_variant).reserved == 0


@pytest.mark.parametrize(
    ("_case", "lines", "phone", "message"),
    [
        ("empty_cart", [], "081222223333", "cart is empty"),
        ("zero_quantity", [LineRequest(1, 0)], "081222223333", "between 1 and 999"),
        ("masked_phone", [LineRequest(1, 1)], "0812****3333", "WhatsApp number"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(ika_shop, _case, lines, phone, message):
    with pytest.raises(ServiceError, match=message):
        place(ika_shop, lines, buyer=Buyer(name="X", phone=phone))
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper()
        in {"INSERT", "UPDATE", "DELETE", "BEGIN", "SAVEPOINT"}
    ]


# The statements of a placement for a new buyer, locked so that they do not creep back
# (23 before the early stock check, the key version pinned for the order and the
# one-statement reservation): the key lookup and the variants with their stock, raw
# and outside the write transaction; then in it the identity lookup, the customer's id
# (three statements on SQLite, one on PostgreSQL), the active key version once, the
# customer, identity, list row and match keys (each one INSERT: COPY only for more
# than a few rows), the order, the reservation, its stock move and the lines; and the
# savepoint with its release inside the test's own transaction.
# (two of them keep the segments page's RFM group counts: a check and an appended delta;
# one writes the outbox row of ``order.placed`` for the buyer's figures)
PLACEMENT_QUERIES = {"sqlite": 21, "postgresql": 19}
BUDI = Buyer(name="Budi Santoso", phone="0813-4444-5555", city="Kota Bandung")


def test_a_placement_for_a_new_buyer_keeps_to_its_queries(ika_shop, lapis):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _product, variant = lapis
    place(ika_shop, [LineRequest(variant.pk, 1)], key="warm-up")  # the shop's keys exist
    with CaptureQueriesContext(connection) as queries:
        order, created = place(ika_shop, [LineRequest(variant.pk, 1)], buyer=BUDI, key="key-2")
    assert created
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= PLACEMENT_QUERIES[connection.vendor], "\n".join(sql)
    assert sum('"privacy_shopkey"' in q for q in sql) <= 1
    assert sum(q.lstrip().upper().startswith("UPDATE") and "stocklevel" in q for q in sql) == 1
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).reserved == 2
        assert StockMove.objects.get(order=order).reserved_after == 2


def test_a_retry_of_a_placed_order_is_one_query(ika_shop, lapis, django_assert_num_queries):
    _product, variant = lapis
    first, _ = place(ika_shop, [LineRequest(variant.pk, 1)])
    with django_assert_num_queries(1):
        again, created = place(ika_shop, [LineRequest(variant.pk, 1)])
    assert again.pk == first.pk and not created


def test_a_buyer_arriving_after_the_last_unit_is_refused_without_a_write(ika_shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _product, [variant] = make_product(ika_shop, name="Nastar", stock=1)
    place(ika_shop, [LineRequest(variant.pk, 1)], key="first")
    late = Buyer(name="Budi", phone="0813-1111-2222")
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ServiceError, match="Nastar is sold out"),
    ):
        place(ika_shop, [LineRequest(variant.pk, 1)], buyer=late, key="late")
    assert _writes(queries.captured_queries) == []
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 1  # only the first buyer became a customer


def test_more_than_is_left_is_refused_with_what_is_left(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kastengel", stock=3)
    with pytest.raises(ServiceError, match="Only 3 of Kastengel left"):
        place(ika_shop, [LineRequest(variant.pk, 4)])


def test_stock_over_two_locations_is_taken_from_one_that_has_the_whole_line(ika_shop):
    """Home (the default) first, then a location with enough; a line no single
    location can give is refused by the reservation itself, as before."""
    from merdeka.catalog import services as catalog
    from merdeka.catalog.models import StockLocation

    _product, [variant] = make_product(ika_shop, name="Putri Salju", stock=3)
    with shop_scope(ika_shop):
        toko = StockLocation.objects.create(shop=ika_shop, name="Toko", sells_online=True)
        gudang = StockLocation.objects.create(shop=ika_shop, name="Gudang", sells_online=False)
    catalog.stock_adjust(shop=ika_shop, variant=variant, location=toko, on_hand=2)
    catalog.stock_adjust(shop=ika_shop, variant=variant, location=gudang, on_hand=50)
    with pytest.raises(ServiceError, match="Only 5 of Putri Salju left"):
        place(ika_shop, [LineRequest(variant.pk, 4)])
    ani = Buyer(name="Ani", phone="0813-5555-6666")
    first, _ = place(ika_shop, [LineRequest(variant.pk, 2)], key="one")
    second, _ = place(ika_shop, [LineRequest(variant.pk, 2)], buyer=ani, key="two")
    with pytest.raises(ServiceError, match="Only 1 of Putri Salju left"):
        place(ika_shop, [LineRequest(variant.pk, 2)], buyer=ani, key="three")
    with shop_scope(ika_shop):
        home = StockLevel.objects.get(variant=variant, location__is_default=True)
        shop_level = StockLevel.objects.get(variant=variant, location=toko)
        assert (home.reserved, shop_level.reserved) == (2, 2)
        assert OrderLine.objects.get(order=first).stock_location_id == home.location_id
        assert OrderLine.objects.get(order=second).stock_location_id == toko.pk
        assert StockLevel.objects.get(variant=variant, location=gudang).reserved == 0
