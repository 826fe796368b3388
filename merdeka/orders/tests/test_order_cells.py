"""orders.csv's one column list and its two adapters: the typed row of an order read from
the database (the order book's download, the workbook) and orders.csv's rows made column
by column from orders.jsonl's rows (``merdeka export``) give the same CSV bytes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import translation

from merdeka.core import sheets
from merdeka.orders.export import ORDER_TABLE, OrderCells, order_header

TZ = "Asia/Jayapura"  # WIT: nine hours ahead, a day changes


def orders() -> list[dict]:
    """Orders as the database gives them (typed), with the values that need care."""
    plain = {
        "external_id": "260501ABC",
        "channel": "shopee",
        "status": "completed",
        "paid": True,
        "ordered_at": datetime(2026, 5, 1, 20, 30, tzinfo=UTC),
        "paid_at": None,
        "customer": "Sari",
        "recipient_name": None,
        "recipient_phone": "+6281234567890",
        "street": "Jl. Melati 5",
        "village": "",
        "district": "Kebayoran",
        "city": None,
        "province": "DKI Jakarta",
        "postal_code": "12150",
        "lines": [
            {"quantity": 2, "name": "Kue", "variant": "Keju", "total": Decimal("30000.00")},
            {"quantity": 1, "name": "=Kemasan", "variant": "", "total": Decimal("1500.50")},
        ],
        "shipping_fee": Decimal("9000.00"),
        "discount": Decimal("-0.00"),
        "total": Decimal("40500.50"),
        "delivery_method": "",
        "payment_method": "cod",
        "parcel": ("jne", "JNE123"),
    }
    odd = {
        **plain,
        "external_id": "-7",
        "channel": "not-a-channel",
        "status": "new",
        "paid": False,
        "ordered_at": datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
        "paid_at": datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
        "customer": "",
        "recipient_name": "\uff1dHYPERLINK(1)",
        "street": "@home",
        "lines": [],
        "shipping_fee": None,
        "discount": Decimal("12.30"),
        "total": Decimal("1234567890123.00"),
        "delivery_method": "pickup",
        "payment_method": None,
        "parcel": None,
    }
    return [plain, odd]


def as_json(order: dict) -> dict:
    """The order as orders.jsonl holds it: times in ISO 8601, money as text."""

    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        return value.isoformat() if isinstance(value, datetime) else value

    row = {key: plain(value) for key, value in order.items()}
    row["lines"] = [{k: plain(v) for k, v in line.items()} for line in order["lines"]]
    return row


def test_both_adapters_write_the_same_csv():
    with translation.override("id"):
        cells = OrderCells()
        typed = io.StringIO()
        writer = sheets.CsvRows(typed, order_header(), tz=TZ)
        for order in orders():
            writer.add(cells.typed_row(order))
        by_column = io.StringIO()
        writer = sheets.CsvRows(by_column, order_header(), tz=TZ)
        rows = [as_json(order) for order in orders()]
        beside = {key: [row.pop(key) for row in rows] for key in ("paid", "customer", "parcel")}
        writer.add_cells(cells.csv_rows(rows, beside, tz=TZ))
    assert by_column.getvalue() == typed.getvalue()
    table = list(csv.reader(io.StringIO(typed.getvalue()[1:])))
    assert len(table[0]) == len(ORDER_TABLE) == 24
    first, second = (dict(zip(table[0], row, strict=True)) for row in table[1:])
    assert first["Waktu pesan"] == "2026-05-02 05:30" and first["Waktu bayar"] == ""
    assert first["Produk"] == "2x Kue (Keju); 1x =Kemasan"
    assert first["Total produk (Rp)"] == "31500.50" and first["Diskon (Rp)"] == "0"
    assert first["Telepon"] == "'+6281234567890" and first["Kurir"] == "JNE"
    assert second["Nomor pesanan"] == "'-7" and second["Penerima"].startswith("'")
    assert second["Saluran"] == "not-a-channel" and second["Total (Rp)"] == "1234567890123"
    assert second["Diskon (Rp)"] == "12.30" and second["Total produk (Rp)"] == "0"
