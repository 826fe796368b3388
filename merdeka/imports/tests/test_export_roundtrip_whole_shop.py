"""A seller who leaves takes everything: a shop that uses every feature is exported,
restored into an empty shop in a fresh data directory, exported again, and the two
exports are the same apart from ids (and the random names of public links)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from PIL import Image

from merdeka.books.chain import chain_check
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import JournalEntry, ProfitDay
from merdeka.books.tests.test_portable import shop_with_books
from merdeka.cards.services import batch_create, signup_submit
from merdeka.catalog import photos as photos_store
from merdeka.catalog import services as catalog
from merdeka.catalog.models import ProductPhoto, StockLevel, StockMove
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Tag
from merdeka.customers.services import customer_note_add, customer_tag_add, segment_create
from merdeka.groupbuy import services as groupbuy
from merdeka.groupbuy.models import GroupBuy
from merdeka.groupbuy.tests.conftest import join
from merdeka.groupbuy.tests.world import TIERS
from merdeka.imports.tests.test_export_roundtrip import seed
from merdeka.orders import lifecycle, notes
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.outreach.services.campaigns import campaign_prepare, campaign_save, campaign_send
from merdeka.outreach.services.cloudapi import template_save
from merdeka.preorders.tests.conftest import buy, open_batch
from merdeka.privacy.consent import consent_record
from merdeka.storefront.models import ShippingRate, StorefrontSettings
from merdeka.storefront.tests.conftest import (  # noqa: F401 - fixtures
    _fresh_page_cache,
    make_product,
    qris_static,
    storefront,
)

JSON_FILES = ("books.json", "catalog.json", "storefront.json", "outreach.json")
JSONL_FILES = (
    "customers.jsonl",
    "segments.jsonl",
    "orders.jsonl",
    "journal.jsonl",
    "products.jsonl",
    "stock_moves.jsonl",
    "preorders.jsonl",
    "group_offers.jsonl",
    "group_buys.jsonl",
    "card_batches.jsonl",
    "signups.jsonl",
    "campaigns.jsonl",
    "deliveries.jsonl",
    "order_history.jsonl",
)


def photo_upload(colour: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("kue.png", buffer.getvalue(), content_type="image/png")


def every_feature(shop, owner):
    """Customers with tags, notes and consents; the books; a catalog in two places with
    photos, purchases, an opening value, a count and a low-stock alert; storefront
    orders; a pre-order; a group buy; cards and a sign-up; a campaign sent."""
    seed(shop)
    shop_with_books(shop, owner)
    with shop_scope(shop):
        siti = next(c for c in Customer.objects.all() if c.name == "Siti Nurhaliza")
    customer_tag_add(shop=shop, actor=owner, customer=siti, name="langganan")
    customer_note_add(shop=shop, actor=owner, customer=siti, body="Suka yang manis")
    consent_record(shop=shop, customer=siti, channel="whatsapp", granted=True, source="staff")
    with shop_scope(shop):
        tag = Tag.objects.get(name="langganan")
    segment_create(shop=shop, actor=owner, name="Langganan", filters={"tag": str(tag.pk)}, query="")

    kue = catalog.category_save(shop=shop, name="Kue Kering")
    nastar = catalog.product_save(
        shop=shop,
        name="Nastar Wisman",
        description="Nastar nanas asli",
        category_id=kue.pk,
        is_published=True,
        variants=[
            catalog.VariantInput(None, "250 gr", "", "NST-250", Decimal(65000), 300),
            catalog.VariantInput(None, "500 gr", "Keju", "NST-500", Decimal(120000), 550),
        ],
        photos=[photo_upload("orange"), photo_upload("yellow")],
    )
    home = catalog.location_default(shop=shop)
    gudang = catalog.location_save(
        shop=shop, name="Gudang Cimahi", kind="warehouse", is_default=False, sells_online=False
    )
    with shop_scope(shop):
        small, big = list(nastar.variants.order_by("pk"))
    catalog.stock_adjust(shop=shop, variant=small, location=home, on_hand=12)
    catalog.stock_opening_value(shop=shop, variant=small, unit_cost=30_000, actor=owner)
    cash = accounts_by_key(shop=shop, keys=["cash"])["cash"]
    catalog.stock_purchase(
        shop=shop, variant=big, location=home, quantity=10, unit_cost=70_000,
        paid_from=cash, key="buy-1", actor=owner,
    )  # fmt: skip
    catalog.stock_purchase(
        shop=shop, variant=big, location=gudang, quantity=4, unit_cost=72_000, actor=owner
    )
    catalog.stock_count(shop=shop, location=gudang, counts={big.pk: 3}, note="Opname")
    catalog.stock_adjust(shop=shop, variant=small, location=home, change=-9)  # low: an alert

    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(big.pk, 2), LineRequest(small.pk, 1)],
        buyer=Buyer(name="Rahmawati", phone="0813-5555-6666"),
        idempotency_key="web-1",
        delivery_method="pickup",
        payment_method="qris",
    )
    lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="qris", actor=owner)
    notes.order_note_add(shop=shop, order_id=order.pk, note="Titip di pos satpam", actor=owner)
    lifecycle.order_ship(
        shop=shop, order_id=order.pk, courier="jne", tracking="JP1234567890", actor=owner
    )
    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=owner)
    order_place(
        shop=shop,
        lines=[LineRequest(big.pk, 1)],
        buyer=Buyer(name="Dewi Anggraini", phone="0813-7777-8888"),
        idempotency_key="web-2",
        delivery_method="pickup",
        payment_method="transfer",
    )  # waits for payment: its stock stays reserved
    with shop_scope(shop):
        ShippingRate.objects.create(shop=shop, province_code="32", fee=Decimal(15000))
        ShippingRate.objects.create(shop=shop, province_code="32", city_code="3273", fee=9000)

    cake, [bolu] = make_product(shop, name="Bolu Pandan", stock=0)
    batch = open_batch(shop, cake, max_quantity=30, price=Decimal(95000))
    buy(shop, bolu, 2, key="po-1")

    _lapis, [lapis] = make_product(shop, name="Kue Lapis Legit", stock=40)
    offer = groupbuy.offer_save(shop=shop, actor=owner, variant=lapis, tiers=TIERS, max_days=7)
    group, _ = groupbuy.group_open(
        shop=shop, offer=offer, days=3, key="open-1",
        coordinator_name="Sari Dewi Lestari", coordinator_phone="0812 1111 2222",
    )  # fmt: skip
    join(shop, group, "Lina", "0812 3333 4444", 4)
    join(shop, group, "Maya", "0812 5555 6666", 7)

    cards = batch_create(
        shop=shop, actor=owner, label="Paket Desember", channel="shopee", count=100
    )
    signup_submit(batch=cards, name="Tika", phone="0812 9999 0000", consent_whatsapp=True)

    template_save(
        shop=shop, actor=owner, name="promo_lebaran", language="id", category="MARKETING",
        body="Halo {{1}}, ada promo",
    )  # fmt: skip
    campaign = campaign_save(
        shop=shop,
        actor=owner,
        fields={"name": "Promo Lebaran", "channel": "walink", "body": "Halo {nama}, promo!"},
    )
    campaign_send(shop=shop, campaign=campaign, actor=owner)
    campaign_prepare(shop=shop, campaign_id=campaign.pk)
    return batch


def gross_profit(shop):
    """The gross-profit days, a product by its name (and whether it is the catalog's)."""
    with shop_scope(shop):
        return sorted(
            (*row[:2], row[2] is not None, *row[3:])
            for row in ProfitDay.objects.filter(shop=shop).values_list(
                "date", "channel", "product_id", "name", "sales", "cost", "units",
                "units_without_cost", "sales_without_cost",
            )
        )  # fmt: skip


def normalised(folder: Path) -> dict:
    """An export as data with its ids (and random link names) taken out: an id becomes
    its row's place in its file, a key's numbers a #, a photo its content's hash."""
    data = {name: json.loads((folder / name).read_text()) for name in JSON_FILES}
    for name in JSONL_FILES:
        data[name] = [json.loads(line) for line in (folder / name).open()]
    place: dict[str, dict] = {}

    def number(kind, rows, key="id"):
        place[kind] = {row[key]: n for n, row in enumerate(rows)}

    number("customer", data["customers.jsonl"])
    number("product", data["products.jsonl"])
    number("variant", [v for p in data["products.jsonl"] for v in p["variants"]])
    number("category", data["catalog.json"]["categories"])
    number("location", data["catalog.json"]["locations"])
    number("offer", data["group_offers.jsonl"])
    number("card_batch", data["card_batches.jsonl"])
    number("template", data["outreach.json"]["templates"])
    number("campaign", data["campaigns.jsonl"])
    number("delivery", data["deliveries.jsonl"])
    number("entry", data["journal.jsonl"])
    accounts = {a["id"]: a["code"] for a in data["books.json"]["accounts"]}

    def at(kind, value):
        return None if value is None else place[kind].get(value, "?")

    for row in data["customers.jsonl"]:
        row.pop("id")
    for row in data["orders.jsonl"]:
        row["customer_id"] = at("customer", row["customer_id"])
    for row in data["journal.jsonl"]:
        row["id"], row["reverses"] = at("entry", row["id"]), at("entry", row["reverses"])
        row["key"] = re.sub(r"\d+", "#", row["key"])
        row["order"] = row["order"][1:] if row["order"] else None
        row["lines"] = [[accounts[a], d, c] for a, d, c in row["lines"]]
    books = data["books.json"]
    books.pop("chain")  # links made anew on restore (checked by chain_check)
    for account in books["accounts"]:
        account.pop("id")
    for row in data["catalog.json"]["categories"] + data["catalog.json"]["locations"]:
        row.pop("id")
    for product in data["products.jsonl"]:
        product["id"], product["category"] = None, at("category", product["category"])
        for v in product["variants"]:
            v["id"] = None
            v["levels"] = [[at("location", loc), *rest] for loc, *rest in v["levels"]]
        for photo in product["photos"]:
            photo.pop("key")
            photo["files"] = {
                w: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                for w, name in photo["files"].items()
            }
    for row in data["stock_moves.jsonl"]:
        row["id"] = None
        row["variant"], row["location"] = (
            at("variant", row["variant"]),
            at("location", row["location"]),
        )
    for row in data["preorders.jsonl"]:
        row["product"], row["token"] = at("product", row["product"]), None
        row["variants"] = [at("variant", v) for v in row["variants"]]
        for entry in row["entries"]:
            entry["variant"] = at("variant", entry["variant"])
    for row in data["group_offers.jsonl"]:
        row["id"], row["variant"] = None, at("variant", row["variant"])
    for row in data["group_buys.jsonl"]:
        row["offer"], row["variant"] = at("offer", row["offer"]), at("variant", row["variant"])
        row["coordinator_customer"] = at("customer", row["coordinator_customer"])
        row["share_token"] = row["coordinator_token"] = None
    for row in data["card_batches.jsonl"]:
        row["id"], row["token"] = None, None
    for row in data["signups.jsonl"]:
        row["batch"], row["customer"] = (
            at("card_batch", row["batch"]),
            at("customer", row["customer"]),
        )
    for row in data["outreach.json"]["templates"]:
        row.pop("id")
    for row in data["campaigns.jsonl"]:
        row["id"], row["template"] = None, at("template", row["template"])
        row["audience_ids"] = [at("customer", int(c)) for c in row["audience_ids"]]
    for row in data["deliveries.jsonl"]:
        row["campaign"], row["template"] = (
            at("campaign", row["campaign"]),
            at("template", row["template"]),
        )
        row["customer"], row["unsubscribe_nonce"] = at("customer", row["customer"]), None
        row["id"] = None
    payments = {  # a payment by its order and place there
        p["id"]: [*row["order"], n]
        for row in data["order_history.jsonl"]
        for n, p in enumerate(row["payments"])
    }
    for row in data["order_history.jsonl"]:
        for p in row["payments"]:
            p["id"] = None
        row["public_token"] = "yes" if row["public_token"] else None  # a new one if taken
        row["lines"] = [[n, at("variant", v), at("location", loc)] for n, v, loc in row["lines"]]
        for event in row["events"]:
            event["customer"] = at("customer", event["customer"])
            event["delivery"] = at("delivery", event["delivery"])
            if "payment" in event["detail"]:
                event["detail"]["payment"] = payments[event["detail"]["payment"]]
    data["customers.jsonl"].sort(key=lambda r: r["name"] or "")
    return data


def test_a_shop_that_uses_every_feature_moves_whole(
    ika,
    ika_shop,
    storefront,  # noqa: F811 - the fixture
    tmp_path,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = every_feature(ika_shop, ika)
    first = tmp_path / "first"
    call_command("export", "--shop", ika_shop.slug, "--out", str(first))
    manifest = json.loads((first / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["products"] == 3 and counts["stock_moves"] >= 10
    assert counts["preorders"] == counts["group_offers"] == counts["group_buys"] == 1
    assert counts["card_batches"] == counts["signups"] == counts["campaigns"] == 1
    assert counts["deliveries"] >= 1
    assert len(list((first / "photos").iterdir())) == 4  # two photos at two widths
    # plain for her: the group's coordinator and the messages are readable
    assert "Sari Dewi Lestari" in (first / "group_buys.jsonl").read_text()
    assert "promo!" in (first / "deliveries.jsonl").read_text()
    history = (first / "order_history.jsonl").read_text()
    assert "Titip di pos satpam" in history and "JP1234567890" in history
    with shop_scope(ika_shop):
        # "elsewhere": the address of her online shop is free on the new instance
        StorefrontSettings.objects.filter(shop=ika_shop).update(slug="toko-lama")

    fresh_dir = tmp_path / "fresh-data"
    with override_settings(DATA_DIR=fresh_dir, MEDIA_ROOT=fresh_dir / "media"):
        fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("import", str(first), "--shop", fresh.slug, "--json")
        with shop_scope(fresh):
            entries = JournalEntry.objects.filter(shop=fresh).count()
            moves = StockMove.objects.filter(shop=fresh).count()
        with django_capture_on_commit_callbacks(execute=True):  # the same again: nothing
            call_command("import", str(first), "--shop", fresh.slug, "--json")
        again = tmp_path / "again"
        call_command("export", "--shop", fresh.slug, "--out", str(again))
        with shop_scope(fresh):
            photo = ProductPhoto.objects.filter(shop=fresh).first()
            assert photos_store.path_for(fresh.pk, photo.key, 320).is_file()
            assert str(fresh_dir) in str(photos_store.path_for(fresh.pk, photo.key, 320))
            assert JournalEntry.objects.filter(shop=fresh).count() == entries  # nothing twice
            assert StockMove.objects.filter(shop=fresh).count() == moves
            levels = sorted(
                StockLevel.objects.filter(shop=fresh).values_list(
                    "variant__sku", "location__name", "on_hand", "reserved"
                )
            )
            # the entries of stock moves name the restored moves
            stock_keys = JournalEntry.objects.filter(shop=fresh, key__startswith="stock:")
            named = {int(key.split(":")[1]) for key in stock_keys.values_list("key", flat=True)}
            assert named and named <= set(
                StockMove.objects.filter(shop=fresh).values_list("pk", flat=True)
            )
            group = GroupBuy.objects.get(shop=fresh)
            assert group.coordinator_name == "Sari Dewi Lestari"  # sealed again, readable
            assert group.coordinator_phone_index  # and found by its blind index
    with shop_scope(ika_shop):
        assert levels == sorted(
            StockLevel.objects.filter(shop=ika_shop).values_list(
                "variant__sku", "location__name", "on_hand", "reserved"
            )
        )
    # the books' gross profit sees the restored lines' products and what they cost
    assert gross_profit(fresh) == gross_profit(ika_shop)
    assert any(row[2] and row[5] for row in gross_profit(fresh))
    assert chain_check(shop=fresh).ok  # the hash chain of the restored journal holds
    assert entries == manifest["counts"]["journal_entries"]
    before, after = normalised(first), normalised(again)
    for name in before:  # file by file, to say which differs
        if os.environ.get("MERDEKA_DUMP"):
            Path(os.environ["MERDEKA_DUMP"], name).write_text(
                json.dumps([before[name], after[name]], indent=1, sort_keys=True)
            )
        assert after[name] == before[name], name
    assert batch.pk  # the pre-order came along (compared above)
