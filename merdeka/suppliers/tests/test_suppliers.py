"""Suppliers: sealed contacts, purchase orders sent on WhatsApp or as PDF, goods received
in parts into stock at cost, and the bill as a payable paid from an account."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from django.urls import reverse

from merdeka.books import debts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Debt, DebtKind, JournalLine
from merdeka.books.posting import today
from merdeka.catalog.models import StockCost
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.receipts import prices
from merdeka.storefront.tests.conftest import make_product
from merdeka.suppliers import services
from merdeka.suppliers.models import PurchaseOrder, Supplier


@pytest.fixture
def tepung(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Tepung Terigu", stock=0)
    return variant


@pytest.fixture
def toko_bahan(ika_shop):
    return services.supplier_add(
        shop=ika_shop, name="Toko Bahan Kue Sinar", phone="0812-1111-2222", note="tepung, gula"
    )


def order(shop, supplier, variant, qty=10, price=12_000, key="po-1"):
    return services.po_create(
        shop=shop,
        supplier_id=supplier.pk,
        key=key,
        lines=[services.LineInput(variant_id=variant.pk, quantity=qty, unit_price=price)],
    )


def test_a_suppliers_name_and_number_are_sealed_and_found_by_blind_index(ika_shop, toko_bahan):
    raw = Supplier.unscoped.filter(pk=toko_bahan.pk).values_list("name", "phone").get()
    assert "Sinar" not in str(raw[0].token) and "812" not in str(raw[1].token)
    assert services.supplier_find(shop=ika_shop, name="toko bahan  KUE sinar") == toko_bahan
    with pytest.raises(ServiceError, match="Sudah ada"):
        services.supplier_add(shop=ika_shop, name="TOKO BAHAN KUE SINAR")
    with pytest.raises(ServiceError):
        services.supplier_add(shop=ika_shop, name="Lain", phone="+62 812 1111 2222")
    with pytest.raises(ServiceError):
        services.supplier_add(shop=ika_shop, name="Lain", phone="bukan nomor")


def test_an_order_received_in_two_parts_moves_stock_and_average_cost(
    ika_shop, ika, toko_bahan, tepung
):
    po = order(ika_shop, toko_bahan, tepung, qty=10, price=12_000)
    [line] = services.po_lines(shop=ika_shop, order=po)
    services.po_receive(shop=ika_shop, order_id=po.pk, key="a", quantities={line.pk: 4})
    with shop_scope(ika_shop):
        assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrder.Status.PARTLY
    with pytest.raises(ServiceError):  # only 6 are still to come
        services.po_receive(shop=ika_shop, order_id=po.pk, key="b", quantities={line.pk: 7})
    services.po_receive(shop=ika_shop, order_id=po.pk, key="b", quantities={line.pk: 6})
    services.po_receive(shop=ika_shop, order_id=po.pk, key="b", quantities={line.pk: 6})  # twice
    with shop_scope(ika_shop):
        assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrder.Status.RECEIVED
        cost = StockCost.objects.get(shop=ika_shop, variant=tepung)
    assert (cost.quantity, cost.value) == (10, 120_000)
    _label, points = prices.item_history(shop=ika_shop, item_key=f"v{tepung.pk}")
    assert [p.place for p in points] == ["Toko Bahan Kue Sinar"] * 2  # unsealed on reading


def test_the_bill_is_a_payable_paid_from_an_account_without_counting_the_goods_twice(
    ika_shop, ika, toko_bahan, tepung
):
    acc = accounts_by_key(shop=ika_shop, keys=["payable", "inventory", "cash"])
    po = order(ika_shop, toko_bahan, tepung, qty=10, price=12_000)
    [line] = services.po_lines(shop=ika_shop, order=po)
    services.po_receive(shop=ika_shop, order_id=po.pk, key="a", quantities={line.pk: 10})
    due = today(ika_shop) + dt.timedelta(days=14)
    bill = services.po_bill(shop=ika_shop, order_id=po.pk, due_date=due, actor=ika)
    assert services.po_bill(shop=ika_shop, order_id=po.pk, due_date=due) == bill  # once
    assert bill.kind == DebtKind.PAYABLE and bill.amount == 120_000 and bill.due_date == due

    def balance(account):
        with shop_scope(ika_shop):
            lines = JournalLine.objects.filter(shop=ika_shop, account_id=account)
            return sum(x.credit - x.debit for x in lines)

    assert balance(acc["payable"]) == 120_000  # once, from the goods
    assert balance(acc["inventory"]) == -120_000
    owed = debts.owed_list(shop=ika_shop, kind=DebtKind.PAYABLE)
    assert [(o.left) for o in owed] == [120_000]
    debts.debt_payment_record(
        shop=ika_shop, debt_id=bill.pk, key="pay", amount=120_000, account_id=acc["cash"]
    )
    assert balance(acc["payable"]) == 0
    assert balance(acc["cash"]) == 120_000


def test_goods_paid_on_arrival_leave_no_bill(ika_shop, toko_bahan, tepung):
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    po = order(ika_shop, toko_bahan, tepung)
    [line] = services.po_lines(shop=ika_shop, order=po)
    services.po_receive(
        shop=ika_shop, order_id=po.pk, key="a", quantities={line.pk: 10}, paid_from=cash
    )
    with pytest.raises(ServiceError):
        services.po_bill(shop=ika_shop, order_id=po.pk, due_date=today(ika_shop))
    with shop_scope(ika_shop):
        assert not Debt.objects.filter(shop=ika_shop).exists()


def test_a_bad_order_writes_nothing(ika_shop, toko_bahan, tepung, citra_shop):
    _p, [foreign] = make_product(citra_shop, name="Milik Citra", stock=0)
    for lines in (
        [],
        [services.LineInput(variant_id=foreign.pk, quantity=1, unit_price=1)],
        [services.LineInput(variant_id=tepung.pk, quantity=-1, unit_price=1)],
    ):
        with pytest.raises(ServiceError):
            services.po_create(shop=ika_shop, supplier_id=toko_bahan.pk, key="x", lines=lines)
    assert not PurchaseOrder.unscoped.exists()


def test_the_order_goes_to_whatsapp_and_as_a_pdf(ika_shop, ika_client, toko_bahan, tepung):
    po = order(ika_shop, toko_bahan, tepung, qty=3, price=12_500)
    page = ika_client.get(reverse("po_detail", args=[po.pk]))
    assert "wa.me" in page.headers["Content-Security-Policy"]
    sent = ika_client.post(reverse("po_whatsapp", args=[po.pk]))
    assert sent.status_code == 302 and sent.url.startswith("https://wa.me/6281211112222?text=")
    text = unquote(sent.url)
    assert "Tepung Terigu: 3 x Rp12.500 = Rp37.500" in text and "Total: Rp37.500" in text
    with shop_scope(ika_shop):
        assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseOrder.Status.SENT
    pdf = ika_client.get(reverse("po_pdf", args=[po.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_receiving_and_billing_through_the_pages(ika_shop, ika_client, toko_bahan, tepung):
    po = order(ika_shop, toko_bahan, tepung, qty=5, price=10_000)
    [line] = services.po_lines(shop=ika_shop, order=po)
    ika_client.post(reverse("po_receive", args=[po.pk]), {"key": "k1", f"qty-{line.pk}": "2"})
    ika_client.post(reverse("po_receive", args=[po.pk]), {"key": "k2", f"qty-{line.pk}": "3"})
    due = (today(ika_shop) + dt.timedelta(days=7)).isoformat()
    billed = ika_client.post(reverse("po_bill", args=[po.pk]), {"due_date": due})
    with shop_scope(ika_shop):
        po = PurchaseOrder.objects.get(pk=po.pk)
    assert po.status == PurchaseOrder.Status.RECEIVED and po.bill.amount == 50_000
    assert billed.url == reverse("debt_detail", args=[po.bill_id])
    assert ika_client.get(billed.url).status_code == 200
