"""A shop that uses every feature, for the browser test that opens every page at 360 px.

Bu Ika's "Dapur Kue Bu Ika" after a few busy weeks: customers with long names and
addresses (merged, tagged, noted, a segment, a duplicate waiting for review), orders from
four marketplaces imported from their exports, storefront orders paid, shipped, done and
cancelled, a product with photos, an open and a closed pre-order batch, an open and a
closed group buy, a campaign being sent and a draft, parcel cards, an import in progress
and a file waiting for its columns. Prices run to millions, so that money has to fit.
Everything is made with the services and the other tests' builders, as a seller would.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from merdeka.core.scoping import shop_scope

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data"
# one export of each marketplace: orders of several channels, with their buyers
EXPORTS = [
    DATA / "marketplaces" / "shopee_english.csv",
    DATA / "marketplaces" / "lazada_orders.csv",
    DATA / "marketplaces" / "tokopedia_laporan_penjualan.xlsx",
    DATA / "marketplaces" / "tiktok_OrderSKUList.xlsx",
    # the marketplaces' income reports: the payouts page (books_settlements)
    DATA / "settlements" / "tiktok_settlement_20250512_20250518.xlsx",
    DATA / "settlements" / "Income.sudah dilepas.id.20250401_20250430.xlsx",
]


def _photo(colour) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (900, 700), colour).save(out, format="JPEG")
    return SimpleUploadedFile("kue.jpg", out.getvalue(), content_type="image/jpeg")


def full_shop(shop, owner) -> dict:
    """Fill ``shop`` (owned by ``owner``) and return the objects whose ids pages need."""
    from merdeka.e2e.tests.conftest import open_storefront

    world: dict = {"shop": shop, "owner": owner}
    world["storefront"] = open_storefront(
        shop,
        courier_enabled=True,
        courier_flat_fee=Decimal(25000),
        cod_enabled=True,
        bank_accounts=[
            {"name": "BCA", "number": "1234567890", "holder": "Ika Rahmawati Kusumawardhani"}
        ],
    )
    _catalog(world)
    _customers(world)
    _imports(world)
    _orders(world)
    _preorders(world)
    _group_buys(world)
    _outreach(world)
    _cards(world)
    _books_and_incidents(world)
    _debts(world)
    from merdeka.receipts.tests.world import receipts_world

    world["receipts"] = receipts_world(shop, world["variants"][0])
    # the customers' numbers and RFM groups, as the nightly work leaves them
    from merdeka.customers import stats

    stats.customer_stats_refresh(shop=shop)
    stats.rfm_refresh(shop=shop)
    return world


def _catalog(world):
    from merdeka.catalog import photo_services
    from merdeka.catalog import services as catalog
    from merdeka.storefront.tests.conftest import make_product

    shop = world["shop"]
    category = catalog.category_save(shop=shop, name="Kue Basah dan Kering Tradisional")
    product, variants = make_product(
        shop,
        name="Kue Lapis Legit Wisman Premium Spesial Lebaran",
        prices=(Decimal(963000), Decimal(1250000)),
        stock=40,
        description="Lapis legit wisman, 20 lapis, mentega Wijsman asli. " * 6,
    )
    with shop_scope(shop):
        type(product).objects.filter(pk=product.pk).update(category=category)
    photos = [
        photo_services.photo_add(shop=shop, product=product, upload=_photo(colour))
        for colour in ((190, 120, 40), (230, 200, 150))
    ]
    location = catalog.location_default(shop=shop)
    catalog.location_save(
        shop=shop,
        name="Gudang Belakang Rumah Jl. Cempaka Putih Raya",
        kind="warehouse",
        is_default=False,
        sells_online=False,
    )
    po_product, po_variants = make_product(
        shop, name="Hampers Kue Kering Lebaran Isi Dua Belas Toples", prices=(Decimal(1475000),)
    )
    world.update(
        product=product,
        variant=variants[0],
        variants=variants,
        photo=photos[0],
        category=category,
        location=location,
        po_product=po_product,
        po_variant=po_variants[0],
    )


def _customers(world):
    from merdeka.customers.models import MatchSuggestion
    from merdeka.customers.resolution import customer_merge
    from merdeka.customers.services import (
        customer_consent_record,
        customer_create,
        customer_note_add,
        customer_tag_add,
        segment_create,
    )

    shop, owner = world["shop"], world["owner"]
    customer = customer_create(
        shop=shop,
        actor=owner,
        name="Ni Made Ayu Lestari Kusumawardhani",
        phone="0812-3456-7801",
        email="ayu.lestari.kusumawardhani@contoh-surel-panjang.co.id",
        address="Perumahan Griya Asri Permai Blok B2 No. 17, RT 002/RW 011, Kel. Sukamaju",
        city="Kabupaten Gianyar",
        province="Bali",
    )
    twin = customer_create(shop=shop, actor=owner, name="Ni Made Ayu Lestari K.", city="Gianyar")
    absorbed = customer_create(shop=shop, actor=owner, name="Ayu Lestari", city="Gianyar")
    for channel in ("whatsapp", "email"):
        customer_consent_record(
            shop=shop, actor=owner, customer=customer, channel=channel, granted=True
        )
    customer_tag_add(shop=shop, actor=owner, customer=customer, name="Pelanggan setia Lebaran")
    customer_note_add(
        shop=shop,
        actor=owner,
        customer=customer,
        body="Suka lapis legit tanpa kismis; kirim lewat JNE YES ke alamat kantornya. " * 3,
    )
    with shop_scope(shop):
        suggestion = MatchSuggestion.objects.create(
            shop=shop, customer_a=customer, customer_b=twin, score=0.91
        )
        merge = customer_merge(shop=shop, survivor=customer, absorbed=absorbed, reason="phone")
    segment = segment_create(
        shop=shop,
        actor=owner,
        name="Pembeli Bali yang belum belanja sejak Lebaran",
        filters={"province": "Bali"},
    )
    world.update(customer=customer, suggestion=suggestion, merge=merge, segment=segment)


def _imports(world):
    from merdeka.imports.models import ImportFile, ImportRun
    from merdeka.imports.pipeline import import_path, run_create, run_finish, upload_path
    from merdeka.imports.runs import run_fail
    from merdeka.privacy.files import seal_stream

    shop, owner = world["shop"], world["owner"]
    run = run_create(shop=shop, actor=owner)
    for path in EXPORTS:
        import_path(shop=shop, run=run, path=path, actor=owner)
    run_finish(run)
    with shop_scope(shop):
        # a spreadsheet of the seller's own, sealed, waiting for its columns to be mapped
        waiting = ImportFile.objects.create(
            shop=shop,
            run=run,
            name="Catatan pelanggan arisan ibu-ibu kompleks Griya Asri 2025.csv",
            sha256="",
            state="mapping",
        )
        # an import still running in the background: its report shows a progress notice
        busy = ImportRun.objects.create(shop=shop, created_by=owner, state="running")
        ImportFile.objects.create(
            shop=shop,
            run=busy,
            name="Order.all.20250401_20250430_pesanan_bulan_april.xlsx",
            sha256="",
            state="running",
        )
        # an import whose worker died: failed by the scheduler, its page says what to do
        failed = ImportRun.objects.create(shop=shop, created_by=owner, state="running")
        ImportFile.objects.create(
            shop=shop,
            run=failed,
            name="Chat WhatsApp dengan Pelanggan Setia Sejak Toko Ini Masih Kecil.zip",
            sha256="",
            state="running",
        )
    run_fail(run=failed, failure=ImportRun.Failure.WORKER_LOST)
    seal_stream(
        iter([b"Nama Pelanggan;Nomor WA;Kota\nSiti Nurhaliza;0812 2222 3333;Bandung\n"]),
        upload_path(waiting),
        shop_id=shop.pk,
        file_id=str(waiting.pk),
    )
    world.update(run=run, waiting_file=waiting, busy_run=busy, failed_run=failed)


def _orders(world):
    from merdeka.orders import lifecycle, notes
    from merdeka.orders.models import Order
    from merdeka.orders.services import Buyer, LineRequest, order_place
    from merdeka.orders.tests.lifecycle_world import order_world

    shop, owner = world["shop"], world["owner"]
    # paid with a proof photo (a wa.me message to the buyer waits), and one unpaid
    world["order_world"] = order_world(world)
    buyer = Buyer(
        name="Ni Made Ayu Lestari Kusumawardhani",
        phone="0812-3456-7801",
        email="ayu.lestari.kusumawardhani@contoh-surel-panjang.co.id",
        street="Perumahan Griya Asri Permai Blok B2 No. 17, RT 002/RW 011",
        city="Kabupaten Gianyar",
        province="Bali",
        postal_code="80571",
    )
    placed = {}
    for key in ("shipped", "done", "cancelled"):
        placed[key], _ = order_place(
            shop=shop,
            lines=[LineRequest(v.pk, 3) for v in world["variants"]],
            buyer=buyer,
            idempotency_key=f"full-shop-{key}",
            delivery_method="courier",
            payment_method="transfer",
            shipping_fee=Decimal(125000),
        )
    for key in ("shipped", "done"):
        order_id = placed[key].pk
        lifecycle.order_payment_record(
            shop=shop, order_id=order_id, method="transfer", reference="BCA 0987654321", actor=owner
        )
        lifecycle.order_ship(
            shop=shop, order_id=order_id, courier="jne", tracking="JP1234567890123", actor=owner
        )
    lifecycle.order_complete(shop=shop, order_id=placed["done"].pk, actor=owner)
    notes.order_note_add(
        shop=shop,
        order_id=placed["done"].pk,
        note="Pembeli minta kartu ucapan Selamat Hari Raya Idul Fitri, mohon maaf lahir batin.",
        actor=owner,
    )
    lifecycle.order_cancel(
        shop=shop, order_id=placed["cancelled"].pk, reason="Pembeli salah alamat", actor=owner
    )
    with shop_scope(shop):
        imported = Order.objects.filter(shop=shop).exclude(channel="storefront").first()
    world.update(
        order=world["order_world"]["order"],
        shipped=placed["shipped"],
        done=placed["done"],
        imported=imported,
    )


def _preorders(world):
    from merdeka.orders.services import Buyer, LineRequest, order_place
    from merdeka.preorders.services import batch_close, batch_open, checkout_policy

    shop, owner, now = world["shop"], world["owner"], timezone.now()
    batches = {}
    # the first wave closed early, the second is open and has a buyer
    for key, closes in (("closed", dt.timedelta(days=2)), ("open", dt.timedelta(days=9))):
        batches[key] = batch_open(
            shop=shop,
            actor=owner,
            product_id=world["po_product"].pk,
            title=f"PO Hampers Lebaran gelombang {'pertama' if key == 'closed' else 'kedua'}",
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + closes,
            ships_on=(now + dt.timedelta(days=20)).date(),
            max_quantity=200,
            note="Dikirim serentak seminggu sebelum Lebaran; ongkir menyusul sesuai kota.",
        )
        if key == "closed":
            batch_close(shop=shop, actor=owner, batch=batches[key])
    order_place(
        shop=shop,
        lines=[LineRequest(world["po_variant"].pk, 4)],
        buyer=Buyer(name="Dewi Anggraini Puspitasari", phone="0857 1234 5678"),
        idempotency_key="full-shop-po",
        delivery_method="pickup",
        payment_method="qris",
        line_policy=checkout_policy(shop=shop),
    )
    world.update(preorder=batches["open"], preorder_closed=batches["closed"])


def _group_buys(world):
    from merdeka.groupbuy import services
    from merdeka.groupbuy.tests.world import groupbuy_world
    from merdeka.orders.services import Buyer

    shop = world["shop"]
    open_one = groupbuy_world(shop, world["variants"][1])
    closed, _ = services.group_open(
        shop=shop,
        offer=open_one["offer"],
        days=2,
        key="full-shop-closed",
        coordinator_name="Bu RT Sri Wahyuningsih",
        coordinator_phone="081377770001",
    )
    for n, quantity in enumerate((12, 3)):
        services.group_join(
            shop=shop,
            group=closed,
            key=f"full-shop-join-{n}",
            join=services.JoinRequest(
                buyer=Buyer(
                    name=f"Anggota Arisan Kompleks Griya Asri {n + 1}", phone=f"08137777100{n}"
                ),
                quantity=quantity,
                delivery_method="pickup",
                payment_method="transfer",
            ),
        )
    services.group_close(shop=shop, group_id=closed.pk, reason="seller")
    closed.refresh_from_db()
    world["groupbuy"] = {**open_one, "closed": closed}


def _outreach(world):
    from merdeka.outreach.tests.world import outreach_world

    outreach_world(world)


def _cards(world):
    from merdeka.cards.services import batch_create

    world["card_batch"] = batch_create(
        shop=world["shop"],
        actor=world["owner"],
        label="Kartu paket Shopee April (kue kering)",
        channel="shopee",
        count=8,
        voucher_code="LEBARAN10",
    )


def _books_and_incidents(world):
    """An expense in the books, and a data-breach incident with its deadline."""
    import datetime as dt

    from django.utils import timezone

    from merdeka.books.accounts import account_add
    from merdeka.books.chart import accounts_by_key
    from merdeka.books.expenses import expense_quick_record
    from merdeka.books.recurring import recurring_expense_create
    from merdeka.privacy.incidents import incident_record
    from merdeka.privacy.models import Incident

    shop, owner = world["shop"], world["owner"]
    accounts = accounts_by_key(shop=shop, keys=["expense:packaging", "expense:rent", "cash"])
    world["expense"] = expense_quick_record(
        shop=shop, key="walk", amount=963_000, category_id=accounts["expense:packaging"],
        paid_from_id=accounts["cash"], actor=owner, note="Kardus dan pita untuk bulan ini",
        receipt=_photo((240, 230, 210)),
    )  # fmt: skip
    # her own words in the chart: a long bank name and a category of her own
    bank = account_add(shop=shop, group="money", name="BCA a.n. Ika Rahmawati Kusumawardhani")
    account_add(shop=shop, group="expense", name="Gas elpiji dan air galon untuk dapur")
    world["recurring"] = recurring_expense_create(
        shop=shop, name="Sewa kios Pasar Kosambi blok C nomor 12", amount=2_750_000,
        category_id=accounts["expense:rent"], paid_from_id=bank.pk, day_of_month=31,
        starts_on=timezone.localdate().replace(day=1), actor=owner,
    )  # fmt: skip
    world["incident"] = incident_record(
        shop=shop,
        actor=owner,
        what_happened="Ponsel toko yang berisi daftar pelanggan hilang di angkot.",
        found_at=timezone.now() - dt.timedelta(hours=5),
        categories=["name", "phone", "address"],
        measures="Kata sandi diganti dan sesi lain dikeluarkan.",
        contact="0812-1111-2222",
        scope=Incident.Scope.ALL,
    )


def _debts(world):
    """What Bu Ika's customers owe her and what she owes: a big receivable 45 days past
    due and part paid (reminded on WhatsApp), one not due yet, a payable to a supplier
    with a long name, and a delivered cash-on-delivery order not paid yet."""
    from merdeka.books import debt_reminders, debts
    from merdeka.books.chart import accounts_by_key
    from merdeka.books.posting import today
    from merdeka.orders import lifecycle
    from merdeka.orders.manual import ManualLine, manual_order_create
    from merdeka.orders.services import Buyer

    shop, owner, customer = world["shop"], world["owner"], world["customer"]
    acc = accounts_by_key(shop=shop, keys=["sales", "other_income", "inventory", "bank"])
    day = today(shop)
    overdue = debts.debt_record(
        shop=shop, kind="receivable", key="walk-overdue", amount=12_750_000,
        counter_account_id=acc["sales"], day=day - dt.timedelta(days=75),
        due_date=day - dt.timedelta(days=45), customer_id=customer.pk, actor=owner,
        note="Hampers Lebaran 25 paket untuk kantor, kartu ucapan nama masing-masing",
    )  # fmt: skip
    debts.debt_payment_record(
        shop=shop, debt_id=overdue.pk, key="walk-part", amount=2_750_000,
        account_id=acc["bank"], actor=owner, note="Transfer BCA termin pertama",
    )  # fmt: skip
    debt_reminders.reminder_send(shop=shop, channel="walink", debt_id=overdue.pk, actor=owner)
    debts.debt_record(
        shop=shop, kind="receivable", key="walk-soon", amount=450_000,
        counter_account_id=acc["other_income"], due_date=day + dt.timedelta(days=9),
        customer_id=customer.pk, actor=owner, note="Sewa loyang",
    )  # fmt: skip
    payable = debts.debt_record(
        shop=shop, kind="payable", key="walk-payable", amount=18_600_000,
        counter_account_id=acc["inventory"], due_date=day + dt.timedelta(days=20),
        creditor="CV Sumber Rejeki Bahan Kue dan Kemasan Nusantara Abadi", actor=owner,
        note="Tepung, mentega Wijsman, dan 500 toples kaca",
    )  # fmt: skip
    order, _ = manual_order_create(
        shop=shop,
        actor=owner,
        buyer=Buyer(name="Ni Made Ayu Lestari Kusumawardhani", phone="0812-3456-7801"),
        lines=[ManualLine(quantity=40, name="Kue Lapis Legit Premium", unit_price=Decimal(185000))],
        shipping_fee=Decimal(0),
        idempotency_key="walk-cod",
        delivery_method="courier",
        payment_method="cod",
    )
    lifecycle.order_ship(
        shop=shop, order_id=order.pk, courier="jne", tracking="JP9876543210", actor=owner
    )
    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=owner)
    world.update(debt=overdue, payable=payable, unpaid_delivered=order)
