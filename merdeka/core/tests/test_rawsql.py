"""The one door for raw SQL refuses a statement that does not carry its shop."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from merdeka.core import bulk, rawsql
from merdeka.core.ownership import OwnershipError
from merdeka.core.rawsql import ShopParameterError
from merdeka.core.scoping import ScopeError, shop_scope
from merdeka.customers.models import Customer, MatchKey

NAME = str(MatchKey.Kind.NAME)
CUSTOMERS = f'SELECT "id" FROM "{Customer._meta.db_table}"'


@pytest.fixture
def two_shops(ika_shop, citra_shop):
    with shop_scope(ika_shop):
        ika = Customer.objects.create(shop=ika_shop, name="Siti", province="Jawa Barat")
    with shop_scope(citra_shop):
        citra = Customer.objects.create(shop=citra_shop, name="Dewi", province="Sumatera Utara")
    return ika, citra


def test_a_statement_without_its_shop_is_refused(two_shops):
    ika, _citra = two_shops
    with rawsql.cursor() as cursor:
        for sql, params in [
            (CUSTOMERS, []),
            (f'{CUSTOMERS} WHERE "id" = %s', [ika.pk]),
            (f"{CUSTOMERS} WHERE shop_id > %s", [0]),  # not an equality
            (f"{CUSTOMERS} WHERE shop_id = {ika.shop_id}", []),  # not a parameter
        ]:
            with pytest.raises(ShopParameterError, match="does not name its shop"):
                rawsql.fetchall(cursor, sql, params, shop_id=ika.shop_id)


def test_a_shop_id_that_is_only_written_is_no_condition(two_shops):
    ika, _citra = two_shops
    sql = f'UPDATE "{Customer._meta.db_table}" SET "shop_id" = %s WHERE "id" = %s'
    with rawsql.cursor() as cursor, pytest.raises(ShopParameterError):
        rawsql.execute(cursor, sql, [ika.shop_id, ika.pk], shop_id=ika.shop_id)


def test_a_statement_bound_to_another_shop_is_refused(two_shops):
    ika, citra = two_shops
    with rawsql.cursor() as cursor:
        with pytest.raises(ShopParameterError, match="not to shop"):
            rawsql.fetchall(
                cursor, f"{CUSTOMERS} WHERE shop_id = %s", [citra.shop_id], shop_id=ika.shop_id
            )
        # every shop_id of the statement is the shop's, not only the first
        with pytest.raises(ShopParameterError, match="not to shop"):
            rawsql.fetchall(
                cursor,
                f"{CUSTOMERS} WHERE shop_id = %s OR shop_id = %s",
                [ika.shop_id, citra.shop_id],
                shop_id=ika.shop_id,
            )
        # a parameter that only looks like the id
        with pytest.raises(ShopParameterError):
            rawsql.fetchall(
                cursor, f"{CUSTOMERS} WHERE shop_id = %s", [str(ika.shop_id)], shop_id=ika.shop_id
            )
        with pytest.raises(ShopParameterError, match="shop's id"):
            rawsql.fetchall(cursor, f"{CUSTOMERS} WHERE shop_id = %s", [None], shop_id=None)


def test_the_statement_of_its_shop_runs(two_shops):
    ika, citra = two_shops
    with rawsql.cursor() as cursor:
        for customer in (ika, citra):
            rows = rawsql.fetchall(
                cursor,
                f'{CUSTOMERS} c WHERE c."shop_id" = %s',
                [customer.shop_id],
                shop_id=customer.shop_id,
            )
            assert rows == [(customer.pk,)]
    everything = f'SELECT * FROM "{Customer._meta.db_table}" WHERE shop_id = %s'
    [found] = rawsql.raw(Customer, everything, [ika.shop_id], shop_id=ika.shop_id)
    assert found.pk == ika.pk and found.name == "Siti"
    lookup = f'{CUSTOMERS} WHERE "shop_id" = %s AND "id" IN'
    assert list(
        rawsql.select_in(lookup, [ika.shop_id], [ika.pk, citra.pk], shop_id=ika.shop_id)
    ) == [(ika.pk,)]


def test_raw_and_select_in_check_the_shop_too(two_shops):
    ika, citra = two_shops
    with pytest.raises(ShopParameterError):
        rawsql.raw(Customer, CUSTOMERS, [], shop_id=ika.shop_id)
    with pytest.raises(ShopParameterError):
        lookup = f'{CUSTOMERS} WHERE "shop_id" = %s AND "id" IN'
        list(rawsql.select_in(lookup, [citra.shop_id], [citra.pk], shop_id=ika.shop_id))


def test_a_statement_for_another_shop_than_the_scope_is_refused(two_shops):
    ika, citra = two_shops
    sql = f"{CUSTOMERS} WHERE shop_id = %s"
    with shop_scope(ika.shop_id), rawsql.cursor() as cursor:
        with pytest.raises(ScopeError):
            rawsql.fetchall(cursor, sql, [citra.shop_id], shop_id=citra.shop_id)
        assert rawsql.fetchall(cursor, sql, [ika.shop_id], shop_id=ika.shop_id) == [(ika.pk,)]


def test_rows_are_checked_one_by_one(two_shops):
    ika, citra = two_shops
    sql = (
        f'INSERT INTO "{MatchKey._meta.db_table}" ("shop_id", "customer_id", "kind", "key") '
        "VALUES (%s, %s, %s, %s)"
    )
    rows = [(ika.shop_id, ika.pk, NAME, "a"), (citra.shop_id, citra.pk, NAME, "b")]
    with transaction.atomic(), rawsql.cursor() as cursor:
        with pytest.raises(ShopParameterError, match="rows bound to shops"):
            rawsql.executemany(cursor, sql, rows, shop_id=ika.shop_id)
        rawsql.executemany(cursor, sql, rows[:1], shop_id=ika.shop_id)
    assert MatchKey.unscoped.filter(key="a").exists()
    assert not MatchKey.unscoped.filter(key="b").exists()


def test_a_long_statement_runs_as_execute_does(two_shops):
    """``execute_rows`` (SQLite: the text turned to ``?`` once, not at every call) checks
    the shop, writes the same rows, raises Django's errors, keeps the execute wrappers
    (the ownership guard) and is logged where queries are."""
    ika, citra = two_shops
    table = MatchKey._meta.db_table
    sql = f'INSERT INTO "{table}" ("shop_id", "customer_id", "kind", "key") VALUES '
    sql += "(%s, %s, %s, %s), (%s, %s, %s, %s)"
    rows = [ika.shop_id, ika.pk, NAME, "50%", ika.shop_id, ika.pk, NAME, "b"]
    with transaction.atomic(), rawsql.cursor() as cursor:
        with pytest.raises(ShopParameterError):
            rawsql.execute_rows(
                cursor, sql, [*rows[:4], citra.shop_id, *rows[5:]], shop_id=ika.shop_id
            )
        for _ in range(2):
            rawsql.execute_rows(cursor, sql, rows, shop_id=ika.shop_id)
    keys = MatchKey.unscoped.filter(customer=ika).values_list("key", flat=True)
    assert sorted(keys) == ["50%", "50%", "b", "b"]
    with CaptureQueriesContext(connection) as queries, rawsql.cursor() as cursor:
        rawsql.execute_rows(cursor, sql, rows, shop_id=ika.shop_id)
    assert len(queries) == 1
    unique = f'INSERT INTO "{Customer._meta.db_table}" ("id", "shop_id") VALUES (%s, %s), (%s, %s)'
    with pytest.raises(IntegrityError), transaction.atomic(), rawsql.cursor() as cursor:
        rawsql.execute_rows(cursor, unique, [ika.pk, ika.shop_id] * 2, shop_id=ika.shop_id)
    stock = 'INSERT INTO "catalog_stocklevel" ("shop_id") VALUES (%s), (%s)'
    with pytest.raises(OwnershipError), transaction.atomic(), rawsql.cursor() as cursor:
        rawsql.execute_rows(cursor, stock, [ika.shop_id] * 2, shop_id=ika.shop_id)


def test_bulk_writes_refuse_a_row_of_another_shop(two_shops):
    """Through ``executemany`` on SQLite, ``COPY`` (many rows) or one ``INSERT`` (a
    few) on PostgreSQL."""
    ika, citra = two_shops
    for count in (2, bulk.PG_INSERT_ROWS + 5):
        rows = [(ika.shop_id, ika.pk, NAME, f"k{i}") for i in range(count - 1)]
        rows.append((citra.shop_id, citra.pk, NAME, "theirs"))
        with pytest.raises(ShopParameterError), transaction.atomic():
            bulk.insert(MatchKey, ("shop", "customer", "kind", "key"), rows, shop_id=ika.shop_id)
    assert not MatchKey.unscoped.exists()


def test_a_bulk_update_leaves_another_shops_rows_alone(two_shops):
    ika, citra = two_shops
    with transaction.atomic():
        rows = [("Provinsi A", ika.pk), ("Provinsi B", citra.pk)]
        bulk.update(Customer, ("province",), rows, shop_id=ika.shop_id)
    provinces = dict(Customer.unscoped.values_list("pk", "province"))
    assert provinces == {ika.pk: "Provinsi A", citra.pk: "Sumatera Utara"}


def test_an_unscoped_statement_needs_a_reason(db):
    with rawsql.cursor() as cursor:
        for why in ("", "  ", None):
            with pytest.raises(ShopParameterError, match="needs a reason"):
                rawsql.execute_unscoped(cursor, "SELECT 1", why=why)
        assert rawsql.execute_unscoped(cursor, "SELECT 1", why="a test").fetchone() == (1,)


def test_an_unscoped_statement_must_not_name_a_shop(two_shops):
    ika, _citra = two_shops
    with rawsql.cursor() as cursor, pytest.raises(ShopParameterError, match="names a shop"):
        rawsql.execute_unscoped(
            cursor, f"{CUSTOMERS} WHERE shop_id = %s", [ika.shop_id], why="sneaky"
        )


def test_a_statement_is_read_once():
    sql = "SELECT 1 FROM t WHERE a = %s AND shop_id = %s -- test_a_statement_is_read_once"
    rawsql.shape.cache_clear()
    for _ in range(3):
        assert rawsql.shape(sql) == rawsql.Shape(slots=(1,), scoped=True)
    assert rawsql.shape.cache_info().misses == 1


@pytest.mark.parametrize(
    ("sql", "slots", "scoped"),
    [
        ('SELECT 1 FROM "t" o WHERE o."shop_id" = %s', (0,), True),
        ("SELECT %s FROM t WHERE (shop_id = %s) AND x LIKE '%%a'", (1,), True),
        ("INSERT INTO t (a, shop_id) VALUES (%s, %s), (%s, %s)", (1, 3), True),
        ("INSERT INTO t (a, shop_id) VALUES (%s, 7)", (), False),
        (
            "INSERT INTO t (a, shop_id) SELECT c.a, c.shop_id FROM c WHERE c.shop_id = %s",
            (0,),
            True,
        ),
        ('COPY "t" ("a", "shop_id") FROM STDIN', (1,), True),
        ('COPY "t" ("a") FROM STDIN', (), False),
        ('UPDATE "t" SET "a" = %s WHERE "id" = %s AND "shop_id" = %s', (2,), True),
        ("UPDATE t SET shop_id = %s WHERE id = %s", (0,), False),
        ("SELECT 1 FROM t WHERE myshop_id = %s", (), False),
        ("CREATE TEMPORARY TABLE x AS SELECT a FROM t WHERE t.shop_id = %s", (0,), True),
    ],
)
def test_where_a_statement_binds_its_shop(sql, slots, scoped):
    assert rawsql.shape(sql) == rawsql.Shape(slots, scoped)
