"""An order's personal data (buyer username, recipient name, phone, street, city)
sealed together in one column, ``Order.personal``: read and written as before through
the order's attributes, never stored readable, bound to its row and shop, moved by key
rotation, opened once per order by the bulk readers, and the migration that reseals
the orders written the old way, one token per column."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from merdeka.core.portable import Columns
from merdeka.core.scoping import shop_scope
from merdeka.imports.tests.test_personal_data import plaintext_in_database
from merdeka.orders.models import PERSONAL, Order, personal_opener
from merdeka.privacy import crypto, services

VALUES = {
    "buyer_username": "wulan_kirana88",
    "recipient_name": "Wulandari Kirana Puspitasari",
    "recipient_phone": "+6281399887766",
    "street": 'Jl. Cempaka Putih No. 7, "blok" B\\2 — RT 03',
    "city": "Kota Probolinggo",
}


def make_order(shop, external_id="SP-1", **values):
    with shop_scope(shop):
        order = Order(
            shop=shop,
            channel="shopee",
            external_id=external_id,
            ordered_at=timezone.now(),
            **(values or VALUES),
        )
        order.save()
    return order


def stored(order_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute('SELECT "personal" FROM "orders_order" WHERE "id" = %s', [order_id])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_order_reads_and_writes_its_values_as_attributes_sealed_as_one(ika_shop):
    order = make_order(ika_shop)

    with shop_scope(ika_shop):
        again = Order.objects.get(pk=order.pk)
        assert {name: getattr(again, name) for name in PERSONAL} == VALUES
        index = Order._meta.get_field("city_index").index_for(ika_shop.pk, "kota probolinggo")
        assert again.city_index == index  # the city's blind index, from its member
        token = stored(order.pk)
        assert crypto.token_key_version(token) == again.key_version == 1
        assert isinstance(again.personal, str)  # opened: the values as one text

        again.street = "Gang Kenanga 2"  # one value changed, saved by its own name
        again.save(update_fields=["street"])
        reread = Order.objects.get(pk=order.pk)
        assert reread.street == "Gang Kenanga 2"
        assert reread.recipient_name == VALUES["recipient_name"]
        assert reread.city_index == index
        assert stored(order.pk) != token  # sealed anew, with a new nonce

        reread.city = "Kota Malang"
        reread.save(update_fields=["city", "village"])
        assert Order.objects.get(pk=order.pk).city_index == Order._meta.get_field(
            "city_index"
        ).index_for(ika_shop.pk, "KOTA MALANG")


@pytest.mark.django_db
def test_empty_values_are_absent_and_an_order_without_any_holds_nothing(ika_shop):
    bare = make_order(ika_shop, "SP-2", recipient_name="", street=None)
    partial = make_order(ika_shop, "SP-3", recipient_name="Dewi", city="")

    assert stored(bare.pk) is None
    with shop_scope(ika_shop):
        again = Order.objects.get(pk=bare.pk)
        assert [getattr(again, name) for name in PERSONAL] == [None] * 5
        assert again.city_index is None
        partial = Order.objects.get(pk=partial.pk)
        assert partial.recipient_name == "Dewi"
        assert (partial.buyer_username, partial.city, partial.city_index) == (None, None, None)


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_none_of_the_values_readable(ika_shop):
    make_order(ika_shop)

    for secret in ("Wulandari", "Puspitasari", "6281399887766", "Cempaka", "Probolinggo"):
        assert plaintext_in_database(secret) == [], secret


@pytest.mark.django_db
def test_a_value_moved_to_another_row_or_shop_does_not_open(ika_shop, citra_shop):
    order = make_order(ika_shop)
    other = make_order(ika_shop, "SP-2", recipient_name="Orang Lain")
    theirs = make_order(citra_shop, "SP-1", recipient_name="Pembeli Citra")
    token = stored(order.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "orders_order" SET "personal" = %s WHERE "id" IN (%s, %s)',
            [token, other.pk, theirs.pk],
        )

    with shop_scope(ika_shop):
        moved = Order.objects.get(pk=other.pk)
        with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
            moved.recipient_name  # noqa: B018 - the read is what is tested
        with pytest.raises(crypto.DecryptionError):
            personal_opener(ika_shop.pk)(token, moved.uid)
        assert Order.objects.get(pk=order.pk).recipient_name == VALUES["recipient_name"]
    with shop_scope(citra_shop):
        with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
            Order.objects.get(pk=theirs.pk).street  # noqa: B018
        with pytest.raises(crypto.DecryptionError):
            # not even with the row's own uid: the key and the shop are citra's
            personal_opener(citra_shop.pk)(token, order.uid)


@pytest.mark.django_db
def test_a_tampered_value_does_not_open(ika_shop):
    order = make_order(ika_shop)
    token = stored(order.pk)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "orders_order" SET "personal" = %s', [flipped])
    with shop_scope(ika_shop), pytest.raises(crypto.DecryptionError):
        Order.objects.get(pk=order.pk).city  # noqa: B018


@pytest.mark.django_db
def test_the_bulk_readers_open_each_order_once(ika_shop):
    first = make_order(ika_shop)
    second = make_order(ika_shop, "SP-2", recipient_name="Dewi", city="Kota Blitar")
    bare = make_order(ika_shop, "SP-3", recipient_name=None)
    names = ["pk", "city", "external_id", "recipient_name", "street", "note"]

    with shop_scope(ika_shop):
        columns = Columns(Order, names, shop=ika_shop)
        # the bundle is read once, never its members (they are no columns)
        assert [n for n in columns.read if n in (*PERSONAL, "personal")] == ["personal"]
        rows = columns.rows(Order.objects.filter(shop=ika_shop).order_by("pk"))
        plain = Columns(Order, names, shop=ika_shop, plain=True)
        raw = plain.rows(Order.objects.filter(shop=ika_shop).order_by("pk"))
        values = personal_opener(ika_shop.pk)
        opened = {
            pk: values(personal, uid)
            for pk, personal, uid in Order.objects.values_list("pk", "personal", "uid")
        }
    expected = [
        [first.pk, "Kota Probolinggo", "SP-1", VALUES["recipient_name"], VALUES["street"], None],
        [second.pk, "Kota Blitar", "SP-2", "Dewi", None, None],
        [bare.pk, None, "SP-3", None, None, None],
    ]
    assert rows == raw == expected
    assert opened[first.pk] == tuple(VALUES.values())
    assert opened[bare.pk] == (None,) * 5


@pytest.mark.django_db
def test_key_rotation_reseals_the_values_under_the_new_key(ika_shop):
    order = make_order(ika_shop)
    before = stored(order.pk)

    report = services.keys_rotate(shop=ika_shop)

    assert report.version == 2 and report.retired_versions == [1]
    after = stored(order.pk)
    assert after != before and crypto.token_key_version(after) == 2
    with shop_scope(ika_shop):
        again = Order.objects.get(pk=order.pk)
        assert again.key_version == 2
        assert {name: getattr(again, name) for name in PERSONAL} == VALUES


# -- the migration (orders 0011) --------------------------------------------------------

OLD_COLUMNS = ("buyer_username", "recipient_name", "recipient_phone", "street", "city")


def _old_columns() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "id", "shop_id", "uid", "key_version", "buyer_username", "recipient_name", '
            '"recipient_phone", "street", "city" FROM "orders_order" ORDER BY "id"'
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _opened_old(row) -> tuple:
    shop_id, uid, _version, *tokens = row
    uid = str(uuid.UUID(str(uid)))  # SQLite's text is not dashed
    return tuple(
        crypto.decrypt(token, shop_id=shop_id, label="orders.order", column=column, row=uid)
        if token
        else None
        for token, column in zip(tokens, OLD_COLUMNS, strict=True)
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_each_orders_five_tokens_as_one_and_back(ika_shop, citra_shop):
    kept = make_order(ika_shop, "SP-KEPT")  # written now, taken back and forth
    rotated = make_order(citra_shop, "SP-ROT", recipient_name="Pembeli Citra", city="Kota Kediri")
    services.keys_rotate(shop=citra_shop)  # its rows carry key version 2, v1 destroyed
    call_command("migrate", "orders", "0010", verbosity=0)
    try:
        # written the old way: one token per column, each bound to its column and row
        older = {
            "buyer_username": "budi_old",
            "recipient_name": "Budi Santoso Lama",
            "recipient_phone": "+6285711112222",
            "street": "Jl. Lama 1",
            "city": None,
        }
        uid = "7b7f2a1e-0c1f-4bd5-9a55-0d8a0a3c1f10"
        tokens = [
            crypto.encrypt(
                value, shop_id=ika_shop.pk, label="orders.order", column=column, row=uid, version=1
            )
            if value
            else None
            for column, value in older.items()
        ]
        at = dt.datetime(2025, 5, 1, 10, tzinfo=dt.UTC)
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "orders_order" ("shop_id", "uid", "key_version", "channel", '
                '"external_id", "status", "status_raw", "ordered_at", "village", "district", '
                '"province", "postal_code", "delivery_method", "payment_method", '
                '"buyer_username", "recipient_name", "recipient_phone", "street", "city", '
                '"created_at", "updated_at") '
                "VALUES (%s, %s, 1, 'shopee', 'SP-OLD', 'new', '', %s, '', '', '', '', '', '', "
                "%s, %s, %s, %s, %s, %s, %s)",
                [ika_shop.pk, uid.replace("-", "") if connection.vendor == "sqlite" else uid,
                 at, *tokens, at, at],
            )  # fmt: skip
            cursor.execute(
                'INSERT INTO "orders_order" ("shop_id", "uid", "key_version", "channel", '
                '"external_id", "status", "status_raw", "ordered_at", "village", "district", '
                '"province", "postal_code", "delivery_method", "payment_method", "created_at", '
                '"updated_at") '
                "VALUES (%s, %s, 0, 'manual', 'M-BARE', 'new', '', %s, '', '', '', '', '', '', "
                "%s, %s)",
                [ika_shop.pk, "0" * 32, at, at, at],
            )
        # taken back, the orders written since are one token per column again
        apart = _old_columns()
        assert _opened_old(apart[kept.pk]) == tuple(VALUES.values())
        assert crypto.token_key_version(apart[rotated.pk][4]) == 2
        assert _opened_old(apart[rotated.pk]) == (None, "Pembeli Citra", None, None, "Kota Kediri")
    finally:
        call_command("migrate", verbosity=0)

    with shop_scope(ika_shop):
        old = Order.objects.get(external_id="SP-OLD")
        assert tuple(getattr(old, name) for name in PERSONAL) == tuple(older.values())
        assert old.key_version == 1 and crypto.token_key_version(stored(old.pk)) == 1
        again = Order.objects.get(pk=kept.pk)
        assert {name: getattr(again, name) for name in PERSONAL} == VALUES
        bare = Order.objects.get(external_id="M-BARE")
        assert stored(bare.pk) is None and bare.recipient_name is None
    with shop_scope(citra_shop):
        again = Order.objects.get(pk=rotated.pk)
        assert again.key_version == 2 and crypto.token_key_version(stored(rotated.pk)) == 2
        assert (again.recipient_name, again.city) == ("Pembeli Citra", "Kota Kediri")
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(
            cursor, "orders_order")}  # fmt: skip
    assert "personal" in columns and not columns & set(OLD_COLUMNS)
    for secret in ("Budi Santoso", "6285711112222", "Pembeli Citra", "Wulandari"):
        assert plaintext_in_database(secret, tables=["orders_order"]) == [], secret


def test_the_values_are_written_as_json_writes_them_and_read_back_whole():
    field = Order._meta.get_field("personal")
    awkward = ['a"b\\c', "baris\nbaru\t\x1f\x00", "\u2028\u2029é 👍", "  ", "null", "[1]"]
    for values in (
        awkward[:5],
        [None, "Dewi", None, None, None],
        ["x", "", None, "", ""],
        [None] * 5,
        awkward[1:],
    ):
        text = field.encode(values)
        kept = [v or None for v in values]
        while kept and kept[-1] is None:
            kept.pop()
        assert text == (json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if kept else "")
        assert field.decode(text) == tuple(v or None for v in values)
    with pytest.raises(ValueError):
        field.encode(["only", "four", "of", "them"])
    with pytest.raises(crypto.DecryptionError):
        field.decode('["1","2","3","4","5","6"]')
