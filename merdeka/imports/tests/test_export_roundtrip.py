from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal

from django.core.management import call_command

from merdeka.core import services
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, CustomerNote, Identity, Segment, Tag
from merdeka.customers.resolution import Resolver
from merdeka.customers.selectors import customer_tags, segment_customers
from merdeka.customers.services import (
    customer_create,
    customer_note_add,
    customer_tag_add,
    segment_create,
)
from merdeka.imports import records
from merdeka.imports.deferred import deferred_finish
from merdeka.imports.writer import write_orders
from merdeka.orders.models import Order
from merdeka.privacy.consent import consent_allows, consent_record


def seed(shop):
    with shop_scope(shop):
        write_orders(
            shop=shop,
            orders=[
                records.Order(
                    channel="shopee",
                    external_id="2504226A23B55PX",
                    status="completed",
                    status_raw="Selesai",
                    ordered_at=datetime(2026, 4, 22, 3, 15, tzinfo=UTC),
                    buyer=records.Buyer(
                        username="sitinur", name="Siti Nurhaliza", phone="+6281234567801"
                    ),
                    address=records.Address(
                        recipient="Siti Nurhaliza",
                        street="Jl. Melati 5",
                        city="Kota Bandung",
                        province="Jawa Barat",
                    ),
                    lines=[
                        records.OrderLine(
                            name="Nastar Keju",
                            quantity=2,
                            unit_price=Decimal("85000"),
                            variant="500 gr",
                        ),
                        records.OrderLine(
                            name='=HYPERLINK("x")', quantity=1, unit_price=Decimal("12500")
                        ),
                    ],
                    shipping_fee=Decimal("9000"),
                )
            ],
            resolver=Resolver(shop=shop, source="shopee"),
        )
    customer_create(shop=shop, name="+62 Pelanggan Manual", email="manual@contoh.id")
    # the import's deferred steps (its books, its names' search tokens), as after commit
    deferred_finish(shop=shop)


def snapshot(shop):
    with shop_scope(shop):
        customers = sorted(
            (
                c.name,
                c.phone,
                c.email,
                c.address,
                c.city,
                c.province,
                sorted((i.kind, i.channel, i.value) for i in Identity.objects.filter(customer=c)),
            )
            for c in Customer.objects.filter(merged_into__isnull=True)
        )
        orders = sorted(
            (
                o.channel,
                o.external_id,
                o.status,
                o.status_raw,
                o.ordered_at,
                o.total,
                o.shipping_fee,
                o.recipient_name,
                o.street,
                o.city,
                o.customer.name if o.customer else None,
                [
                    (line.name, line.variant, line.quantity, line.unit_price)
                    for line in o.lines.all()
                ],
            )
            for o in Order.objects.all()
        )
    return customers, orders


def test_an_export_imported_into_a_fresh_shop_gives_the_same_customers_and_orders(
    ika, ika_shop, tmp_path
):
    seed(ika_shop)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert {k: counts[k] for k in ("customers", "segments", "orders", "journal_entries")} == {
        "customers": 2,
        "segments": 0,
        "orders": 1,
        "journal_entries": 1,
    }
    assert counts["products"] == 0 and counts["deliveries"] == 0  # every part, empty here

    fresh = services.shop_create(name="Toko Baru", owner=ika, slug="toko-baru")
    call_command("import", str(out), "--shop", "toko-baru", "--json")
    assert snapshot(fresh) == snapshot(ika_shop)

    # importing the same export again adds nothing
    call_command("import", str(out), "--shop", "toko-baru", "--json")
    assert snapshot(fresh) == snapshot(ika_shop)


def test_spreadsheet_exports_are_formula_safe(ika_shop, tmp_path):
    seed(ika_shop)
    call_command("export", "--shop", ika_shop.slug, "--out", str(tmp_path))
    with open(tmp_path / "orders.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Produk"].startswith("2x Nastar Keju")  # headers in Bahasa Indonesia
    with open(tmp_path / "customers.csv", encoding="utf-8-sig") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "'+62 Pelanggan Manual" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'+6281234567801" in cells


def without_ids(folder):
    """An export's customers and segments as data, ids and export times left out."""
    customers = []
    for line in (folder / "customers.jsonl").open():
        row = json.loads(line)
        row.pop("id")
        row.pop("created_at")
        customers.append(row)
    segments = [json.loads(line) for line in (folder / "segments.jsonl").open()]
    return sorted(customers, key=lambda r: r["name"] or ""), segments


def test_tags_notes_consent_history_and_segments_travel_with_the_export(
    ika, ika_shop, tmp_path, django_capture_on_commit_callbacks
):
    seed(ika_shop)
    with shop_scope(ika_shop):
        siti = next(c for c in Customer.objects.all() if c.name == "Siti Nurhaliza")
    customer_tag_add(shop=ika_shop, actor=ika, customer=siti, name="langganan arisan")
    customer_note_add(
        shop=ika_shop, actor=ika, customer=siti, body="Suka nastar keju, alergi kacang"
    )
    consent_record(shop=ika_shop, customer=siti, channel="whatsapp", granted=True, source="staff")
    consent_record(
        shop=ika_shop, customer=siti, channel="whatsapp", granted=False, source="reply_stop"
    )
    consent_record(shop=ika_shop, customer=siti, channel="email", granted=True, source="signup")
    with shop_scope(ika_shop):
        tag = Tag.objects.get(name="langganan arisan")
    segment_create(
        shop=ika_shop, actor=ika, name="Arisan Bandung", filters={"tag": str(tag.pk)}, query="Siti"
    )
    first = tmp_path / "first"
    call_command("export", "--shop", ika_shop.slug, "--out", str(first))

    fresh = services.shop_create(name="Toko Baru", owner=ika, slug="toko-baru")
    with django_capture_on_commit_callbacks(execute=True):  # the customer list's figures
        call_command("import", str(first), "--shop", "toko-baru", "--json")
        call_command("import", str(first), "--shop", "toko-baru", "--json")  # nothing twice
    again = tmp_path / "again"
    call_command("export", "--shop", "toko-baru", "--out", str(again))
    assert without_ids(again) == without_ids(first)

    with shop_scope(fresh):
        moved = next(c for c in Customer.objects.all() if c.name == "Siti Nurhaliza")
        assert [t.name for t in customer_tags(shop=fresh, customer=moved)] == ["langganan arisan"]
        assert CustomerNote.objects.get(customer=moved).author == ika
        segment = Segment.objects.get(name="Arisan Bandung")
        # the segment's tag is the new shop's tag of that name, and it finds her
        assert segment.filters["tag"] == str(Tag.objects.get(name="langganan arisan").pk)
        assert list(segment_customers(shop=fresh, segment=segment)) == [moved]
    # what she chose last is what counts here too: no WhatsApp, email yes
    assert not consent_allows(shop=fresh, customer=moved, channel="whatsapp")
    assert consent_allows(shop=fresh, customer=moved, channel="email")
