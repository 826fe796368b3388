"""Writes the small, real-shaped marketplace exports the importer tests read.

    .venv/bin/python merdeka/imports/tests/data/marketplaces/make_samples.py

Header lists are the research copies beside this file; values are invented, shaped
like the real ones (masked buyers, text amounts, description rows, title rows).
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def headers(name: str) -> list[str]:
    return [line.strip() for line in (HERE / name).read_text().splitlines() if line.strip()]


def shopee_rows():
    base = {
        "Metode Pembayaran": "COD",
        "Opsi Pengiriman": "SPX Standard",
        "Jumlah Produk di Pesan": "1",
    }
    return [
        {**base, "No. Pesanan": "2504226A23B55PX", "Status Pesanan": "Selesai",
         "Waktu Pesanan Dibuat": "2025-04-22 10:15", "Waktu Pembayaran Dilakukan": "2025-04-22 10:20",
         "Nama Produk": "Nastar Keju Premium", "Nama Variasi": "500 gr", "Nomor Referensi SKU": "NST-500",
         "Harga Setelah Diskon": "85.000", "Jumlah": "2", "Total Harga Produk": "170.000",
         "Total Pembayaran": "269.000", "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
         "Username (Pembeli)": "sitinur88", "Nama Penerima": "S***a", "No. Telepon": "62812****7801",
         "Alamat Pengiriman": "******", "Kota/Kabupaten": "KOTA BANDUNG", "Provinsi": "JAWA BARAT"},
        {**base, "No. Pesanan": "2504226A23B55PX", "Status Pesanan": "Selesai",
         "Waktu Pesanan Dibuat": "2025-04-22 10:15", "Waktu Pembayaran Dilakukan": "2025-04-22 10:20",
         "Nama Produk": "Kastengel Edam", "Nama Variasi": "", "Nomor Referensi SKU": "KST-1",
         "Harga Setelah Diskon": "90.000", "Jumlah": "1", "Total Harga Produk": "90.000",
         "Total Pembayaran": "269.000", "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
         "Username (Pembeli)": "sitinur88", "Nama Penerima": "S***a", "No. Telepon": "62812****7801",
         "Alamat Pengiriman": "******", "Kota/Kabupaten": "KOTA BANDUNG", "Provinsi": "JAWA BARAT"},
        {**base, "No. Pesanan": "2504236B11CDEQY", "Status Pesanan": "Belum Bayar",
         "Waktu Pesanan Dibuat": "2025-04-23 19:02", "Waktu Pembayaran Dilakukan": "",
         "Nama Produk": "Putri Salju", "Nama Variasi": "250 gr", "Nomor Referensi SKU": "PS-250",
         "Harga Setelah Diskon": "55.000", "Jumlah": "1", "Total Harga Produk": "55.000",
         "Total Pembayaran": "64.000", "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
         "Username (Pembeli)": "budi.santoso", "Nama Penerima": "Budi Santoso",
         "No. Telepon": "6281322334455", "Alamat Pengiriman": "Perum Griya Asri B2/7, Depok",
         "Kota/Kabupaten": "KAB. SLEMAN", "Provinsi": "D.I. YOGYAKARTA"},
        {**base, "No. Pesanan": "2504246C9XYZ12A", "Status Pesanan": "Dikirim",
         "Waktu Pesanan Dibuat": "2025-04-24 08:45", "Waktu Pembayaran Dilakukan": "2025-04-24 08:46",
         "Nama Produk": "Nastar Keju Premium", "Nama Variasi": "250 gr", "Nomor Referensi SKU": "NST-250",
         "Harga Setelah Diskon": "45.000", "Jumlah": "3", "Total Harga Produk": "135.000",
         "Total Pembayaran": "144.000", "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
         "Username (Pembeli)": "sitinur88", "Nama Penerima": "S***a", "No. Telepon": "62812****7801",
         "Alamat Pengiriman": "******", "Kota/Kabupaten": "KOTA BANDUNG", "Provinsi": "JAWA BARAT"},
    ]  # fmt: skip


def write_xlsx(path: Path, sheet: str, rows: list[list]):
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    workbook.save(path)


def main():
    columns = headers("shopee_headers.txt")
    rows = [columns] + [[row.get(c, "") for c in columns] for row in shopee_rows()]
    write_xlsx(HERE / "Order.all.20250401_20250430.xlsx", "orders", rows)

    english = {
        "No. Pesanan": "Order ID", "Status Pesanan": "Order Status",
        "Waktu Pesanan Dibuat": "Order Creation Date", "Nama Produk": "Product Name",
        "Nama Variasi": "Variation Name", "Nomor Referensi SKU": "SKU Reference No.",
        "Harga Setelah Diskon": "Deal Price", "Jumlah": "Quantity",
        "Total Harga Produk": "Product Subtotal", "Total Pembayaran": "Grand Total",
        "Username (Pembeli)": "Username (Buyer)", "Nama Penerima": "Receiver Name",
        "No. Telepon": "Phone Number", "Alamat Pengiriman": "Delivery Address",
        "Kota/Kabupaten": "City", "Provinsi": "Province",
    }  # fmt: skip
    en_status = {"Selesai": "Completed", "Belum Bayar": "Unpaid", "Dikirim": "Shipping"}
    with open(HERE / "shopee_english.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(english.values())
        for row in shopee_rows():
            values = []
            for indonesian in english:
                value = row.get(indonesian, "")
                if indonesian == "Status Pesanan":
                    value = en_status[value]
                if indonesian in ("Harga Setelah Diskon", "Total Harga Produk", "Total Pembayaran"):
                    value = value.replace(".", ",")
                values.append(value)
            writer.writerow(values)

    tiktok = headers("tiktok_headers.txt")
    described = {"Order ID": "Platform unique order ID.", "Order Status": "Current order status."}
    tt_rows = [
        {"Order ID": "578123456789012345", "Order Status": "Selesai",
         "Created Time": "05/05/2025 14:03:11", "Paid Time": "05/05/2025 14:04:00",
         "Product Name": "Rendang Daging 500 gr", "Variation": "Pedas", "Quantity": "1",
         "Seller SKU": "RND-500", "SKU Unit Original Price": "125000",
         "SKU Subtotal After Discount": "115000", "Order Amount": "124000",
         "Shipping Fee After Discount": "9000", "Buyer Username": "dewi.anggraini\t",
         "Recipient": "Dewi Anggraini", "Phone # ": "", "Phone #": "(+62)857****3344",
         "Zipcode": "60111", "Province": "Jawa Timur", "Regency and City": "Kota Surabaya",
         "Districts": "Gubeng", "Villages": "Airlangga", "Detail Address": "Gg. Mawar 3",
         "Tokopedia Invoice Number": ""},
        {"Order ID": "578123456789012346", "Order Status": "Dibatalkan",
         "Created Time": "06/05/2025 09:30:00", "Paid Time": "",
         "Product Name": "Sambal Cumi", "Variation": "", "Quantity": "2", "Seller SKU": "SC-1",
         "SKU Unit Original Price": "45000", "SKU Subtotal After Discount": "90000",
         "Order Amount": "99000", "Shipping Fee After Discount": "9000",
         "Buyer Username": "andi_pratama", "Recipient": "Andi Pratama", "Phone #": "6285211223344",
         "Zipcode": "90111", "Province": "Sulawesi Selatan", "Regency and City": "Kota Makassar",
         "Districts": "Panakkukang", "Villages": "Pandang", "Detail Address": "Jl. Boulevard 2",
         "Tokopedia Invoice Number": ""},
    ]  # fmt: skip
    rows = [tiktok, [described.get(c, "") for c in tiktok]]
    rows += [[row.get(c, "") for c in tiktok] for row in tt_rows]
    write_xlsx(HERE / "tiktok_OrderSKUList.xlsx", "OrderSKUList", rows)

    legacy = headers("tokopedia_legacy_headers.txt")
    tp_rows = [
        {"Nomor": "1", "Nomor Invoice": "INV/20230115/MPL/2930011223",
         "Tanggal Pembayaran": "15-01-2023", "Waktu Pembayaran": "",
         "Status Terakhir": "Pesanan Selesai", "Nama Produk": "Keripik Tempe Original",
         "Jumlah Produk Dibeli": "4", "Harga Jual (IDR)": "15.000",
         "Total Penjualan (IDR)": "69.000", "Total Biaya Pengiriman (IDR)": "9.000",
         "Nama Pembeli": "Rina Wulandari", "No Telp Pembeli": "0812-5555-6666",
         "Nama Penerima": "Rina Wulandari", "No Telp Penerima": "0812-5555-6666",
         "Alamat Pengiriman": "Jl. Kenanga 8", "Kota": "Kota Malang", "Provinsi": "Jawa Timur"},
    ]  # fmt: skip
    legacy_columns = [*legacy[:3], "Waktu Pembayaran", *legacy[3:]]
    rows = [
        ["Laporan Penjualan"],
        ["Toko: Dapur Kue Bu Ika"],
        ["Periode: 01-01-2023 s/d 31-01-2023"],
        legacy_columns,
    ] + [[row.get(c, "") for c in legacy_columns] for row in tp_rows]
    rows[-1][legacy_columns.index("Waktu Pembayaran")] = "13:45:10"
    write_xlsx(HERE / "tokopedia_laporan_penjualan.xlsx", "Sheet1", rows)

    lazada = headers("lazada_headers.txt")
    lz_rows = [
        {"orderItemId": "101", "orderNumber": "290012345678901", "status": "delivered",
         "createTime": "10 May 2025 11:20", "itemName": "Bolu Pandan", "variation": "Besar",
         "unitPrice": "65,000.00", "paidPrice": "65,000.00", "shippingFee": "10,000.00",
         "customerName": "Putri Lestari", "customerEmail": "putri.lestari@example.id",
         "shippingName": "Putri Lestari", "shippingAddress": "Jl. Anggrek 12",
         "shippingPhone": "081311112222", "shippingCity": "Kota Bogor",
         "shippingRegion": "Jawa Barat", "shippingPostCode": "16111"},
    ]  # fmt: skip
    with open(HERE / "lazada_orders.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(lazada)
        for row in lz_rows:
            writer.writerow([row.get(c, "") for c in lazada])


if __name__ == "__main__":
    main()
