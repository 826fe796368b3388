"""The marketplaces Merdeka reads, as specs for the order engine (formats/orders.py).

Header lists: tests/data/marketplaces/*_headers.txt. Map by name, never by position.
"""

from __future__ import annotations

import re

from merdeka.imports.formats.orders import Spec

SHOPEE = Spec(
    source="shopee",
    channel="shopee",
    sheet_hints=("orders",),
    aliases={
        # Indonesian Seller Centre
        "No. Pesanan": "order_id",
        "Status Pesanan": "status",
        "Waktu Pesanan Dibuat": "created_at",
        "Waktu Pembayaran Dilakukan": "paid_at",
        "Nomor Referensi SKU": "sku",
        "Nama Produk": "product",
        "Nama Variasi": "variant",
        "Harga Setelah Diskon": "unit_price",
        "Jumlah": "quantity",
        "Total Harga Produk": "line_total",
        "Total Pembayaran": "order_total",
        "Ongkos Kirim Dibayar oleh Pembeli": "shipping_fee",
        "Voucher Ditanggung Penjual": "discount_seller",
        "Voucher Ditanggung Shopee": "discount_platform",
        "Potongan Koin Shopee": "discount_coins",
        "Diskon Kartu Kredit": "discount_card",
        "Username (Pembeli)": "username",
        "Nama Penerima": "recipient",
        "No. Telepon": "phone",
        "Alamat Pengiriman": "street",
        "Kota/Kabupaten": "city",
        "Provinsi": "province",
        # English Seller Centre
        "Order ID": "order_id",
        "Order Status": "status",
        "Order Creation Date": "created_at",
        "Order Paid Time": "paid_at",
        "SKU Reference No.": "sku",
        "Product Name": "product",
        "Variation Name": "variant",
        "Deal Price": "unit_price",
        "Quantity": "quantity",
        "Product Subtotal": "line_total",
        "Grand Total": "order_total",
        "Buyer Paid Shipping Fee": "shipping_fee",
        "Username (Buyer)": "username",
        "Receiver Name": "recipient",
        "Phone Number": "phone",
        "Delivery Address": "street",
        "Town": "village",
        "District": "district",
        "City": "city",
        "Province": "province",
        "Zip Code": "postal_code",
    },
    required=("order_id", "status", "created_at", "product", "username"),
    signature=("username",),
    statuses={
        "belum bayar": "awaiting_payment",
        "perlu dikirim": "paid",
        "sedang dikemas": "processing",
        "dikirim": "shipped",
        "sedang dikirim": "shipped",
        "selesai": "completed",
        "pesanan diterima": "completed",
        "batal": "cancelled",
        "dibatalkan": "cancelled",
        "pengembalian": "returned",
        "unpaid": "awaiting_payment",
        "to ship": "paid",
        "shipping": "shipped",
        "completed": "completed",
        "cancelled": "cancelled",
        "return/refund": "returned",
    },
)

TIKTOK = Spec(
    source="tiktok",
    channel="tiktok",
    sheet_hints=("OrderSKUList",),
    aliases={
        "Order ID": "order_id",
        "Order Status": "status",
        "Created Time": "created_at",
        "Paid Time": "paid_at",
        "Seller SKU": "sku",
        "Product Name": "product",
        "Variation": "variant",
        "Quantity": "quantity",
        "SKU Unit Original Price": "unit_price",
        "SKU Subtotal After Discount": "line_total",
        "Order Amount": "order_total",
        "Shipping Fee After Discount": "shipping_fee",
        "Payment platform discount": "discount_platform",
        "Buyer Username": "username",
        "Recipient": "recipient",
        "Phone #": "phone",
        "Zipcode": "postal_code",
        "Province": "province",
        "Regency and City": "city",
        "Districts": "district",
        "Villages": "village",
        "Detail Address": "street",
        "Tokopedia Invoice Number": "tokopedia_invoice",
    },
    required=("order_id", "status", "created_at", "product", "username"),
    signature=("username", "city", "village"),
    order_id_pattern=re.compile(r"\d{6,}"),
    # Tokopedia's orders now come in TikTok Shop's export, each with its Tokopedia
    # invoice number; the TikTok Shop orders beside them have none
    channel_when=("tokopedia_invoice", "tokopedia"),
    statuses={
        "belum dibayar": "awaiting_payment",
        "unpaid": "awaiting_payment",
        "menunggu pengiriman": "paid",
        "perlu dikirim": "paid",
        "awaiting shipment": "paid",
        "awaiting collection": "processing",
        "dikirim": "shipped",
        "in transit": "shipped",
        "shipped": "shipped",
        "terkirim": "completed",
        "delivered": "completed",
        "selesai": "completed",
        "completed": "completed",
        "dibatalkan": "cancelled",
        "cancelled": "cancelled",
        "canceled": "cancelled",
    },
)


