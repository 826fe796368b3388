"""Writes the small spreadsheets that no importer knows, for the column-mapping tests.

    .venv/bin/python merdeka/imports/tests/data/other/make_samples.py

* ``blibli_pesanan_2025-01.xlsx``: Blibli's order columns as one public source lists
  them (docs/decisions/marketplace-exports-by-header-name.md, unverified); one row per item.
* ``bukalapak_transaksi_2024-12.csv`` and ``..._2025-01.csv``: no Bukalapak header list
  is public (the same page; the marketplace closed in 2025), so these columns are
  invented, shaped like an Indonesian seller-centre export: semicolons, ``Rp`` amounts.
  The two months share their columns, as two exports of one marketplace do.
* ``catatan_pelanggan.xlsx``: a seller's own customer notes: a title row, a blank row,
  then columns she named herself; phone numbers written every way people write them.

Names, numbers and addresses are invented.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

BLIBLI = [
    "No. Order", "No. Order Item", "No. Paket", "No. Awb", "Tanggal Order", "Nama Pemesan",
    "No. Tlp", "Kode SKU Blibli", "SKU Merchant", "SKU", "Nama Produk", "Total Barang",
    "Servis Logistik", "Kode Merchant", "Order Status", "Alamat", "Kota", "Provinsi",
    "Harga item pesanan", "Total harga item pesanan", "Total", "Catatan produk",
    "Tanggal pengiriman",
]  # fmt: skip


def blibli_rows():
    def row(order, item, date, buyer, phone, sku, product, qty, status, address, city, province,
            price, total):  # fmt: skip
        return [
            order, item, f"PKT-{order[-4:]}", "", date, buyer, phone, f"BLI-{sku}", sku, sku,
            product, qty, "Reguler", "DKI-60021", status, address, city, province, price,
            price * qty, total, "", "",
        ]  # fmt: skip

    return [
        row("25010412345678", "25010412345678-1", "04/01/2025 09:12", "Rina Marlina",
            "0812-7788-1100", "NST-500", "Nastar Keju Premium 500 gr", 2, "Selesai",
            "Jl. Kenanga No. 5, Cibubur", "KOTA DEPOK", "JAWA BARAT", 85000, 260000),
        row("25010412345678", "25010412345678-2", "04/01/2025 09:12", "Rina Marlina",
            "0812-7788-1100", "KST-1", "Kastengel Edam", 1, "Selesai",
            "Jl. Kenanga No. 5, Cibubur", "KOTA DEPOK", "JAWA BARAT", 90000, 260000),
        row("25011298765432", "25011298765432-1", "12/01/2025 20:40", "Agus Salim",
            "0857-2211-3344", "PS-250", "Putri Salju 250 gr", 3, "Dikirim",
            "Perum Bumi Asri C4, Sleman", "KAB. SLEMAN", "DI YOGYAKARTA", 55000, 174000),
        row("25012055550001", "25012055550001-1", "20/01/2025 07:05", "Dewi Lestari",
            "0813****4455", "NST-250", "Nastar Keju Premium 250 gr", 1, "Dibatalkan",
            "******", "KOTA BANDUNG", "JAWA BARAT", 45000, 54000),
    ]  # fmt: skip


BUKALAPAK = [
    "ID Transaksi", "Invoice", "Tanggal Transaksi", "Status", "Username Pembeli",
    "Nama Pembeli", "No. HP Pembeli", "Nama Barang", "SKU", "Jumlah", "Harga Satuan",
    "Subtotal", "Ongkos Kirim", "Total Bayar", "Nama Penerima", "Alamat", "Kota", "Provinsi",
    "Kode Pos", "Kurir",
]  # fmt: skip


def bukalapak_december():
    return [
        ["241203TRX001", "BL241203AAAA", "2024-12-03 14:22:10", "Diterima", "bambang.w",
         "Bambang Wijaya", "081311112222", "Lapis Legit Original", "LL-ORI", "1",
         "Rp250.000", "Rp250.000", "Rp18.000", "Rp358.000", "Bambang Wijaya",
         "Jl. Cempaka Putih Tengah 12", "Jakarta Pusat", "DKI Jakarta", "10510", "JNE REG"],
        ["241203TRX001", "BL241203AAAA", "2024-12-03 14:22:10", "Diterima", "bambang.w",
         "Bambang Wijaya", "081311112222", "Nastar Keju", "NST-250", "2",
         "Rp45.000", "Rp90.000", "Rp18.000", "Rp358.000", "Bambang Wijaya",
         "Jl. Cempaka Putih Tengah 12", "Jakarta Pusat", "DKI Jakarta", "10510", "JNE REG"],
        ["241215TRX044", "BL241215BBBB", "2024-12-15 08:03:55", "Dikirim", "sari_kue",
         "Sari Puspita", "0877-5555-6666", "Kue Putri Salju", "PS-250", "1",
         "Rp55.000", "Rp55.000", "Rp12.000", "Rp67.000", "Ibu Sari",
         "Gg. Mawar 3 RT 02/RW 05", "Kota Malang", "Jawa Timur", "65141", "SiCepat"],
        ["241229TRX090", "BL241229CCCC", "2024-12-29 19:47:00", "Dibatalkan", "hendra88",
         "Hendra Gunawan", "+62 821 3030 4040", "Lapis Legit Original", "LL-ORI", "1",
         "Rp250.000", "Rp250.000", "Rp20.000", "Rp270.000", "Hendra Gunawan",
         "Jl. Gatot Subroto 101", "Kota Medan", "Sumatera Utara", "20112", "J&T"],
    ]  # fmt: skip


def bukalapak_january():
    return [
        ["250106TRX007", "BL250106DDDD", "2025-01-06 10:10:10", "Diterima", "bambang.w",
         "Bambang Wijaya", "081311112222", "Kastengel Edam", "KST-1", "2",
         "Rp90.000", "Rp180.000", "Rp18.000", "Rp198.000", "Bambang Wijaya",
         "Jl. Cempaka Putih Tengah 12", "Jakarta Pusat", "DKI Jakarta", "10510", "JNE REG"],
        ["250119TRX031", "BL250119EEEE", "2025-01-19 16:30:00", "Menunggu Pembayaran",
         "yuni.art", "Yuni Artika", "0819-4321-8765", "Nastar Keju", "NST-500", "1",
         "Rp85.000", "Rp85.000", "Rp9.000", "Rp94.000", "Yuni Artika",
         "Jl. Diponegoro 7", "Kota Semarang", "Jawa Tengah", "50241", "AnterAja"],
    ]  # fmt: skip


NOTES_TITLE = "Catatan Pelanggan Dapur Bu Ika"
NOTES = ["No", "Nama", "No. WA", "Email", "Alamat", "Catatan"]


def notes_rows():
    return [
        [1, "Bu Siti Aminah", "0812-3456-7801", "", "Jl. Melati 3, Bogor", "langganan nastar"],
        [2, "Pak Joko", "+62 857 1122 3344", "joko.susilo@example.com", "Depok",
         "suka pesan jumat"],
        [3, "Mbak Rini", "0813 2233 4455 / 0878 1234 5678", "", "Cibinong", "2 nomor"],
        [4, "Dewi", "", "Dewi.Anggraini@Example.com", "Bekasi", "hanya email"],
        [5, "Tetangga sebelah", "", "", "Rumah no. 7", "belum ada nomornya"],
        [6, "Siti Aminah", "6281234567801", "", "Bogor", "nomor yang sama dengan no. 1"],
        [7, "Salah tulis", "08123", "", "", "nomor kurang digit"],
    ]  # fmt: skip


def write_xlsx(path: Path, sheet: str, rows: list[list]) -> None:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)


def main() -> None:
    write_xlsx(HERE / "blibli_pesanan_2025-01.xlsx", "Order", [BLIBLI, *blibli_rows()])
    write_csv(HERE / "bukalapak_transaksi_2024-12.csv", [BUKALAPAK, *bukalapak_december()])
    write_csv(HERE / "bukalapak_transaksi_2025-01.csv", [BUKALAPAK, *bukalapak_january()])
    write_xlsx(
        HERE / "catatan_pelanggan.xlsx",
        "Pelanggan",
        [[NOTES_TITLE], [], NOTES, *notes_rows()],
    )


if __name__ == "__main__":
    main()
