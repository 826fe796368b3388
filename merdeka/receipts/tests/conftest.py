"""Receipts as the reader would give them (no OCR here: ``Reading`` objects are built
by hand, and the reader is monkeypatched where the task runs)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from merdeka.receipts import reader
from merdeka.storefront.tests.conftest import make_product


def photo(name="struk.jpg", size=(300, 600), fmt="JPEG") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 250, 245)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), f"image/{fmt.lower()}")


def item(name, qty, unit, total=None, confidence=0.99) -> reader.ReadItem:
    qty = Decimal(str(qty))
    return reader.ReadItem(
        name, qty, unit, total if total is not None else int(qty * unit), confidence
    )


def reading(
    items, *, store="TOKO SEMBAKO MAKMUR", total=None, day=None, needs_review=False, reasons=(),
    discount=0, tax=0,
) -> reader.Reading:  # fmt: skip
    items = tuple(items)
    if total is None:
        total = sum(i.total for i in items) - discount + tax
    return reader.Reading(
        store=store,
        date=day or dt.date(2026, 11, 20),
        time=None,
        items=items,
        discount=discount,
        tax=tax,
        total=total,
        payment="TUNAI",
        needs_review=needs_review,
        reasons=tuple(reasons),
        width=300,
        height=600,
    )


@pytest.fixture
def read_as(monkeypatch):
    """``read_as(reading)``: the reader answers every photo with it (or raises it)."""

    def install(answer):
        def fake(data: bytes):
            assert data[:4] == b"RIFF"  # the stored photo is the re-encoded WebP
            if isinstance(answer, BaseException):
                raise answer
            return answer

        monkeypatch.setattr(reader, "receipt_read", fake)

    return install


@pytest.fixture
def susu(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Susu Kental Manis", stock=0)
    return variant