def _tokopedia_times(row: dict) -> None:
    """Legacy Tokopedia: date and time in separate columns."""
    if row.get("paid_date"):
        row["created_at"] = f"{row['paid_date']} {row.get('paid_time', '')}".strip()
        row["paid_at"] = row["created_at"]


TOKOPEDIA_LEGACY = Spec(
    source="tokopedia",
    channel="tokopedia",
    aliases={
        "Nomor Invoice": "order_id",
        "Status Terakhir": "status",
        "Tanggal Pembayaran": "paid_date",
        "Waktu Pembayaran": "paid_time",
        "Nomor SKU": "sku",
        "Nama Produk": "product",
        "Jumlah Produk Dibeli": "quantity",
        "Harga Jual (IDR)": "unit_price",
        "Total Penjualan (IDR)": "order_total",
        "Total Biaya Pengiriman (IDR)": "shipping_fee",
        "Nama Pembeli": "buyer_name",
        "No Telp Pembeli": "buyer_phone",
        "Nama Penerima": "recipient",
        "No Telp Penerima": "phone",
        "Alamat Pengiriman": "street",
        "Kota": "city",
        "Provinsi": "province",
    },
    required=("order_id", "status", "paid_date", "product"),
    signature=("paid_date", "buyer_name"),
    combine=_tokopedia_times,
    order_id_pattern=re.compile(r"INV/.+|\d+"),
    statuses={
        "pesanan selesai": "completed",
        "selesai": "completed",
        "pesanan dibatalkan": "cancelled",
        "dibatalkan": "cancelled",
        "pesanan dikirim": "shipped",
        "dikirim": "shipped",
        "pesanan diproses": "processing",
        "menunggu konfirmasi": "paid",
        "pesanan tiba": "completed",
    },
)


def _tokopedia_username(row: dict) -> None:
    _tokopedia_times(row)
    # legacy Tokopedia has no buyer username; the buyer's name and phone identify them
    row.setdefault("username", "")


TOKOPEDIA_LEGACY.combine = _tokopedia_username

LAZADA = Spec(
    source="lazada",
    channel="lazada",
    sheet_hints=("sheet1",),
    aliases={
        "orderNumber": "order_id",
        "Order Number": "order_id",
        "status": "status",
        "Status": "status",
        "createTime": "created_at",
        "Created at": "created_at",
        "sellerSku": "sku",
        "Seller SKU": "sku",
        "itemName": "product",
        "Item Name": "product",
        "variation": "variant",
        "Variation": "variant",
        "unitPrice": "unit_price",
        "Unit Price": "unit_price",
        "paidPrice": "line_total",
        "Paid Price": "line_total",
        "shippingFee": "shipping_fee",
        "Shipping Fee": "shipping_fee",
        "customerName": "buyer_name",
        "Customer Name": "buyer_name",
        "customerEmail": "email",
        "Customer Email": "email",
        "shippingName": "recipient",
        "Shipping Name": "recipient",
        "shippingAddress": "street",
        "Shipping Address": "street",
        "shippingPhone": "phone",
        "Shipping Phone Number": "phone",
        "shippingCity": "city",
        "Shipping City": "city",
        "shippingPostCode": "postal_code",
        "Shipping Postcode": "postal_code",
        "shippingRegion": "province",
        "Shipping Region": "province",
    },
    required=("order_id", "status", "created_at", "product"),
    signature=("recipient", "buyer_name", "line_total"),
    statuses={
        "pending": "paid",
        "ready_to_ship": "processing",
        "shipped": "shipped",
        "delivered": "completed",
        "confirmed": "completed",
        "canceled": "cancelled",
        "cancelled": "cancelled",
        "returned": "returned",
        "unpaid": "awaiting_payment",
    },
)

SPECS = [SHOPEE, TIKTOK, TOKOPEDIA_LEGACY, LAZADA]
