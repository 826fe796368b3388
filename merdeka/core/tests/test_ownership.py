"""The runtime guard of one owner per state change: a write to an order's status or to
stock from anywhere but its owner fails the test that made it, however it is written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from merdeka.catalog.models import StockLevel, StockMove
from merdeka.catalog.services import location_default, stock_adjust
from merdeka.core.ownership import ORDER_STATUS, STOCK, OwnershipError, owning, violation
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.models import Order, Status
from merdeka.storefront.tests.conftest import make_product


def an_order(shop) -> Order:
    with shop_scope(shop):
        return Order.objects.create(
            shop=shop,
            channel="manual",
            external_id="TK-GUARD001",
            status=Status.AWAITING_PAYMENT,  # born with a status: not a change of it
            ordered_at=timezone.now(),
            total=Decimal(10000),
        )


def test_the_guard_watches_the_test_suite():
    from django.conf import settings

    assert settings.OWNERSHIP_GUARD


def test_an_orm_update_of_an_order_status_outside_the_lifecycle_fails(ika_shop):
    order = an_order(ika_shop)
    with (
        shop_scope(ika_shop),
        pytest.raises(OwnershipError, match=r"order\.status"),
        transaction.atomic(),
    ):
        Order.objects.filter(pk=order.pk).update(status=Status.CANCELLED)


def test_a_save_of_a_whole_order_outside_the_lifecycle_fails(ika_shop):
    order = an_order(ika_shop)
    order.note = "diantar sore"
    with shop_scope(ika_shop), pytest.raises(OwnershipError), transaction.atomic():
        order.save()  # writes every column, status among them
    with shop_scope(ika_shop):
        order.save(update_fields=["note"])  # the note alone is fine


def test_raw_sql_on_an_order_status_fails_too(ika_shop):
    order = an_order(ika_shop)
    with connection.cursor() as cursor, pytest.raises(OwnershipError):
        cursor.execute(
            'UPDATE "orders_order" SET "updated_at" = %s, "status" = %s WHERE "id" = %s',
            [timezone.now(), "paid", order.pk],
        )


def test_the_lifecycle_may_change_a_status(ika_shop, ika):
    order = an_order(ika_shop)
    lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Salah input", actor=ika)
    with shop_scope(ika_shop):
        assert Order.objects.get(pk=order.pk).status == Status.CANCELLED


def test_stock_rows_written_outside_the_stock_service_fail(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Nastar", stock=0)
    location = location_default(shop=ika_shop)
    stock_adjust(shop=ika_shop, variant=variant, location=location, on_hand=5)  # the owner
    with shop_scope(ika_shop):
        with pytest.raises(OwnershipError, match="stock"), transaction.atomic():
            StockLevel.objects.filter(variant=variant).update(on_hand=50)
        with pytest.raises(OwnershipError), transaction.atomic():
            StockMove.objects.create(
                shop=ika_shop, variant=variant, location=location, reason="adjustment",
                on_hand_change=45, on_hand_after=50, reserved_after=0,
            )  # fmt: skip
        assert StockLevel.objects.get(variant=variant).on_hand == 5


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ('UPDATE "orders_order" SET "status" = %s WHERE "id" = %s', ORDER_STATUS),
        ('UPDATE "orders_order" SET "note" = %s, "status" = %s WHERE "id" = %s', ORDER_STATUS),
        ('UPDATE "orders_order" SET "note" = %s WHERE "status" = %s', None),
        ('UPDATE "orders_order" SET "status_raw" = %s WHERE "id" = %s', None),
        ('INSERT INTO "orders_order" ("status") VALUES (%s)', None),
        ('INSERT INTO "catalog_stocklevel" ("on_hand") VALUES (%s)', STOCK),
        ('DELETE FROM "catalog_stockmove" WHERE "id" = %s', STOCK),
        ('SELECT * FROM "catalog_stocklevel"', None),
    ],
)
def test_the_guard_reads_what_a_statement_writes(sql, found):
    assert violation(sql) == found
    with owning(ORDER_STATUS, STOCK):
        assert violation(sql) is None
