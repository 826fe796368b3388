"""The export writes as it reads: a batch of rows at a time, with progress, and a sheet
that would pass a workbook's row limit goes on in the next sheet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
from django.core.management import call_command

from merdeka.core import sheets
from merdeka.core.scoping import shop_scope
from merdeka.customers.resolution import Resolver
from merdeka.imports import exporting, records
from merdeka.imports.writer import write_orders


def seed_orders(shop, count: int) -> None:
    orders = [
        records.Order(
            channel="shopee",
            external_id=f"26050{n:04d}ABC",
            status="completed",
            status_raw="Selesai",
            ordered_at=datetime(2026, 5, 1 + n % 28, 3, n % 60, tzinfo=UTC),
            buyer=records.Buyer(
                username=f"pembeli{n}", name=f"Pembeli {n}", phone=f"+6281234500{n:03d}"
            ),
            lines=[
                records.OrderLine(name=f"Kue {n}", quantity=1 + n % 3, unit_price=Decimal("15000")),
                records.OrderLine(name="Kemasan", quantity=1, unit_price=Decimal("2000")),
            ],
        )
        for n in range(count)
    ]
    with shop_scope(shop):
        write_orders(shop=shop, orders=orders, resolver=Resolver(shop=shop, source="shopee"))


def test_rows_read_in_small_batches_keep_their_own_lines_and_identities(
    ika_shop, tmp_path, monkeypatch
):
    seed_orders(ika_shop, 7)
    monkeypatch.setattr(exporting, "CHUNK", 2)  # 7 orders in four batches
    heard: dict[str, list[tuple[int, int]]] = {}
    report = exporting.export_shop(
        shop=ika_shop,
        out=tmp_path,
        progress=lambda what, step, total: heard.setdefault(what, []).append((step, total)),
    )
    assert report.orders == 7 and report.customers == 7
    orders = [json.loads(line) for line in (tmp_path / "orders.jsonl").open()]
    for order in orders:
        n = int(order["external_id"][5:9])
        assert [line["name"] for line in order["lines"]] == [f"Kue {n}", "Kemasan"]
        assert order["lines"][0]["quantity"] == 1 + n % 3
    customers = [json.loads(line) for line in (tmp_path / "customers.jsonl").open()]
    for customer in customers:
        n = int(customer["name"].split()[1])
        phones = [i["value"] for i in customer["identities"] if i["kind"] == "phone"]
        assert phones == [f"+6281234500{n:03d}"]
    # progress adds up to each part's size, told with its total
    assert sum(step for step, _ in heard["orders"]) == 7
    assert {total for _, total in heard["orders"]} == {7}
    assert sum(step for step, _ in heard["customers"]) == 7
    assert sum(step for step, _ in heard["csv"]) == 3


def test_a_table_longer_than_a_sheet_goes_on_in_the_next_sheet(tmp_path):
    table = sheets.Sheet("pesanan", ["no", "nama"], ([n, f"baris {n}"] for n in range(7)))
    target = tmp_path / "book.xlsx"
    sheets.xlsx_write(target, [table], tz="Asia/Jakarta", rows_per_sheet=3)
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["pesanan", "pesanan (2)", "pesanan (3)"]
    rows = [list(book[name].values) for name in book.sheetnames]
    assert [r[0] for r in rows] == [("no", "nama")] * 3
    assert [row[0] for part in rows for row in part[1:]] == list(range(7))


def test_the_command_exports_without_a_terminal_and_says_how_many(ika_shop, tmp_path, capsys):
    seed_orders(ika_shop, 3)
    call_command("export", shop=ika_shop.slug, out=tmp_path / "out")
    printed = capsys.readouterr().out
    assert "3 pelanggan dan 3 pesanan diekspor" in printed
    assert (tmp_path / "out" / "merdeka-export.xlsx").exists()
