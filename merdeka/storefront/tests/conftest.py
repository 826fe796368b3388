"""Fixtures of the storefront tests: Bu Ika's online shop with a product in stock."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.text import slugify

from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockLocation
from merdeka.core.scoping import shop_scope
from merdeka.storefront.models import StorefrontSettings
from merdeka.storefront.services import storefront_ensure


def crc16_ccitt_false(data: bytes) -> str:
    """CRC-16/CCITT-FALSE bit by bit, independent of the code under test."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def static_qris(name: str = "DAPUR KUE BU IKA", city: str = "KOTA BANDUNG") -> str:
    """A real-shaped static QRIS (made-up merchant): an acquirer template like a bank's,
    the national QRIS template with an NMID, and tag 62 with a terminal label."""
    body = (
        tlv("00", "01")
        + tlv("01", "11")
        + tlv(
            "26",
            tlv("00", "COM.NOBUBANK.WWW")
            + tlv("01", "936005030000012345")
            + tlv("02", "12345678901234")
            + tlv("03", "UMI"),
        )
        + tlv("51", tlv("00", "ID.CO.QRIS.WWW") + tlv("02", "ID1020012345678") + tlv("03", "UMI"))
        + tlv("52", "5812")
        + tlv("53", "360")
        + tlv("58", "ID")
        + tlv("59", name)
        + tlv("60", city)
        + tlv("61", "40115")
        + tlv("62", tlv("07", "A01"))
        + "6304"
    )
    return body + crc16_ccitt_false(body.encode())


def tlv_decode(payload: str) -> dict[str, str]:
    found, pos = {}, 0
    while pos < len(payload):
        tag, length = payload[pos : pos + 2], int(payload[pos + 2 : pos + 4])
        found[tag] = payload[pos + 4 : pos + 4 + length]
        pos += 4 + length
    return found


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Cached storefront pages never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english():
    """Service messages checked in their source language (the UI tests read Indonesian)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def qris_static():
    return static_qris()


@pytest.fixture
def storefront(ika_shop, qris_static):
    settings = storefront_ensure(shop=ika_shop)
    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=settings.pk).update(
            qris_payload=qris_static,
            qris_merchant="DAPUR KUE BU IKA",
            whatsapp="+6281311112222",
            bank_accounts=[{"name": "BCA", "number": "1234567890", "holder": "Ika Rahmawati"}],
            pickup_enabled=True,
            pickup_address="Jl. Mawar No. 3, Bandung",
            courier_enabled=True,
            courier_flat_fee=Decimal(20000),
            cod_enabled=True,
        )
        settings.refresh_from_db()
    return settings


def make_product(shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),), **kwargs):
    product = catalog.product_save(
        shop=shop,
        name=name,
        description=kwargs.get("description", "Lapis legit wisman, 20 lapis."),
        category_id=None,
        is_published=kwargs.get("is_published", True),
        variants=[
            catalog.VariantInput(
                pk=None,
                size=f"{20 * (i + 1)} cm" if len(prices) > 1 else "",
                flavour="",
                sku=f"{slugify(name)[:30].upper()}-{shop.pk}-{i}",
                price=price,
                weight_grams=800,
                track_stock=stock is not None,
            )
            for i, price in enumerate(prices)
        ],
    )
    location = catalog.location_default(shop=shop)
    with shop_scope(shop):
        variants = list(product.variants.filter(is_active=True))
    if stock is not None:
        for variant in variants:
            catalog.stock_adjust(shop=shop, variant=variant, location=location, on_hand=stock)
    return product, variants


@pytest.fixture
def lapis(ika_shop):
    product, variants = make_product(ika_shop)
    return product, variants[0]


@pytest.fixture
def home(ika_shop) -> StockLocation:
    return catalog.location_default(shop=ika_shop)
