"""The orders of a file as the writer writes them (``writer.prepare_orders``): the rows
the read-ahead worker makes and sends, or the writer itself when the worker cannot."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, transaction

from merdeka.core.scoping import shop_scope
from merdeka.customers.resolution import Resolver
from merdeka.imports import records, writer
from merdeka.orders.models import Order, OrderLine

WHEN = datetime(2026, 5, 1, 6, 0, 7, 250, tzinfo=UTC)
PAID = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def order(external_id, *, status="completed", total=None, paid_at=None, lines=None, **buyer):
    return records.Order(
        channel="shopee",
        external_id=external_id,
        status=status,
        status_raw=status.title(),
        ordered_at=WHEN,
        paid_at=paid_at,
        total=total,
        shipping_fee=Decimal("9000.50"),
        buyer=records.Buyer(
            username=buyer.get("username", f"user{external_id}"),
            phone=buyer.get("phone"),
            name=buyer.get("name", "Siti Nurhaliza"),
        ),
        address=records.Address(
            recipient=buyer.get("name", "Siti Nurhaliza"),
            street="Jl. Melati 3",
            city="Kota Bandung",
            province="Jawa Barat",
            postal_code="40111",
        ),
        lines=lines
        if lines is not None
        else [
            records.OrderLine(name="Kue Nastar", quantity=2, unit_price=Decimal("45000")),
            records.OrderLine(
                name="Kastengel", quantity=1, unit_price=Decimal("60000"), total=Decimal("55000")
            ),
        ],
    )


def write(shop, orders):
    with shop_scope(shop), transaction.atomic():
        return writer.write_orders(
            shop=shop, orders=orders, resolver=Resolver(shop=shop, source="shopee")
        )


def stored(shop):
    """The orders and lines written, decrypted, without ids or anything random."""
    with shop_scope(shop):
        orders = sorted(
            (o.external_id, o.channel, o.status, o.status_raw, o.ordered_at, o.paid_at,
             o.total, o.shipping_fee, o.discount, o.buyer_username, o.recipient_name,
             o.street, o.city, o.province, o.postal_code, o.customer.name,
             o.key_version)
            for o in Order.objects.select_related("customer")
        )  # fmt: skip
        lines = sorted(
            (line.order.external_id, line.position, line.name, line.quantity,
             line.unit_price, line.total)
            for line in OrderLine.objects.select_related("order")
        )  # fmt: skip
    return orders, lines


def test_a_prepared_file_travels_as_plain_values_and_comes_back_equal(ika_shop):
    batch = writer.prepare_orders(
        shop_id=ika_shop.pk,
        orders=[order("A1", paid_at=PAID), order("A2", total=Decimal("150000"), phone="0812")],
    )
    again = pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == batch and again is not batch
    assert again.buyers[0].indexed and again.buyers[0].keys  # prepared for resolution
    plain = (str, int, type(None))
    if connection.vendor != "sqlite":  # psycopg takes these objects themselves
        plain += (Decimal, datetime)
    for row in [*again.rows, *again.lines]:
        assert all(isinstance(value, plain) for value in row), row
    assert len(again) == 2 and again.order_keys() == [("shopee", "A1"), ("shopee", "A2")]


def test_what_the_worker_prepares_is_written_as_what_the_writer_prepares(ika_shop, citra_shop):
    orders = [
        order("A1", paid_at=PAID),
        order("A2", total=Decimal("150000"), phone="081234567890"),
        order("A3", lines=[]),
    ]
    counts = write(citra_shop, orders)  # the writer prepares them itself
    batch = writer.prepare_orders(shop_id=ika_shop.pk, orders=orders)
    ahead = write(ika_shop, pickle.loads(pickle.dumps(batch)))
    assert ahead == counts
    assert (counts.orders_new, counts.lines_new) == (3, 4)
    assert stored(ika_shop) == stored(citra_shop)
    found, lines = stored(ika_shop)
    first = found[0]
    assert first[4:9] == (WHEN, PAID, Decimal("145000"), Decimal("9000.50"), None)
    assert first[9:13] == ("userA1", "Siti Nurhaliza", "Jl. Melati 3", "Kota Bandung")
    assert found[1][6] == Decimal("150000")  # the total the export gives
    assert lines[:2] == [
        ("A1", 0, "Kue Nastar", 2, Decimal("45000"), Decimal("90000")),
        ("A1", 1, "Kastengel", 1, Decimal("60000"), Decimal("55000")),
    ]


def test_the_first_of_an_order_twice_in_one_file_counts(ika_shop):
    first = order("A1", status="completed")
    second = order("A1", status="cancelled", lines=[first.lines[0]])
    batch = writer.prepare_orders(shop_id=ika_shop.pk, orders=[first, order("A2"), second])
    assert batch.order_keys() == [("shopee", "A1"), ("shopee", "A2")]
    counts = write(ika_shop, batch)
    assert (counts.orders_new, counts.orders_unchanged, counts.lines_new) == (2, 0, 4)
    with shop_scope(ika_shop):
        a1 = Order.objects.get(external_id="A1")
        assert a1.status == "completed" and a1.lines.count() == 2


def test_a_file_of_known_orders_adds_nothing_and_syncs_what_changed(ika_shop):
    write(ika_shop, [order("A1"), order("A2"), order("A3", total=Decimal("90000"))])
    again = [
        order("A1"),  # as it was
        order("A2", status="cancelled", paid_at=PAID),  # cancelled since
        order("A3", total=Decimal("90000.00")),  # the same total, written otherwise
    ]
    counts = write(ika_shop, writer.prepare_orders(shop_id=ika_shop.pk, orders=again))
    assert (counts.orders_new, counts.orders_updated, counts.orders_unchanged) == (0, 1, 2)
    assert counts.lines_new == 0
    with shop_scope(ika_shop):
        a2 = Order.objects.get(external_id="A2")
        assert (a2.status, a2.paid_at) == ("cancelled", PAID)
        assert Order.objects.count() == 3 and OrderLine.objects.count() == 6


def test_a_buyer_travels_flat_and_comes_back_equal_prepared_or_not(ika_shop):
    from merdeka.customers.resolution import BuyerInput, Keys, phone_claim, username_claim

    phone = phone_claim("0812 3456 7890")
    buyer = BuyerInput(
        [username_claim("SitiNur", "shopee"), phone, None, phone],  # the number twice
        name="Siti",
        city="Kota Bandung",
        seen_at=WHEN,
        phone_hint="812|7890",
    )
    assert pickle.loads(pickle.dumps(buyer)) == buyer  # not prepared yet
    Keys(ika_shop.pk).prepare(buyer)
    again = pickle.loads(pickle.dumps(buyer, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == buyer and len(again.indexed) == 2 and again.keys
    assert again.claims[1] is again.claims[3] is again.indexed[1][0]
    assert type(again.indexed[0][0]) is type(phone) and again.indexed[1][0].kind == "phone"
