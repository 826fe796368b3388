"""A customer's page tells the truth about her: a customer since her first order (not
since the import that brought her), as many orders in the header as in her timeline,
her marketplace username when the marketplace hid her name, the RFM group in words;
and the review queue says where each of two look-alike records came from."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse
from django.utils.html import strip_tags
from openpyxl import load_workbook

from merdeka.core.events import outbox_drain
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, CustomerStats, MatchSuggestion
from merdeka.imports.models import ImportRun
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer

TIKTOK = Path(__file__).parents[2] / "imports" / "tests" / "data" / "marketplaces"
TIKTOK = TIKTOK / "tiktok_OrderSKUList.xlsx"
WIB = dt.timezone(dt.timedelta(hours=7))


def page_of(client, customer) -> str:
    return unescape(client.get(reverse("customer_detail", args=[customer.pk])).content.decode())


def order(shop, actor, key, price, when):
    placed, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price))],
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="transfer",
        ordered_at=when,
    )
    outbox_drain()
    return placed


def test_the_header_and_the_timeline_count_the_same_orders_since_the_first(
    ika, ika_client, ika_shop
):
    first = order(ika_shop, ika, "o-1", 40000, dt.datetime(2025, 3, 2, 10, 0, tzinfo=WIB))
    order(ika_shop, ika, "o-2", 45000, dt.datetime(2025, 6, 9, 10, 0, tzinfo=WIB))
    lifecycle.order_cancel(shop=ika_shop, order_id=first.pk, reason="salah pesan")
    outbox_drain()
    page = page_of(ika_client, first.customer)
    assert "Pelanggan sejak 2 Mar 2025" in page  # her first order, not the day she was added
    assert 'data-testid="order-count">1<' in page
    assert "1 pesanan · total Rp45.000 · 1 lagi dibatalkan atau dikembalikan" in strip_tags(page)
    assert 'data-testid="total-spend"><span class="money">Rp45.000</span><' in page


def test_a_customer_without_orders_says_when_she_was_added(ika_client, ika_shop):
    from merdeka.customers.services import customer_create

    customer = customer_create(shop=ika_shop, name="Rina", phone="+6281234500001")
    assert "belum ada pesanan" in page_of(ika_client, customer)


def test_a_buyer_known_by_a_username_only_is_shown_by_it(ika_client, ika_shop, capsys, tmp_path):
    workbook = load_workbook(TIKTOK)
    sheet = workbook["OrderSKUList"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=3):
        row[header.index("Recipient")].value = "D***i"  # the marketplace hid the name
    path = tmp_path / "OrderSKUList.xlsx"
    workbook.save(path)
    call_command("import", str(path), "--shop", ika_shop.slug, "--json")
    capsys.readouterr()
    with shop_scope(ika_shop):
        dewi = next(
            c
            for c in Customer.objects.filter(merged_into__isnull=True)
            if c.orders.filter(external_id="578123456789012345").exists()
        )
    assert dewi.name is None
    page = page_of(ika_client, dewi)
    assert "<h1>dewi.anggraini</h1>" in page and "(tanpa nama)" not in page
    assert "Username marketplace · TikTok Shop" in page and "dari TikTok Shop" in page
    listing = unescape(ika_client.get(reverse("customer_list")).content.decode())
    assert "dewi.anggraini" in listing and "(tanpa nama)" not in listing


def test_the_rfm_group_is_said_in_words(ika, ika_client, ika_shop):
    placed = order(ika_shop, ika, "o-1", 40000, dt.datetime(2025, 3, 2, 10, 0, tzinfo=WIB))
    with shop_scope(ika_shop):
        CustomerStats.objects.filter(customer=placed.customer).update(
            rfm_recency=5, rfm_frequency=3, rfm_monetary=1, rfm_group="promising"
        )
    page = page_of(ika_client, placed.customer)
    assert "baru saja belanja, kadang-kadang belanja, belanjanya kecil" in page
    assert "R5 F3" not in page
    # nor "M1" where she reads (a form's random CSRF token may hold those two letters)
    assert not re.search(r"\bM1\b", strip_tags(page.split("<main", 1)[1]))


def test_review_cards_say_where_each_record_came_from_and_link_to_it(ika_client, ika_shop, capsys):
    data = Path(__file__).parents[2] / "imports" / "tests" / "data"
    call_command(
        "import",
        str(data / "marketplaces" / "Order.all.20250401_20250430.xlsx"),
        str(data / "whatsapp" / "Chat WhatsApp dengan Pasar Kue Zakinah.txt"),
        "--shop",
        ika_shop.slug,
        "--json",
    )
    run = json.loads(capsys.readouterr().out)["run"]
    with shop_scope(ika_shop):
        suggestion = MatchSuggestion.objects.filter(state="pending").first()
        assert ImportRun.objects.filter(pk=run).exists()
    page = unescape(ika_client.get(reverse("review_queue")).content.decode())
    card = page[page.index(f'data-testid="suggestion-{suggestion.pk}"') :]
    card = card[: card.index("</article>")]
    for customer in suggestion.pair:
        assert reverse("customer_detail", args=[customer.pk]) in card
    assert reverse("import_run", args=[run]) in card
    assert "Shopee · Order.all.20250401_20250430.xlsx" in card
    assert "WhatsApp · Chat WhatsApp dengan Pasar Kue Zakinah.txt" in card
