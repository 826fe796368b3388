"""What an import stores about people: nothing in plain text, and nothing after erasure.

Through the boundaries a seller meets: ``merdeka import`` run as a person runs it, the
import and customer pages, and the erasure form. The database is read raw (every table;
on SQLite also the file itself) on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.core.tests.sqlite_files import sqlite_file_bytes
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.imports.models import ImportFile
from merdeka.imports.tests.test_hostile_files import merdeka
from merdeka.orders.models import Order

DATA = Path(__file__).parent / "data"
CHAT = DATA / "whatsapp" / "Chat WhatsApp dengan Siti Nurhaliza.txt"
SHOPEE_HEADER = (
    "Order ID;Order Status;Order Creation Date;Product Name;Quantity;Deal Price;"
    "Username (Buyer);Receiver Name;Phone Number;City;Province\n"
)
SHOPEE_ROW = (
    "2505010000009X;Completed;2025-05-03 10:00;Nastar Keju;1;85,000;pembeli9;"
    "Lestari Handayani;6281234500009;Kota Cirebon;Jawa Barat\n"
)


def plaintext_in_database(text: str, *, tables=None) -> list[str]:
    """Where ``text`` is stored readable: the tables (and columns) holding it, and on
    SQLite the database file or its log."""
    found = []
    needle = text.casefold()
    with connection.cursor() as cursor:
        for table in tables or connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    if needle in str(value).casefold():
                        found.append(f"{table}.{name}")
    if connection.vendor == "sqlite" and tables is None:
        path = Path(connection.settings_dict["NAME"])
        for suffix in ("", "-wal"):
            if text.encode() in sqlite_file_bytes(path, (suffix,)):
                found.append(f"{path.name}{suffix}")
    return sorted(set(found))


@pytest.mark.django_db(transaction=True)
def test_a_chats_file_name_is_sealed_shown_to_the_seller_and_erased_with_the_customer(
    client, ika, ika_shop, tmp_path
):
    person = "Kartika Sulistyowati Ningrum"
    chat = tmp_path / f"Chat WhatsApp dengan {person}.txt"
    chat.write_text(CHAT.read_text().replace("Siti Nurhaliza", person), encoding="utf-8")

    done = merdeka("import", chat, "--shop", ika_shop.slug, "--json")

    assert done.returncode == 0, done.stdout + done.stderr
    run_id = json.loads(done.stdout)["run"]
    assert plaintext_in_database("Sulistyowati") == []
    client.force_login(ika)
    run_page = reverse("import_run", args=[run_id])
    assert chat.name in client.get(run_page).content.decode()  # the seller reads it
    assert chat.name in client.get(reverse("import_home")).content.decode()
    with shop_scope(ika_shop):
        customer = Customer.objects.get()
    assert customer.name == person

    erased = client.post(reverse("customer_erase", args=[customer.pk]), {"confirm": "HAPUS"})

    assert erased.status_code == 302
    page = client.get(run_page).content.decode()
    assert "Sulistyowati" not in page and "(nama dihapus)" in page
    with connection.cursor() as cursor:
        cursor.execute('SELECT "name" FROM "imports_importfile"')
        assert cursor.fetchall() == [(None,)]  # not even its ciphertext is left
    with shop_scope(ika_shop):
        assert ImportFile.objects.get().display_name.endswith("(nama dihapus)")


@pytest.mark.django_db(transaction=True)
def test_an_imported_city_is_stored_sealed_and_the_list_finds_it_by_its_blind_index(
    client, ika, ika_shop, tmp_path
):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    path.write_text(
        "Order ID;Order Status;Order Creation Date;Product Name;Quantity;Deal Price;"
        "Username (Buyer);Receiver Name;Phone Number;City;Province\n"
        "2505010000001X;Completed;2025-05-01 10:00;Nastar Keju;1;85,000;pembeli1;"
        "Rahmi Yuliani;6281234500001;Kota Tasikmalaya;Jawa Barat\n"
        "2505010000002X;Completed;2025-05-02 10:00;Nastar Keju;2;85,000;pembeli2;"
        "Dodi Firmansyah;6281234500002;Kota Bandung;Jawa Barat\n",
        encoding="utf-8",
    )

    done = merdeka("import", path, "--shop", ika_shop.slug)

    assert done.returncode == 0, done.stdout + done.stderr
    # neither the customers' nor the orders' rows, nor the database file, hold the city
    assert plaintext_in_database("Tasikmalaya") == []
    with shop_scope(ika_shop):
        order = Order.objects.get(external_id="2505010000001X")
        assert order.city == "Kota Tasikmalaya"  # read back, decrypted
        index = Order._meta.get_field("city_index").index_for(ika_shop.pk, "kota tasikmalaya")
        assert Order.objects.filter(city_index=index).get() == order
    client.force_login(ika)
    listed = client.get(reverse("customer_list"), {"city": "  kota   TASIKMALAYA "})
    page = listed.content.decode()
    assert "Rahmi Yuliani" in page and "Dodi Firmansyah" not in page
    assert "Kota Tasikmalaya" in page  # shown to the seller, decrypted
    assert (
        "Rahmi Yuliani"
        not in client.get(reverse("customer_list"), {"city": "Kota Tasik"}).content.decode()
    )  # a blind index finds the whole city only


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migrations_seal_the_cities_and_file_names_already_stored(ika_shop, tmp_path):
    with shop_scope(ika_shop):
        customer = customer_create(shop=ika_shop, name="Wulan Sari", phone="0812 1111 2222")
    path = tmp_path / "Order.all.20250501_20250531.csv"
    path.write_text(SHOPEE_HEADER + SHOPEE_ROW, encoding="utf-8")
    call_command("import", str(path), shop=ika_shop.slug, stdout=io.StringIO())
    with shop_scope(ika_shop):  # the order stays; its import's records predate 0004
        ImportFile.objects.all().delete()
    call_command("migrate", "orders", "0006", verbosity=0)
    call_command("migrate", "customers", "0012", verbosity=0)
    call_command("migrate", "imports", "0003", verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                'UPDATE "customers_customer" SET "city" = %s WHERE "id" = %s',
                ["Kota Pekalongan", customer.pk],
            )
            cursor.execute(
                'UPDATE "customers_customerstats" SET "city" = %s WHERE "customer_id" = %s',
                ["Kota Pekalongan", customer.pk],
            )
            cursor.execute('UPDATE "orders_order" SET "city" = %s', ["Kota Pekalongan"])
            cursor.execute(
                'INSERT INTO "imports_importrun" ("shop_id", "state", "review_waiting", '
                '"created_at") VALUES (%s, %s, 0, CURRENT_TIMESTAMP)',
                [ika_shop.pk, "done"],
            )
            cursor.execute('SELECT MAX("id") FROM "imports_importrun"')
            (run_id,) = cursor.fetchone()
            cursor.execute(
                'INSERT INTO "imports_importfile" ("shop_id", "run_id", "name", "size", '
                '"sha256", "source", "state", "rows_read", "progress", "report") '
                "VALUES (%s, %s, %s, 10, '', 'whatsapp', 'imported', 1, 1, '{}')",
                [ika_shop.pk, run_id, "Chat WhatsApp dengan Wulan Pekalongan.txt"],
            )
    finally:
        call_command("migrate", verbosity=0)

    # the tables only: a SQLite file keeps its old pages in the write-ahead log until the
    # next checkpoint (an erasure forces one; a migration leaves it to SQLite)
    assert plaintext_in_database("Pekalongan", tables=connection.introspection.table_names()) == []
    with shop_scope(ika_shop):
        customer = Customer.objects.get(pk=customer.pk)
        assert customer.city == "Kota Pekalongan"
        assert ImportFile.objects.get().name == "Chat WhatsApp dengan Wulan Pekalongan.txt"
        assert customer.stats.city_index == customer.city_index != ""
        customer.save()  # and it stays readable when saved again
        order = Order.objects.get()
        assert order.city == "Kota Pekalongan" and order.city_index
        assert order.city_index == Order._meta.get_field("city_index").index_for(
            ika_shop.pk, "KOTA  pekalongan"
        )
        order.save(update_fields=["city"])  # sealed again with its index
        assert Order.objects.get().city == "Kota Pekalongan"
