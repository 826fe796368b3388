from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.preorders.tests.conftest import open_batch
from merdeka.privacy.audit import action_label, audit_record
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.tests.conftest import make_product


def test_it_records_who_what_which_shop_when_and_from_where(ika_client, ika, ika_shop):
    customer = customer_create(shop=ika_shop, name="Yang Dilihat")
    ika_client.get(
        reverse("customer_detail", args=[customer.pk]),
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 10)",
    )
    with shop_scope(ika_shop):
        event = AuditEvent.objects.get(action="customer.viewed")
    assert event.actor == ika and event.actor_username == "ika"
    assert event.shop_id == ika_shop.pk
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.ip_address == "203.0.113.9"
    assert "Android" in event.user_agent
    assert event.created_at is not None
    # no personal data in the log itself
    assert "Yang Dilihat" not in str(event.detail)


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(ika, ika_shop):
    event = audit_record(action="auth.login", shop=ika_shop, actor=ika)
    event.action = "auth.logout"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with shop_scope(ika_shop):
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_database_refuses_to_rewrite_audit_rows(ika, ika_shop):
    event = audit_record(action="auth.login", shop=ika_shop, actor=ika)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE privacy_auditevent SET action = 'hapus-jejak' WHERE id = %s", [event.pk]
        )
    with shop_scope(ika_shop):
        assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


def test_owners_read_the_audit_log_in_their_shops_time_zone(ika_client, ika_shop):
    ika_shop.time_zone = "Asia/Jayapura"
    ika_shop.save()
    customer_create(shop=ika_shop, name="X")
    page = ika_client.get(reverse("audit_log")).content.decode()
    assert "WIT" in page
    assert "Toko dibuat" in page  # the shop.created event, in Indonesian


def test_the_audit_log_shows_only_the_shops_own_events(ika_client, citra, citra_shop):
    audit_record(action="staff.added", shop=citra_shop, actor=citra, detail={"marker": "x"})
    page = ika_client.get(reverse("audit_log")).content.decode()
    assert "citra" not in page


def test_the_audit_log_names_what_was_touched_in_words_with_a_link(ika, ika_client, ika_shop):
    from decimal import Decimal

    from merdeka.orders.manual import ManualLine, manual_order_create
    from merdeka.orders.services import Buyer

    order, _ = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name="Sari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=1, name="Bolu", unit_price=Decimal(40000))],
        idempotency_key="audit-1",
        delivery_method="pickup",
        payment_method="transfer",
    )
    audit_record(action="order.viewed", shop=ika_shop, actor=ika, target=order)
    customer = customer_create(shop=ika_shop, name="Rina")
    page = ika_client.get(reverse("audit_log")).content.decode()
    assert "orders.order" not in page and "customers.customer" not in page
    order_link = reverse("order_detail", args=[order.pk])
    assert f'<a href="{order_link}">Pesanan #{order.external_id}</a>' in page
    assert f'<a href="{reverse("customer_detail", args=[customer.pk])}">Pelanggan</a>' in page


def test_every_action_the_code_records_has_words_for_the_log():
    """The log says "PO dibuka", never the code word "preorder.opened": every action
    written anywhere (``action="app.what"``) has a label, wherever it is registered."""
    root = Path(__file__).resolve().parents[2]
    written = {
        action
        for path in root.rglob("*.py")
        if "tests" not in path.relative_to(root).parts
        for action in re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text("utf-8"))
    }
    assert {"books.expense_recorded", "preorder.opened", "order.viewed"} <= written
    unnamed = sorted(action for action in written if action_label(action) == action)
    assert not unnamed, unnamed


def test_a_pre_order_is_named_once_in_the_log(ika_client, ika_shop):
    product, _variants = make_product(ika_shop, name="Bolu Pandan", stock=0)
    batch = open_batch(ika_shop, product)  # "PO Lebaran", recorded as preorder.opened
    page = ika_client.get(reverse("audit_log")).content.decode()
    assert "preorder.opened" not in page and "PO dibuka" in page
    link = reverse("preorder_detail", args=[batch.pk])
    assert f'<a href="{link}">PO Lebaran</a>' in page  # not "PO: PO Lebaran"
