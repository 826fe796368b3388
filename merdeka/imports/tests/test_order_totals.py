"""An order's total against its lines + shipping - discounts, at the import's boundaries
(``merdeka import --json`` and the web report) and on the order page."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order

# A Shopee Seller Centre export (Indonesian), one row per order line. Order ...AAA's
# rows disagree on the total paid: its first row says 150.000, its second 180.000
# (100.000 + 60.000 + 20.000 shipping); ...BBB used a 5.000 seller voucher; ...CCC adds up.
SHOPEE_CSV = """\
No. Pesanan,Status Pesanan,Waktu Pesanan Dibuat,Nama Produk,Nama Variasi,Harga Setelah Diskon,\
Jumlah,Total Harga Produk,Voucher Ditanggung Penjual,Ongkos Kirim Dibayar oleh Pembeli,\
Total Pembayaran,Username (Pembeli),Nama Penerima,No. Telepon,Kota/Kabupaten,Provinsi
250501AAAAAAAA,Selesai,2025-05-01 09:00,Nastar Keju,500 gr,100.000,1,100.000,0,20.000,150.000,\
sitinur88,Siti Nurhaliza,6281211112222,KOTA BANDUNG,JAWA BARAT
250501AAAAAAAA,Selesai,2025-05-01 09:00,Kastengel,250 gr,60.000,1,60.000,0,20.000,180.000,\
sitinur88,Siti Nurhaliza,6281211112222,KOTA BANDUNG,JAWA BARAT
250502BBBBBBBB,Selesai,2025-05-02 10:00,Putri Salju,250 gr,50.000,1,50.000,5.000,10.000,55.000,\
budi.santoso,Budi Santoso,6281322334455,KOTA BOGOR,JAWA BARAT
250503CCCCCCCC,Perlu Dikirim,2025-05-03 11:00,Nastar Keju,250 gr,45.000,2,90.000,0,9.000,99.000,\
budi.santoso,Budi Santoso,6281322334455,KOTA BOGOR,JAWA BARAT
"""


@pytest.fixture
def export_file(tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    path.write_text(SHOPEE_CSV, encoding="utf-8")
    return path


def _totals_problems(problems):
    return [p for p in problems if p.get("code") in ("total_mismatch", "total_disagrees")]


def test_the_cli_report_flags_rows_that_disagree_and_a_total_that_does_not_add_up(
    ika_shop, export_file, capsys
):
    call_command("import", str(export_file), "--shop", ika_shop.slug, "--json")
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert report["state"] == "imported" and report["orders_new"] == 3  # warnings only
    disagrees, mismatch = _totals_problems(report["problems"])
    assert disagrees["code"] == "total_disagrees" and disagrees["severity"] == "warning"
    assert disagrees["row"] == 3 and disagrees["column"] == "Total Pembayaran"
    assert "250501AAAAAAAA" in disagrees["message"]
    assert "Rp180.000" in disagrees["message"] and "Rp150.000" in disagrees["message"]
    assert mismatch["code"] == "total_mismatch" and mismatch["severity"] == "warning"
    assert mismatch["row"] == 2 and "250501AAAAAAAA" in mismatch["message"]
    # 100.000 + 60.000 + 20.000 - 0 = 180.000, not the 150.000 the first row gave
    assert "Rp150.000" in mismatch["message"] and "Rp180.000" in mismatch["message"]
    # the voucher order and the plain one add up: not a word about them
    assert not any("BBBB" in p["message"] or "CCCC" in p["message"] for p in report["problems"])
    with shop_scope(ika_shop):
        voucher = Order.objects.get(external_id="250502BBBBBBBB")
    assert voucher.discount == Decimal(5000) and voucher.total == Decimal(55000)


def test_the_order_page_says_its_total_does_not_add_up(ika_shop, ika_client, export_file, capsys):
    call_command("import", str(export_file), "--shop", ika_shop.slug, "--json")
    with shop_scope(ika_shop):
        orders = {o.external_id: o for o in Order.objects.all()}
    page = ika_client.get(reverse("order_detail", args=[orders["250501AAAAAAAA"].pk]))
    notice = page.content.decode().split('data-testid="total-mismatch">', 1)[1].split("</p>")[0]
    assert "Rp150.000" in notice and "Rp180.000" in notice and "Shopee" in notice
    for clean in ("250502BBBBBBBB", "250503CCCCCCCC"):
        body = ika_client.get(reverse("order_detail", args=[orders[clean].pk])).content.decode()
        assert 'data-testid="total-mismatch"' not in body
    voucher = ika_client.get(reverse("order_detail", args=[orders["250502BBBBBBBB"].pk]))
    assert "-Rp5.000" in re.sub(r"<[^>]+>", "", voucher.content.decode())


def test_the_web_report_shows_the_same_warnings(
    ika_shop, ika_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("Order.all.20250501_20250531.csv", SHOPEE_CSV.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(reverse("import_home"), {"files": [upload]})
    page = ika_client.get(response["Location"]).content.decode()
    assert "Diimpor" in page
    assert "250501AAAAAAAA" in page and "Rp150.000" in page and "Rp180.000" in page
    assert 'class="problem-warning"' in page
    with shop_scope(ika_shop):
        record = ImportFile.objects.get()
    codes = [p["code"] for p in record.report["problems"]]
    assert codes.count("total_mismatch") == 1 and codes.count("total_disagrees") == 1
