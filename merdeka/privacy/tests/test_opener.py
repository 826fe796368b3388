"""``crypto.Opener`` (and ``core.portable.Columns`` that reads with it) opens exactly
what ``decrypt`` opens, and refuses exactly what it refuses: the whole-shop export reads
personal data through it."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from merdeka.core.portable import Columns
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.privacy import crypto
from merdeka.privacy.crypto import DecryptionError

LABEL = "customers.customer"


def raw(customer, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM customers_customer WHERE id = %s", [customer.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def customer(ika_shop, in_shop):
    return customer_create(
        shop=ika_shop, name="Dewi Ñandú 😀", phone="+6281298765432", address="Jl. Kenari 7"
    )


def test_it_opens_what_decrypt_opens(customer):
    opener = crypto.Opener(shop_id=customer.shop_id, label=LABEL)
    for column in ("name", "phone", "address"):
        token = raw(customer, column)
        expected = crypto.decrypt(
            token, shop_id=customer.shop_id, label=LABEL, column=column, row=str(customer.uid)
        )
        assert opener.open(token, column=column, row=customer.uid) == expected
        assert opener.open(token, column=column, row=str(customer.uid).encode()) == expected
    assert opener.open(None, column="email", row=customer.uid) is None


def test_it_refuses_a_flipped_byte_another_row_column_or_shop(customer, citra_shop):
    token = raw(customer, "phone")
    opener = crypto.Opener(shop_id=customer.shop_id, label=LABEL)
    blob = bytearray(base64.urlsafe_b64decode(token))
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            opener.open(
                base64.urlsafe_b64encode(bytes(tampered)).decode(),
                column="phone",
                row=customer.uid,
            )
    with pytest.raises(DecryptionError):
        opener.open(token, column="name", row=customer.uid)
    with pytest.raises(DecryptionError):
        opener.open(token, column="phone", row="00000000-0000-0000-0000-000000000000")
    with pytest.raises(DecryptionError):
        crypto.Opener(shop_id=citra_shop.pk, label=LABEL).open(
            token, column="phone", row=customer.uid
        )
    for broken in ("é" * 40, token[:20], "!!!!"):
        with pytest.raises(DecryptionError):
            opener.open(broken, column="phone", row=customer.uid)


def test_columns_read_rows_as_the_model_does(customer, ika_shop, in_shop):
    customer_create(shop=ika_shop, name="Tanpa Telepon")
    with in_shop(ika_shop):
        models = list(Customer.objects.filter(shop=ika_shop).order_by("pk"))
        columns = Columns(
            Customer, ("pk", "name", "phone", "province", "created_at"), shop=ika_shop
        )
        rows = [
            row
            for batch in columns.batches(Customer.objects.filter(shop=ika_shop), size=1)
            for row in batch
        ]
        plain = Columns(Customer, ("pk", "created_at"), shop=ika_shop, plain=True)
        texts = plain.rows(Customer.objects.filter(shop=ika_shop).order_by("pk"))
    assert rows == [[c.pk, c.name, c.phone, c.province, c.created_at] for c in models]
    assert texts == [[c.pk, c.created_at.isoformat()] for c in models]
    assert rows[1][2] is None
