from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from merdeka.books.models import MarketplaceSettlement
from merdeka.core.models import Membership
from merdeka.core.scoping import shop_scope
from merdeka.core.tests.crossshop import PUBLIC, ROUTES, named_patterns
from merdeka.customers.models import Customer, MatchSuggestion
from merdeka.customers.resolution import customer_merge
from merdeka.customers.services import customer_create
from merdeka.imports.models import ColumnMapping, ImportFile, ImportRun
from merdeka.imports.pipeline import upload_path
from merdeka.orders.models import Order
from merdeka.privacy.files import seal_stream
from merdeka.privacy.models import AuditEvent

CANARIES = ["Dapur Kue Bu Ika", "Kanari Rahasia Ika", "Rina Wulandari", "rina", "Rahasia Ika.xlsx"]


@pytest.fixture
def world(ika_shop, rina, in_shop, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"  # this test's own sealed uploads
    customer = customer_create(
        shop=ika_shop, name="Kanari Rahasia Ika", phone="+6281377778888", city="Kota Rahasia"
    )
    twin = customer_create(shop=ika_shop, name="Kanari Rahasia Ika", city="Kota Rahasia")
    third = customer_create(shop=ika_shop, name="Kanari Rahasia Ika B", city="Kota Rahasia")
    with in_shop(ika_shop):
        membership = Membership.objects.get(user=rina)
        suggestion = MatchSuggestion.objects.create(
            shop=ika_shop, customer_a=customer, customer_b=twin, score=0.95
        )
        merge = customer_merge(shop=ika_shop, survivor=customer, absorbed=third, reason="phone")
        run = ImportRun.objects.create(shop=ika_shop)
        ImportFile.objects.create(shop=ika_shop, run=run, name="Rahasia Ika.xlsx", sha256="")
        # a spreadsheet waiting, sealed, for its columns to be mapped
        waiting = ImportFile.objects.create(
            shop=ika_shop, run=run, name="Kanari Rahasia Ika.csv", sha256="", state="mapping"
        )
        column_mapping = ColumnMapping.objects.create(
            shop=ika_shop, signature="kanari", kind="contacts", channel="", columns={}
        )
        order = Order.objects.create(
            shop=ika_shop,
            channel="shopee",
            external_id="KANARI-ORDER-1",
            customer=customer,
            ordered_at=timezone.now(),
            total=125000,
            recipient_name="Kanari Rahasia Ika",
        )
        # a marketplace's report row (the payouts page)
        MarketplaceSettlement.objects.create(
            shop=ika_shop,
            marketplace="shopee",
            kind="adjustment",
            reference="KANARI-1",
            order_number="KANARI-ORDER-1",
            date=timezone.localdate(),
            released=1000,
            note="Kanari Rahasia Ika",
        )
        seal_stream(
            iter([b"Nomor;Tanggal;Kanari Rahasia Ika\nN-1;2025-01-01;Kanari Rahasia Ika\n"]),
            upload_path(waiting),
            shop_id=ika_shop.pk,
            file_id=str(waiting.pk),
        )
    catalog = catalog_world(ika_shop)
    return {
        **catalog,
        "shop": ika_shop,
        "customer": customer,
        "membership": membership,
        "suggestion": suggestion,
        "merge": merge,
        "run": run,
        "waiting_file": waiting,
        "order": order,
        "column_mapping": column_mapping,
    }


def catalog_world(shop) -> dict:
    """A product (its name is a canary), its variant with stock, a photo, a storefront."""
    from merdeka.catalog.models import ProductPhoto
    from merdeka.storefront.services import storefront_ensure
    from merdeka.storefront.tests.conftest import make_product

    storefront_ensure(shop=shop)
    product, [variant] = make_product(shop, name="Kanari Rahasia Ika", stock=7)
    with shop_scope(shop):
        photo = ProductPhoto.objects.create(
            shop=shop, product=product, key="f" * 32, width=640, height=640, widths=[320]
        )
        location = variant.stock_levels.get().location
    preorder = preorder_world(shop, product, variant)
    return {
        "product": product,
        "variant": variant,
        "photo": photo,
        "location": location,
        "preorder": preorder,
    }


def preorder_world(shop, product, variant):
    """An open pre-order batch with one buyer's order in it (the buyer is a canary)."""
    import datetime as dt

    from merdeka.orders.services import Buyer, LineRequest, order_place
    from merdeka.preorders.services import batch_open, checkout_policy

    now = timezone.now()
    batch = batch_open(
        shop=shop,
        actor=None,
        product_id=product.pk,
        title="Kanari Rahasia Ika PO",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=3),
        max_quantity=20,
    )
    order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, 2)],
        buyer=Buyer(name="Rina Wulandari", phone="0812-9999-0001"),
        idempotency_key="kanari-po",
        delivery_method="pickup",
        payment_method="qris",
        line_policy=checkout_policy(shop=shop),
    )
    return batch


