"""The seller's actions on an order: transitions, payment, shipping, completing, cancelling,
the stock that follows them and the history they leave."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from merdeka.catalog.models import StockLevel, StockMove
from merdeka.catalog.selectors import stock_held_for_orders
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import buyer_notices, lifecycle, notes
from merdeka.orders.models import Order, OrderEvent, Payment, Shipment, Status
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.privacy.models import AuditEvent

SITI = Buyer(
    name="Siti Nurhaliza",
    phone="0812-2222-3333",
    email="siti@example.id",
    street="Jl. Melati No. 7",
    city="Kota Bandung",
    province="Jawa Barat",
)


def place(shop, variant, quantity=2, key="k-1", **kwargs):
    order, _created = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, quantity)],
        buyer=kwargs.pop("buyer", SITI),
        idempotency_key=key,
        delivery_method=kwargs.pop("delivery_method", "courier"),
        payment_method=kwargs.pop("payment_method", "qris"),
        shipping_fee=kwargs.pop("shipping_fee", Decimal(15000)),
        **kwargs,
    )
    return order


def level(shop, variant) -> tuple[int, int]:
    with shop_scope(shop):
        stock = StockLevel.objects.get(variant=variant)
        return stock.on_hand, stock.reserved


def fresh(shop, order) -> Order:
    with shop_scope(shop):
        return Order.objects.get(pk=order.pk)


def history(shop, order) -> list[tuple[str, str, str]]:
    with shop_scope(shop):
        return list(
            OrderEvent.objects.filter(order=order)
            .order_by("at", "id")
            .values_list("kind", "from_status", "to_status")
        )


def imported(shop, channel="shopee", status="paid", **fields) -> Order:
    with shop_scope(shop):
        return Order.objects.create(
            shop=shop,
            channel=channel,
            external_id=f"{channel}-1",
            status=status,
            ordered_at=timezone.now(),
            total=Decimal(50000),
            **fields,
        )


# -- the workflow -------------------------------------------------------------------


def test_a_storefront_order_goes_from_payment_to_shipped_to_completed(ika_shop, ika, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    assert level(ika_shop, variant) == (5, 2)

    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="qris", reference="QR-889", actor=ika
    )
    paid = fresh(ika_shop, order)
    assert paid.status == Status.PAID and paid.paid_at is not None
    with shop_scope(ika_shop):
        payment = Payment.objects.get(order=order)
    assert payment.amount == Decimal(185000) and payment.reference == "QR-889"
    assert payment.recorded_by == ika and payment.customer_id == order.customer_id

    lifecycle.order_status_set(shop=ika_shop, order_id=order.pk, to="processing", actor=ika)
    lifecycle.order_ship(
        shop=ika_shop, order_id=order.pk, courier="jne", tracking="jp 1234567890", actor=ika
    )
    assert fresh(ika_shop, order).status == Status.SHIPPED
    # the two reserved units left the shelf: both counts went down
    assert level(ika_shop, variant) == (3, 0)
    with shop_scope(ika_shop):
        shipment = Shipment.objects.get(order=order)
        assert (shipment.courier, shipment.tracking_number) == ("jne", "JP 1234567890")
        sent = StockMove.objects.get(order=order, reason="order_sent")
        assert (sent.on_hand_change, sent.reserved_change) == (-2, -2)

    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    assert fresh(ika_shop, order).status == Status.COMPLETED
    assert level(ika_shop, variant) == (3, 0)  # nothing shipped twice
    assert history(ika_shop, order) == [
        ("payment", "awaiting_payment", "paid"),
        ("status", "paid", "processing"),
        ("shipped", "processing", "shipped"),
        ("completed", "shipped", "completed"),
    ]
    actions = set(
        AuditEvent.unscoped.filter(shop=ika_shop, target_id=str(order.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "order.payment_recorded",
        "order.status_changed",
        "order.shipped",
        "order.completed",
    } <= actions


@pytest.mark.parametrize(
    ("status", "to", "words"),
    [
        ("awaiting_payment", "shipped", "Catat pembayarannya dulu"),
        ("awaiting_payment", "completed", "tidak bisa menjadi selesai"),
        ("paid", "completed", "Kirim pesanannya dulu"),
        ("shipped", "cancelled", "sudah dikirim tidak bisa dibatalkan"),
        ("completed", "cancelled", "tidak bisa berubah lagi"),
        ("cancelled", "paid", "tidak bisa berubah lagi"),
        ("shipped", "processing", "tidak bisa menjadi"),
        ("paid", "paid", "sudah dibayar"),
    ],
)
def test_a_move_the_workflow_does_not_allow_is_refused_in_indonesian(ika_shop, status, to, words):
    order = imported(ika_shop, channel="storefront", status=status)
    problem = lifecycle.transition_problem(order, to)
    assert problem is not None and words in problem


def test_cash_on_delivery_ships_unpaid_and_the_payment_comes_after(ika_shop, ika, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, payment_method="cod", delivery_method="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="sicepat", tracking="00123456")
    assert fresh(ika_shop, order).status == Status.SHIPPED
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cod", actor=ika)
    shipped = fresh(ika_shop, order)
    assert shipped.status == Status.SHIPPED and shipped.paid_at is not None
    with pytest.raises(ServiceError, match="sudah dicatat"):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cod")


def test_a_picked_up_order_completes_without_shipping_and_its_stock_leaves(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, delivery_method="pickup", shipping_fee=Decimal(0))
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash")
    assert level(ika_shop, variant) == (5, 2)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk)
    assert fresh(ika_shop, order).status == Status.COMPLETED
    assert level(ika_shop, variant) == (3, 0)


def test_marketplace_and_imported_orders_keep_their_sources_status_but_take_notes(ika_shop, ika):
    order = imported(ika_shop, channel="shopee", status="paid")
    for action in (
        lambda: lifecycle.order_ship(
            shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP12345"
        ),
        lambda: lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="x"),
        lambda: lifecycle.order_complete(shop=ika_shop, order_id=order.pk),
        lambda: lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris"),
    ):
        with pytest.raises(ServiceError, match="Shopee"):
            action()
    assert fresh(ika_shop, order).status == "paid"
    assert lifecycle.next_statuses(order) == []
    notes.order_note_add(
        shop=ika_shop, order_id=order.pk, note="Pembeli minta bubble wrap", actor=ika
    )
    with shop_scope(ika_shop):
        note = OrderEvent.objects.get(order=order)
    assert note.kind == "note" and note.note == "Pembeli minta bubble wrap" and note.actor == ika
    # a WhatsApp order that came in through an import follows its file too
    from merdeka.imports.models import ImportFile, ImportRun

    with shop_scope(ika_shop):
        run = ImportRun.objects.create(shop=ika_shop)
        source = ImportFile.objects.create(shop=ika_shop, run=run, name="wa.txt", sha256="")
    from_file = imported(ika_shop, channel="whatsapp", status="new", import_file=source)
    assert not lifecycle.seller_manages(from_file)
    assert lifecycle.seller_manages(imported(ika_shop, channel="manual", status="new"))


def test_the_note_is_encrypted_at_rest(ika_shop, lapis):
    from django.db import connection

    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Bu Siti pindah rumah")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM orders_orderevent")
        [(stored,)] = cursor.fetchall()
    assert "Siti" not in stored


# -- payments --------------------------------------------------------------------------


def test_a_payment_needs_a_sensible_amount_and_method(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    with pytest.raises(ServiceError, match="Pilih cara"):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="bitcoin")
    with pytest.raises(ServiceError, match="rupiah bulat"):
        lifecycle.order_payment_record(
            shop=ika_shop, order_id=order.pk, method="qris", amount=Decimal("100.50")
        )
    with pytest.raises(ServiceError):
        lifecycle.order_payment_record(
            shop=ika_shop, order_id=order.pk, method="qris", amount=Decimal(0)
        )
    assert fresh(ika_shop, order).status == "awaiting_payment"
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="transfer", amount=Decimal(180000)
    )
    with shop_scope(ika_shop):
        assert Payment.objects.get(order=order).amount == Decimal(180000)


# -- cancelling ------------------------------------------------------------------------


def test_cancelling_gives_the_reserved_stock_back_exactly_once(ika_shop, ika, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, quantity=3)
    assert level(ika_shop, variant) == (5, 3)
    lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Stok rusak", actor=ika)
    assert level(ika_shop, variant) == (5, 0)
    assert fresh(ika_shop, order).status == Status.CANCELLED
    with pytest.raises(ServiceError, match="dibatalkan"):
        lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="lagi")
    assert level(ika_shop, variant) == (5, 0)
    with shop_scope(ika_shop):
        assert StockMove.objects.filter(order=order, reason="order_cancelled").count() == 1
        event = OrderEvent.objects.get(order=order)
    assert event.kind == "cancelled" and event.note == "Stok rusak"
    assert event.detail["stock_released"] == 3
    assert stock_held_for_orders(shop=ika_shop, order_ids=[order.pk]) == {}


def test_a_paid_order_can_be_cancelled_and_says_the_money_must_go_back(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Pembeli minta batal")
    assert level(ika_shop, variant) == (5, 0)
    _subject, body = buyer_notices.buyer_message(
        fresh(ika_shop, order), "cancelled", reason="Pembeli minta batal"
    )
    assert "mengembalikan pembayaran" in body and "Pembeli minta batal" in body


def test_a_shipped_order_cannot_be_cancelled_and_its_stock_stays_shipped(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jnt", tracking="JT0001234")
    with pytest.raises(ServiceError, match="sudah dikirim"):
        lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="telat")
    assert level(ika_shop, variant) == (3, 0)


def test_a_cancel_reason_is_needed(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    with pytest.raises(ServiceError, match="alasan"):
        lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="   ")
    assert level(ika_shop, variant) == (5, 2)


def test_a_shipment_needs_a_courier_and_a_real_tracking_number(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    with pytest.raises(ServiceError, match="kurir"):
        lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="dhl", tracking="X1234")
    with pytest.raises(ServiceError, match="resi"):
        lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="")
    with pytest.raises(ServiceError, match="4 sampai 40"):
        lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="<script>")
    assert fresh(ika_shop, order).status == "paid" and level(ika_shop, variant) == (5, 2)
    # a shop's own courier or an instant courier may have no tracking number
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="gosend", tracking="")
    assert fresh(ika_shop, order).status == "shipped"
