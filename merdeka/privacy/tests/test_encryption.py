from __future__ import annotations

import base64
import os
import subprocess

import pytest
from django.conf import settings
from django.db import connection

from merdeka.core.tests.sqlite_files import sqlite_file_bytes
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.privacy import crypto, keys
from merdeka.privacy.crypto import DecryptionError
from merdeka.privacy.fields import PlaintextQueryError, Sealed

CANARY_NAME = "Kanari Wibisono Zqx"
CANARY_PHONE = "+6281298765432"
CANARY_EMAIL = "kanari.zqx@contoh.id"
CANARY_ADDRESS = "Jl. Kenari Canary No. 77"


def raw_column(customer, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM customers_customer WHERE id = %s", [customer.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def canary(ika_shop, in_shop):
    return customer_create(
        shop=ika_shop,
        name=CANARY_NAME,
        phone=CANARY_PHONE,
        email=CANARY_EMAIL,
        address=CANARY_ADDRESS,
    )


def reload(customer, in_shop):
    with in_shop(customer.shop):
        return Customer.objects.get(pk=customer.pk)


def test_it_stores_personal_data_only_as_ciphertext(canary, in_shop):
    for column, plain in [
        ("name", CANARY_NAME),
        ("phone", CANARY_PHONE),
        ("email", CANARY_EMAIL),
        ("address", CANARY_ADDRESS),
    ]:
        stored = raw_column(canary, column)
        assert plain not in stored
        assert plain.split()[0] not in stored
    fresh = reload(canary, in_shop)
    assert (fresh.name, fresh.phone, fresh.email, fresh.address) == (
        CANARY_NAME,
        CANARY_PHONE,
        CANARY_EMAIL,
        CANARY_ADDRESS,
    )


def test_it_encrypts_the_same_value_differently_each_time(ika_shop):
    a = customer_create(shop=ika_shop, name="Sama Saja")
    b = customer_create(shop=ika_shop, name="Sama Saja")
    assert raw_column(a, "name") != raw_column(b, "name")


def test_flipping_any_byte_of_a_ciphertext_makes_decryption_fail(canary, in_shop):
    token = raw_column(canary, "phone")
    blob = bytearray(base64.urlsafe_b64decode(token))
    failures = 0
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        sealed = base64.urlsafe_b64encode(bytes(tampered)).decode()
        with pytest.raises(DecryptionError):
            crypto.decrypt(
                sealed,
                shop_id=canary.shop_id,
                label="customers.customer",
                column="phone",
                row=str(canary.uid),
            )
        failures += 1
    assert failures == len(blob) > 40


def test_a_tampered_row_fails_loudly_instead_of_showing_ciphertext(canary, in_shop):
    token = raw_column(canary, "name")
    blob = bytearray(base64.urlsafe_b64decode(token))
    blob[-1] ^= 0xFF
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET name = %s WHERE id = %s",
            [base64.urlsafe_b64encode(bytes(blob)).decode(), canary.pk],
        )
    fresh = reload(canary, in_shop)
    with pytest.raises(DecryptionError):
        _ = fresh.name
    assert str(fresh.__dict__["name"]) == "•••"


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(canary, ika_shop, in_shop):
    other = customer_create(shop=ika_shop, name="Baris Lain", phone="+6281311112222")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET phone = %s WHERE id = %s",
            [raw_column(canary, "phone"), other.pk],
        )
    with pytest.raises(DecryptionError):
        _ = reload(other, in_shop).phone


def test_a_ciphertext_copied_to_another_column_does_not_decrypt(canary, in_shop):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET email = %s WHERE id = %s",
            [raw_column(canary, "phone"), canary.pk],
        )
    with pytest.raises(DecryptionError):
        _ = reload(canary, in_shop).email


def test_a_ciphertext_copied_to_another_shop_does_not_decrypt(canary, citra_shop, in_shop):
    stolen = customer_create(shop=citra_shop, name="Pelanggan Citra")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET name = %s, uid = %s WHERE id = %s",
            [raw_column(canary, "name"), raw_column(canary, "uid"), stolen.pk],
        )
    with pytest.raises(DecryptionError):
        _ = reload(stolen, in_shop).name


def test_a_wrong_master_key_cannot_open_the_data(canary, in_shop, settings):
    settings.MERDEKA_MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
    keys.forget_cached_keys()
    with pytest.raises(DecryptionError):
        _ = reload(canary, in_shop).name


def test_it_refuses_to_compare_an_encrypted_column_with_plain_text(canary, in_shop):
    with in_shop(canary.shop), pytest.raises(PlaintextQueryError):
        list(Customer.objects.filter(phone=CANARY_PHONE))


def test_nonces_never_repeat(ika_shop):
    version = crypto.active_data_key_version(ika_shop.pk)
    nonces = set()
    count = 20_000
    for _ in range(count):
        token = crypto.encrypt(
            "x", shop_id=ika_shop.pk, label="t", column="c", row="r", version=version
        )
        nonces.add(base64.urlsafe_b64decode(token)[5:17])
    assert len(nonces) == count


def test_blind_indexes_match_any_phone_format_but_differ_between_shops(
    ika_shop, citra_shop, in_shop
):
    a = customer_create(shop=ika_shop, name="A", phone="+6281234567890")
    b = customer_create(shop=citra_shop, name="B", phone="+6281234567890")
    assert a.phone_index and b.phone_index
    assert a.phone_index != b.phone_index
    assert CANARY_PHONE.lstrip("+") not in a.phone_index


def test_values_loaded_from_the_database_never_render_as_ciphertext(canary, in_shop):
    with in_shop(canary.shop):
        row = Customer.objects.values("name").get(pk=canary.pk)
    assert isinstance(row["name"], Sealed)
    assert str(row["name"]) == "•••"


def _canary_customers(shop, count=200):
    for i in range(count):
        customer_create(
            shop=shop,
            name=f"{CANARY_NAME} {i:04d}",
            phone=f"+62812{i:08d}"[:14],
            email=f"kanari{i}@contoh.id",
            address=f"{CANARY_ADDRESS} blok {i}",
        )


def _assert_no_canary(data: bytes):
    for needle in ("Kanari", "Wibisono", "kanari", "Jl. Kenari", "6281298765432", "0812987654"):
        assert needle.encode() not in data, needle
        assert needle.encode("utf-16-le") not in data, needle


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_file_holds_no_plaintext_personal_data(ika_shop, canary):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite file check")
    _canary_customers(ika_shop)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = sqlite_file_bytes(settings.DATABASES["default"]["NAME"])
    assert b"customers_customer" in data  # we really read the database
    _assert_no_canary(data)


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dump_holds_no_plaintext_personal_data(ika_shop, canary):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL dump check")
    _canary_customers(ika_shop)
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        env=env,
        check=True,
    ).stdout
    assert b"customers_customer" in dump
    _assert_no_canary(dump)
