"""Exporting the order book (CSV and XLSX, with the list's filters), who may export, and
that every export is audited: orders, customers, the whole shop."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.privacy.models import AuditEvent


def csv_rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs read it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def tricky(ika_shop, book, in_shop):
    """An order whose recipient is a formula in full-width letters and whose phone
    starts with +62."""
    with in_shop(ika_shop):
        order = book["WA-7"]
        order.recipient_name = '\uff1dHYPERLINK("http://jahat.example","klik")'
        order.recipient_phone = "+6281234567890"
        order.save(update_fields=["recipient_name", "recipient_phone"])
    return book


def export(client, **data):
    return client.post(reverse("order_export"), {"format": "csv", **data})


def test_the_csv_has_indonesian_headers_and_the_lists_filters(ika_client, tricky):
    rows = csv_rows(export(ika_client, channel="whatsapp"))
    header, *orders = rows
    assert header[:6] == ["Nomor pesanan", "Saluran", "Status", "Dibayar", "Waktu pesan",
                          "Waktu bayar"]  # fmt: skip
    assert "Total (Rp)" in header and "Nomor resi" in header
    assert [row[0] for row in orders] == ["WA-7"]  # the channel filter of the list
    row = dict(zip(header, orders[0], strict=True))
    assert row["Saluran"] == "WhatsApp" and row["Status"] == "Baru" and row["Dibayar"] == "tidak"
    assert row["Waktu pesan"] == "2024-12-03 00:15"  # the shop's own clock (WIB)
    assert row["Total (Rp)"] == "40000"  # a number, not "Rp40.000" and not "40000.00"
    # text that a spreadsheet would run is guarded, full-width look-alikes too
    assert row["Penerima"] == '\'\uff1dHYPERLINK("http://jahat.example","klik")'
    assert row["Telepon"] == "'+6281234567890"
    assert row["Produk"] == "2x Kue Lapis Legit"


def test_a_search_and_a_date_range_filter_the_export_as_they_filter_the_list(ika_client, book):
    rows = csv_rows(export(ika_client, q="0812-3456-7890"))
    assert [r[0] for r in rows[1:]] == ["WA-7", "577000111222333444"]
    rows = csv_rows(export(ika_client, date_from="2024-12-03"))
    assert [r[0] for r in rows[1:]] == ["M-1001", "WA-7"]
    channel_names = {r[1] for r in csv_rows(export(ika_client))[1:]}
    assert channel_names == {"Shopee", "TikTok Shop", "WhatsApp", "Toko online sendiri"}
    bad = export(ika_client, date_from="2024-12-05", date_to="2024-12-01")
    assert bad.status_code == 302  # nothing exported: the list says why


def test_the_xlsx_has_typed_cells_and_a_sheet_of_lines(ika_client, tricky):
    book_ = workbook(export(ika_client, format="xlsx", channel="whatsapp"))
    orders, lines = book_["pesanan"], book_.worksheets[1]
    header = [cell.value for cell in orders[1]]
    cells = dict(zip(header, orders[2], strict=True))
    recipient = cells["Penerima"]
    assert recipient.data_type == "s" and recipient.value.startswith("\uff1dHYPERLINK")
    assert cells["Telepon"].data_type == "s" and cells["Telepon"].value == "+6281234567890"
    assert cells["Total (Rp)"].data_type == "n" and cells["Total (Rp)"].value == 40000
    ordered = cells["Waktu pesan"]
    assert ordered.is_date and ordered.value == dt.datetime(2024, 12, 3, 0, 15)  # WIB
    assert not any(c.data_type == "f" for row in orders.iter_rows() for c in row)
    assert [c.value for c in lines[2]][:5] == ["WA-7", "Kue Lapis Legit", None, None, 2]


def test_exports_are_an_owners_right_unless_staff_are_allowed(
    client,
    ika,
    rina,
    ika_shop,
    book,
):
    client.force_login(rina)
    assert export(client).status_code == 403
    assert client.post(reverse("customer_export"), {"format": "csv"}).status_code == 403
    assert client.post(reverse("shop_export")).status_code == 403
    list_page = client.get(reverse("order_list")).content.decode()
    assert 'data-testid="order-export"' not in list_page
    assert client.post(reverse("staff_export"), {"staff_may_export": "on"}).status_code == 403

    client.force_login(ika)
    page = client.get(reverse("staff")).content.decode()
    assert 'data-testid="export-policy"' in page
    client.post(reverse("staff_export"), {"staff_may_export": "on"})
    with shop_scope(ika_shop):
        policy = AuditEvent.objects.get(action="shop.export_policy_changed")
    assert policy.detail == {"staff_may_export": True}

    client.force_login(rina)
    assert 'data-testid="order-export"' in client.get(reverse("order_list")).content.decode()
    assert export(client).status_code == 200
    assert client.post(reverse("customer_export"), {"format": "csv"}).status_code == 200

    client.force_login(ika)
    client.post(reverse("staff_export"), {})  # unticked: owners only again
    client.force_login(rina)
    assert export(client).status_code == 403


def test_every_export_is_audited_without_the_search_words(
    ika_client, ika_shop, book, django_capture_on_commit_callbacks
):
    export(ika_client, q="0812-3456-7890")
    export(ika_client, format="xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        job_page = ika_client.post(reverse("shop_export"))
    response = ika_client.get(job_page["Location"] + "unduh/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"manifest.json", "orders.jsonl", "orders.csv", "merdeka-export.xlsx"} <= set(
        archive.namelist()
    )
    assert response["Cache-Control"] == "no-store, private"
    with shop_scope(ika_shop):
        events = list(AuditEvent.objects.filter(action="export.created").order_by("id"))
    details = [e.detail for e in events]
    assert details[0] == {"format": "csv", "orders": 2, "filtered": True, "scope": "orders"}
    assert details[1] == {"format": "xlsx", "orders": 4, "filtered": False, "scope": "orders"}
    assert {k: details[2][k] for k in ("customers", "segments", "orders", "scope")} == {
        "customers": 2,
        "segments": 0,
        "orders": 4,
        "scope": "shop",
    }
    assert details[2]["journal_entries"] == 0 and "deliveries" in details[2]  # every part
    assert all(e.actor_id is not None for e in events)
    assert "0812" not in repr(details) and "3456" not in repr(details)


def test_the_cli_export_writes_indonesian_spreadsheets_and_keeps_json_keys(
    ika_shop,
    book,
    tmp_path,
    in_shop,
):
    with in_shop(ika_shop):  # a refund-like negative amount is a number, not a formula
        Order.objects.filter(external_id="2412010ABCD").update(discount=Decimal(-5000))
    call_command("export", "--shop", ika_shop.slug, "--out", str(tmp_path))
    with open(tmp_path / "orders.csv", encoding="utf-8-sig") as handle:
        orders = {row["Nomor pesanan"]: row for row in csv.DictReader(handle)}
    assert orders["M-1001"]["Saluran"] == "Toko online sendiri"
    assert orders["M-1001"]["Status"] == "Dibatalkan"
    assert orders["2412010ABCD"]["Diskon (Rp)"] == "-5000"
    assert orders["577000111222333444"]["Waktu pesan"] == "2024-12-02 23:30"
    with open(tmp_path / "customers.csv", encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle))[:3] == ["id", "nama", "telepon"]
    jsonl = [json.loads(line) for line in (tmp_path / "orders.jsonl").read_text().splitlines()]
    assert {row["channel"] for row in jsonl} == {"shopee", "tiktok", "whatsapp", "storefront"}
    assert set(jsonl[0]) >= {"channel", "external_id", "total", "discount", "lines"}
    sheetnames = load_workbook(tmp_path / "merdeka-export.xlsx").sheetnames
    assert sheetnames == ["pelanggan", "pesanan", "baris pesanan"]


def test_the_lines_sheet_follows_the_order_of_the_orders_sheet(ika_client, book):
    sheets_ = workbook(export(ika_client, format="xlsx")).worksheets
    orders = [row[0].value for row in sheets_[0].iter_rows(min_row=2)]
    lines = [row[0].value for row in sheets_[1].iter_rows(min_row=2)]
    assert orders == ["M-1001", "WA-7", "577000111222333444", "2412010ABCD"]  # newest first
    assert lines == orders  # one line each, in the same order
