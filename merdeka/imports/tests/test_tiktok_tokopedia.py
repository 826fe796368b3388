"""TikTok Shop's export carries Tokopedia's orders too, each with its Tokopedia invoice
number: every order keeps the channel it came through."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command
from openpyxl import load_workbook

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import CustomerStats
from merdeka.customers.stats import channel_bit
from merdeka.orders.models import Order

TIKTOK = Path(__file__).parent / "data" / "marketplaces" / "tiktok_OrderSKUList.xlsx"
TIKTOK_ORDER, TOKOPEDIA_ORDER = "578123456789012345", "578123456789012346"


def export_with_a_tokopedia_order(tmp_path, name="OrderSKUList.xlsx", status=None) -> Path:
    """The sample export, its second order bought through Tokopedia."""
    workbook = load_workbook(TIKTOK)
    sheet = workbook["OrderSKUList"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=3):
        if str(row[header.index("Order ID")].value) == TOKOPEDIA_ORDER:
            row[header.index("Tokopedia Invoice Number")].value = "INV/20250506/MPL/123"
        elif status:
            row[header.index("Order Status")].value = status
    path = tmp_path / name
    workbook.save(path)
    return path


def run_import(capsys, shop, path) -> dict:
    call_command("import", str(path), "--shop", shop.slug, "--json")
    return json.loads(capsys.readouterr().out)["files"][0]


def channels(shop) -> dict[str, str]:
    with shop_scope(shop):
        return dict(Order.objects.values_list("external_id", "channel"))


def test_a_tiktok_order_beside_a_tokopedia_one_stays_tiktok(ika_shop, capsys, tmp_path):
    report = run_import(capsys, ika_shop, export_with_a_tokopedia_order(tmp_path))
    assert report["orders_new"] == 2
    assert channels(ika_shop) == {TIKTOK_ORDER: "tiktok", TOKOPEDIA_ORDER: "tokopedia"}


def test_orders_once_all_called_tokopedia_are_put_right_by_the_next_export(
    ika_shop, capsys, tmp_path
):
    run_import(capsys, ika_shop, export_with_a_tokopedia_order(tmp_path))
    with shop_scope(ika_shop):  # what the whole-file rule used to write
        Order.objects.filter(shop=ika_shop).update(channel="tokopedia")
    later = export_with_a_tokopedia_order(tmp_path, "later.xlsx", status="Selesai")
    report = run_import(capsys, ika_shop, later)
    assert report["orders_new"] == 0  # found again, not added twice
    assert channels(ika_shop) == {TIKTOK_ORDER: "tiktok", TOKOPEDIA_ORDER: "tokopedia"}
    with shop_scope(ika_shop):
        buyer = Order.objects.get(external_id=TIKTOK_ORDER).customer_id
        mask = CustomerStats.objects.get(customer_id=buyer).channels
    assert mask & channel_bit("tiktok") and not mask & channel_bit("tokopedia")