def snapshot(shop, in_shop):
    from merdeka.catalog.models import Product, ProductPhoto, StockLevel, StockMove
    from merdeka.preorders.models import PreorderBatch, PreorderEntry
    from merdeka.storefront.models import StorefrontSettings

    with in_shop(shop):
        return (
            *_snapshot_core(shop, in_shop),
            sorted(Product.objects.values_list("name", "is_published")),
            sorted(StockLevel.objects.values_list("on_hand", "reserved")),
            StockMove.objects.count(),
            ProductPhoto.objects.count(),
            sorted(StorefrontSettings.objects.values_list("slug", "qris_payload")),
            sorted(PreorderBatch.objects.values_list("state", "reserved", "title")),
            PreorderEntry.objects.count(),
            *_snapshot_incidents(),
            *_snapshot_books(),
            *_snapshot_receipts(),
            *_snapshot_tax(),
        )


def _snapshot_receipts():
    """Receipts (their state, store and total), their items, prices and mappings, the
    suppliers, their orders and what arrived."""
    from merdeka.receipts.models import ItemMapping, PricePoint, Receipt, ReceiptItem
    from merdeka.suppliers.models import GoodsReceived, PurchaseOrder, PurchaseOrderLine, Supplier

    return (
        sorted(Receipt.objects.values_list("status", "store", "total")),
        sorted(ReceiptItem.objects.values_list("name", "total")),
        PricePoint.objects.count(),
        ItemMapping.objects.count(),
        Supplier.objects.count(),
        sorted(PurchaseOrder.objects.values_list("status", "bill_id")),
        sorted(PurchaseOrderLine.objects.values_list("received", flat=True)),
        GoodsReceived.objects.count(),
    )


def _snapshot_books():
    """The journal, the debts and the expenses: entries, debts (and their cancelling),
    payments, reminders, receipts, accounts and monthly expenses."""
    from merdeka.books.models import (
        Account,
        Debt,
        DebtPayment,
        DebtReminder,
        ExpenseReceipt,
        JournalEntry,
        RecurringExpense,
    )

    return (
        JournalEntry.objects.count(),
        sorted(str(v) for v in Debt.objects.values_list("voided_at", flat=True)),
        DebtPayment.objects.count(),
        DebtReminder.objects.count(),
        ExpenseReceipt.objects.count(),
        sorted(Account.objects.values_list("name", "is_active")),
        sorted(RecurringExpense.objects.values_list("name", "is_active")),
    )


def _snapshot_tax():
    """The business profile, its documents and the PPh Final paid."""
    from merdeka.tax.models import BusinessDocument, BusinessProfile, TaxPayment

    return (
        sorted(BusinessProfile.objects.values_list("legal_form", "business_name")),
        sorted(BusinessDocument.objects.values_list("kind", flat=True)),
        TaxPayment.objects.count(),
    )


def _snapshot_incidents():
    from merdeka.privacy.models import Incident, IncidentCustomer

    return (
        sorted(
            (str(a), str(b))
            for a, b in Incident.objects.values_list(
                "customers_notified_at", "authority_notified_at"
            )
        ),
        IncidentCustomer.objects.count(),
    )


