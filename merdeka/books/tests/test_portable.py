"""The books travel in ``merdeka export``: restored into an empty shop, the journal is as
it was, the statements are the same, and nothing posts again."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.core.management import call_command

from merdeka.books import services
from merdeka.books.backfill import backfill
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, ClosedMonth, JournalEntry, ProfitDay, Source
from merdeka.books.portable import _key
from merdeka.books.posting import entry_reverse, month_close, month_of, today
from merdeka.books.selectors import balances, report
from merdeka.books.tests.test_profit import profit_days_agree
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.imports.models import ImportFile
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order
from merdeka.orders.services import Buyer

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")
FAR = dt.date(2100, 1, 1)


def manual(shop, actor, key, price, payment="transfer"):
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price))],
        shipping_fee=Decimal(0),
        idempotency_key=key,
        delivery_method="pickup",
        payment_method=payment,
    )
    return order


def shop_with_books(shop, actor):
    """Orders in every state, an expense, a transfer, a reversal, a closed month."""
    acc = accounts_by_key(shop=shop, keys=["cash", "bank", "expense:packaging", "payable"])
    # a seller's own account, renamed chart account
    with shop_scope(shop):
        Account.objects.create(shop=shop, code="6-195", name="Arisan", kind="expense")
        Account.objects.filter(shop=shop, key="cash").update(name="Laci kasir")
    day = today(shop)
    last_month = month_of(day) - dt.timedelta(days=1)
    services.opening_balance_record(
        shop=shop, account_id=acc["payable"], amount=300_000, day=last_month
    )
    services.expense_record(
        shop=shop, key="ex-1", amount=45_000, category_id=acc["expense:packaging"],
        paid_from_id=acc["cash"], actor=actor, note="Kardus", day=last_month,
    )  # fmt: skip
    month_close(shop=shop, month=last_month, actor=actor)
    orders = [manual(shop, actor, f"o{n}", 10_000 * (n + 1)) for n in range(5)]
    for order in orders[:4]:
        lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="transfer", actor=actor)
    for order in orders[:2]:
        lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
    lifecycle.order_cancel(shop=shop, order_id=orders[3].pk, reason="Stok habis", actor=actor)
    # picked up with a third paid: a receivable, belum lunas
    part = manual(shop, actor, "o-part", 90_000)
    lifecycle.order_payment_record(
        shop=shop, order_id=part.pk, method="cash", amount=Decimal(30_000), actor=actor
    )
    lifecycle.order_complete(shop=shop, order_id=part.pk, actor=actor)
    orders.append(part)
    moved = services.transfer_record(
        shop=shop, key="tr-1", amount=20_000, from_id=acc["bank"], to_id=acc["cash"]
    )
    entry_reverse(shop=shop, entry_id=moved.pk, actor=actor)
    # an expense dated in the closed month posts in the open one, saying where it belongs
    services.expense_record(
        shop=shop, key="ex-2", amount=5_000, category_id=acc["expense:packaging"],
        paid_from_id=acc["cash"], actor=actor, day=last_month,
    )  # fmt: skip
    return orders


def statements(shop):
    day = today(shop)
    start = day - dt.timedelta(days=400)
    return {
        "report": report(shop=shop, date_from=start, date_to=day + dt.timedelta(days=40)),
        "month": report(shop=shop, date_from=month_of(day), date_to=day),
        "accounts": [
            (b.account.code, b.account.name, b.account.key, b.debit, b.credit)
            for b in balances(shop=shop, date_to=FAR)
        ],
    }


def journal(shop):
    """The journal as a seller reads it: no ids, orders by their number."""
    with shop_scope(shop):
        return sorted(
            (
                e.date,
                e.source,
                e.memo,
                e.belongs_to,
                e.order.external_id if e.order else None,
                e.reverses.memo if e.reverses else None,
                e.created_by_id,
                sorted((line.account.code, line.debit, line.credit) for line in e.lines.all()),
            )
            for e in JournalEntry.objects.select_related("order", "reverses")
        )


def profit(shop):
    with shop_scope(shop):
        return sorted(
            ProfitDay.objects.filter(shop=shop).values_list(
                "date", "channel", "product_id", "name", "sales", "cost", "units",
                "units_without_cost", "sales_without_cost",
            )
        )  # fmt: skip


def test_an_export_restored_into_an_empty_shop_brings_the_books_as_they_were(
    ika, ika_shop, tmp_path
):
    orders = shop_with_books(ika_shop, ika)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["journal_entries"] > 10

    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    assert statements(fresh) == statements(ika_shop)
    assert journal(fresh) == journal(ika_shop)
    assert profit(fresh) == profit(ika_shop)  # the gross-profit days rebuilt
    profit_days_agree(fresh)
    with shop_scope(fresh):
        assert ClosedMonth.objects.filter(shop=fresh).count() == 1
        restored = {o.external_id: o for o in Order.objects.filter(shop=fresh)}
    assert backfill(shop=fresh) == 0  # nothing posts again

    # the same lifecycle event on both shops posts the same: the restored order's
    # entries are found by their order and keys
    paid = restored[orders[2].external_id]
    for shop, order_id in ((ika_shop, orders[2].pk), (fresh, paid.pk)):
        lifecycle.order_complete(shop=shop, order_id=order_id, actor=ika)
    assert statements(fresh) == statements(ika_shop)
    assert backfill(shop=fresh) == 0
    with shop_scope(fresh):
        assert JournalEntry.objects.filter(order=paid, source=Source.ORDER).count() == 2
    # the part-paid order came back belum lunas; the rest paid on both posts the same
    part = restored[orders[-1].external_id]
    assert part.paid_at is None and part.status == "completed"
    for shop, order_id in ((ika_shop, orders[-1].pk), (fresh, part.pk)):
        outcome = lifecycle.order_payment_record(
            shop=shop, order_id=order_id, method="transfer", actor=ika
        )
        assert outcome.left == 0
    assert statements(fresh) == statements(ika_shop)


def test_a_shop_that_has_data_refuses_an_export_with_books(ika, ika_shop, tmp_path):
    shop_with_books(ika_shop, ika)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    other = core_services.shop_create(name="Toko Lain", owner=ika, slug="toko-lain")
    manual(other, ika, "own", 99_000)
    before = journal(other)
    try:
        call_command("import", str(out), "--shop", other.slug, "--json")
    except SystemExit as exc:
        assert exc.code == 1
    with shop_scope(other):
        record = ImportFile.objects.filter(shop=other).latest("pk")
        assert Order.objects.filter(shop=other).count() == 1  # nothing written
    assert record.state == ImportFile.State.REJECTED
    [problem] = record.report["problems"]
    assert "toko baru yang masih kosong" in problem["message"]  # says what to do instead
    assert journal(other) == before


def test_restoring_the_same_export_again_posts_nothing(ika, ika_shop, tmp_path):
    shop_with_books(ika_shop, ika)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    first = journal(fresh)
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    assert journal(fresh) == first


def test_keys_of_rows_the_export_does_not_carry_cannot_meet_a_new_rows_key():
    # a debt, its payment or a stock move is not in the export: a restored shop's own new
    # debt may get the same id, and must post its entry rather than find the old one
    assert _key("debt:5", {}) == "restored:debt:5"
    assert _key("debt_payment:7", {}) == "restored:debt_payment:7"
    assert _key("stock:9", {}) == "restored:stock:9"
    assert _key("order:3:1", {"order": {3: 40}}) == "order:40:1"
    assert _key("expense:abc", {}) == "expense:abc"
