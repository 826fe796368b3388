"""Writes the small, real-shaped income, settlement and withdrawal reports the tests read.

    .venv/bin/python merdeka/imports/tests/data/settlements/make_samples.py

Header lists are the research copies beside this file (Shopee's Laporan Penghasilan,
TikTok Shop's settlement export, Shopee's balance transactions, TikTok Shop's
withdrawals); values are invented. The orders are the marketplace order samples' where
they can be (../marketplaces/make_samples.py): Shopee 2504226A23B55PX (Selesai,
Rp269.000) and 2504246C9XYZ12A (Dikirim, Rp144.000), TikTok Shop 578123456789012345
(Selesai, Rp124.000); one order of each report is not in the samples.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def headers(name: str) -> list[str]:
    return [line.strip() for line in (HERE / name).read_text().splitlines() if line.strip()]


SHOPEE_INCOME = [
    # 260.000 of goods + 9.000 shipping; 10.000 refunded to the buyer (a difference)
    {"No.": 1, "No. Pesanan": "2504226A23B55PX", "Username (Pembeli)": "sitinur88",
     "Waktu Pesanan Dibuat": "2025-04-22", "Metode pembayaran pembeli": "COD",
     "Tanggal Dana Dilepaskan": "2025-04-28", "Harga Asli Produk": "260.000",
     "Total Diskon Produk": "0", "Jumlah Pengembalian Dana ke Pembeli": "-10.000",
     "Ongkir Dibayar Pembeli": "9.000", "Ongkir yang Diteruskan oleh Shopee ke Jasa Kirim": "-9.000",
     "Biaya Administrasi": "-20.800", "Biaya Layanan": "-5.200", "Biaya Proses Pesanan": "-1.250",
     "Total Penghasilan": "222.750", "Jasa Kirim": "SPX Standard"},
    # shipped in the order export (not delivered in the books yet)
    {"No.": 2, "No. Pesanan": "2504246C9XYZ12A", "Username (Pembeli)": "sitinur88",
     "Waktu Pesanan Dibuat": "2025-04-24", "Metode pembayaran pembeli": "ShopeePay",
     "Tanggal Dana Dilepaskan": "2025-04-29", "Harga Asli Produk": "135.000",
     "Total Diskon Produk": "0", "Ongkir Dibayar Pembeli": "9.000",
     "Ongkir yang Diteruskan oleh Shopee ke Jasa Kirim": "-9.000",
     "Biaya Administrasi": "-10.800", "Biaya Layanan": "-2.700", "Biaya Proses Pesanan": "-1.250",
     "Total Penghasilan": "120.250", "Jasa Kirim": "SPX Standard"},
    # not in the shop's orders; Shopee bore a 2.000 product discount
    {"No.": 3, "No. Pesanan": "2504289QWE77RTY", "Username (Pembeli)": "rina_w",
     "Waktu Pesanan Dibuat": "2025-04-25", "Metode pembayaran pembeli": "COD",
     "Tanggal Dana Dilepaskan": "2025-04-29", "Harga Asli Produk": "50.000",
     "Diskon Produk dari Shopee": "2.000", "Biaya Administrasi": "-4.000",
     "Biaya Proses Pesanan": "-1.250", "Total Penghasilan": "46.750",
     "Jasa Kirim": "SPX Standard"},
]  # fmt: skip

TIKTOK_SETTLEMENT = [
    # 115.000 of goods + 9.000 shipping paid by the buyer; the courier cost 12.000, the
    # platform bore 3.000 of it
    {"Order/adjustment ID": "578123456789012345", "Type": "Order",
     "Order created time": "2025/05/05", "Order settled time": "2025/05/14", "Currency": "IDR",
     "Total settlement amount": "104550", "Total revenue": "115000",
     "Subtotal after seller discounts": "115000", "Subtotal before discounts": "125000",
     "Seller discounts": "-10000", "Total fees": "-10450", "Transaction fee": "-2300",
     "TikTok Shop commission fee": "-6900", "Order processing fee": "-1250",
     "Shipping cost": "0", "Shipping costs passed on to the logistics provider": "-12000",
     "Shipping cost borne by the platform": "3000", "Shipping cost paid by the customer": "9000"},
    {"Order/adjustment ID": "578123456789012399", "Type": "Order",
     "Order created time": "2025/05/07", "Order settled time": "2025/05/14", "Currency": "IDR",
     "Total settlement amount": "40750", "Total revenue": "45000",
     "Subtotal after seller discounts": "45000", "Subtotal before discounts": "45000",
     "Total fees": "-4250", "Transaction fee": "-900", "TikTok Shop commission fee": "-2700",
     "Order processing fee": "-650", "Shipping cost": "0"},
    {"Order/adjustment ID": "7300123456789012", "Type": "Logistics reimbursement",
     "Order created time": "", "Order settled time": "2025/05/15", "Currency": "IDR",
     "Total settlement amount": "5000", "Ajustment amount": "5000",
     "Related order ID": "578123456789012345"},
]  # fmt: skip

SHOPEE_TRANSACTIONS = [
    ["2025-04-28 12:01:33", "Penghasilan dari Pesanan", "Penghasilan dari Pesanan #2504226A23B55PX",
     "2504226A23B55PX", "Uang Masuk", "222.750", "Selesai", "222.750"],
    ["2025-04-29 11:20:02", "Penghasilan dari Pesanan", "Penghasilan dari Pesanan #2504246C9XYZ12A",
     "2504246C9XYZ12A", "Uang Masuk", "120.250", "Selesai", "343.000"],
    ["2025-04-29 11:20:02", "Penghasilan dari Pesanan", "Penghasilan dari Pesanan #2504289QWE77RTY",
     "2504289QWE77RTY", "Uang Masuk", "46.750", "Selesai", "389.750"],
    ["2025-04-30 09:00:41", "Penarikan Dana", "Penarikan Dana ke BCA ****1234", "", "Uang Keluar",
     "-300.000", "Selesai", "89.750"],
    ["2025-04-30 18:15:10", "Penarikan Dana", "Penarikan Dana ke BCA ****1234", "", "Uang Keluar",
     "-50.000", "Sedang Diproses", "39.750"],
]  # fmt: skip

TIKTOK_WITHDRAWALS = [
    ["Withdrawal", "WD2025051600123", "2025/05/16 09:00:00", "100000", "Successful",
     "2025/05/16 10:12:00", "BCA ****1234"],
    ["Withdrawal", "WD2025051700456", "2025/05/17 09:00:00", "5000", "Failed", "", "BCA ****1234"],
]  # fmt: skip


def main():
    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    summary.append(["Laporan Penghasilan", "Periode 2025-04-01 - 2025-04-30"])
    summary.append(["Total Penghasilan", "389.750"])
    income = workbook.create_sheet("Income")
    income.append(["Laporan Penghasilan"])
    income.append(["Username Penjual", "toko_kue_ika"])
    income.append(["Periode", "2025-04-01 - 2025-04-30"])
    income.append(["Status Dana", "Sudah Dilepas"])
    income.append([])
    columns = headers("shopee_income_headers.txt")
    income.append(columns)
    for row in SHOPEE_INCOME:
        income.append([row.get(c, "") for c in columns])
    workbook.save(HERE / "Income.sudah dilepas.id.20250401_20250430.xlsx")

    workbook = Workbook()
    reports = workbook.active
    reports.title = "Reports"
    reports.append(["Statement period", "2025/05/12 - 2025/05/18"])
    details = workbook.create_sheet("Order details")
    columns = headers("tiktok_settlement_headers.txt")
    details.append(columns)
    for row in TIKTOK_SETTLEMENT:
        details.append([row.get(c, "") for c in columns])
    workbook.save(HERE / "tiktok_settlement_20250512_20250518.xlsx")

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Transaction Report"
    sheet.append(["Laporan Transaksi Saldo Penjual"])
    sheet.append(["Username", "toko_kue_ika"])
    sheet.append(["Periode", "2025-04-01 - 2025-04-30"])
    for _ in range(14):
        sheet.append([])
    sheet["A10"] = "Saldo Awal"
    sheet["B10"] = "0"
    sheet["A11"] = "Saldo Akhir"
    sheet["B11"] = "39.750"
    sheet.append(headers("shopee_transaction_headers.txt"))
    for row in SHOPEE_TRANSACTIONS:
        sheet.append(row)
    workbook.save(HERE / "my_balance_transaction_report.shopee.20250401_20250430.xlsx")

    with open(HERE / "tiktok_withdrawals_202505.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers("tiktok_withdrawal_headers.txt"))
        writer.writerows(TIKTOK_WITHDRAWALS)


if __name__ == "__main__":
    main()