def _snapshot_core(shop, in_shop):
    with in_shop(shop):
        return (
            Customer.objects.count(),
            sorted(Membership.objects.values_list("user_id", "role")),
            AuditEvent.objects.count(),
            Customer.objects.values_list("city", flat=True).first(),
            sorted(MatchSuggestion.objects.values_list("state", flat=True)),
            sorted(Customer.objects.values_list("merged_into", flat=True), key=str),
            sorted(ImportFile.objects.values_list("state", flat=True)),
            ColumnMapping.objects.count(),
            sorted(Order.objects.values_list("status", "customer_id")),
            *_snapshot_orders(),
        )


def _snapshot_orders():
    """The seller's actions on orders: history, payments, parcels, messages to buyers."""
    from merdeka.orders.models import OrderEvent, Payment, Shipment

    return (
        OrderEvent.objects.count(),
        Payment.objects.count(),
        Shipment.objects.count(),
        sorted(str(paid) for paid in Order.objects.values_list("paid_at", flat=True)),
        sorted(str(s) for s in OrderEvent.objects.values_list("delivery__status", flat=True)),
    )


def test_every_url_is_in_the_cross_shop_walk():
    patterns = named_patterns()
    missing = sorted(set(patterns) - set(ROUTES) - PUBLIC)
    assert not missing, (
        f"URLs without a cross-shop test: {missing}. Register them in "
        "merdeka/core/tests/crossshop.py ROUTES (or PUBLIC if they hold no shop data)."
    )
    stale = sorted((set(ROUTES) | PUBLIC) - set(patterns))
    assert not stale, f"ROUTES names URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_another_shops_owner_never_gets_its_data(name, world, client, citra, citra_shop, in_shop):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world))
    data = route.post(world) if route.post is not None else None  # may add to the world
    before = snapshot(world["shop"], in_shop)
    methods = ["get"] + (["post"] if route.post is not None else [])
    for method in methods:
        client.force_login(citra)
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode(errors="replace")  # a zip download is bytes
        if route.own_shop:
            assert response.status_code in (200, 302, 400, 405), (method, response.status_code)
        else:
            assert response.status_code in (403, 404, 405), (method, response.status_code)
        for canary in CANARIES:
            assert canary not in body, (method, canary)
        for header, value in response.items():
            assert "Ika" not in value, (header, value)
    assert snapshot(world["shop"], in_shop) == before


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_visitor_who_is_not_signed_in_gets_nothing(name, world, client, in_shop):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world))
    data = route.post(world) if route.post is not None else None  # may add to the world
    before = snapshot(world["shop"], in_shop)
    response = client.get(url)
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
    if route.post is not None:
        response = client.post(url, data)
        assert response.status_code in (302, 403, 405)
    for canary in CANARIES:
        assert canary not in response.content.decode()
    assert snapshot(world["shop"], in_shop) == before


@pytest.mark.parametrize(
    "name",
    [
        "staff",
        "staff_remove",
        "staff_role",
        "staff_password_reset",
        "audit_log",
        "security",
        "keys_rotate",
        "incident_list",
        "incident_new",
        "incident_detail",
        "incident_send",
        "incident_download",
        "incident_authority_notice",
        "incident_mark",
        "books_recurring",
        "books_recurring_stop",
        "books_accounts",
        "books_account_change",
    ],
)
def test_staff_cannot_use_owner_pages(name, world, client, rina, in_shop):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world))
    before = snapshot(world["shop"], in_shop)
    client.force_login(rina)
    assert client.get(url).status_code in (403, 405)
    if route.post is not None:
        assert client.post(url, route.post(world)).status_code == 403
    assert snapshot(world["shop"], in_shop)[:2] == before[:2]


def test_the_walk_would_see_a_leak_of_the_waiting_spreadsheet(world, client, ika):
    """The sealed file in the walk really shows its canary to its own shop's owner."""
    client.force_login(ika)
    url = reverse(
        "import_mapping",
        kwargs={"run_id": world["run"].pk, "file_id": world["waiting_file"].pk},
    )
    assert "Kanari Rahasia Ika" in client.get(url).content.decode()
