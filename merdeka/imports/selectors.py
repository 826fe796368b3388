"""Reads of the imports: the raw lookups of the writer, each bound to its shop through
``rawsql`` (an import looks up hundreds of thousands of orders: no model instances),
and what a finished run brought, in the words its report uses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from merdeka.core import rawsql
from merdeka.customers.models import Identity
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order

# a file that brought any of these brought something
_NEW = (
    "orders_new",
    "orders_updated",
    "lines_new",
    "customers_new",
    "customers_merged",
    "identities_new",
    "settlements_new",
)


def orders_by_external_id(
    *, shop, channel: str, external_ids: Sequence[str], fields: Sequence[str]
) -> Iterator[tuple]:
    """(external id, id, *fields as stored) of the shop's orders of ``channel`` with
    these external ids (SQLite gives text for datetimes and decimals: convert them)."""

    columns = ", ".join(
        ['"external_id"', '"id"', *(f'"{Order._meta.get_field(f).column}"' for f in fields)]
    )
    sql = (
        f'SELECT {columns} FROM "{Order._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "channel" = %s AND "external_id" IN'
    )
    return rawsql.select_in(sql, [shop.pk, channel], external_ids, shop_id=shop.pk)


def file_brought_something(report: dict | None) -> bool:
    return any((report or {}).get(name) for name in _NEW)


def run_brought_nothing(*, states_and_reports, review_waiting: int) -> bool:
    """Did a finished run leave the shop exactly as it was? True when every file was
    imported before (the same bytes) or was read whole and held nothing new (a later
    export of the same orders), and no likely duplicate was found: the report then
    says "nothing new" in words and offers no empty review. A rejected file, or one
    waiting for its columns, is something to act on, so never "nothing new"."""
    states_and_reports = list(states_and_reports)
    if not states_and_reports or review_waiting:
        return False
    for state, report in states_and_reports:
        if state == ImportFile.State.DUPLICATE:
            continue
        if state != ImportFile.State.IMPORTED or file_brought_something(report):
            return False
    return True


def files_customers(*, shop_id: int, file_ids: list[int]) -> set[int]:
    """Every customer these files brought an identity or an order to (a run's files:
    tens of thousands of ids, read as plain integers)."""
    if not file_ids:
        return set()
    marks = ", ".join(["%s"] * len(file_ids))
    found: set[int] = set()
    with rawsql.cursor() as cursor:
        for table, extra in (
            (Identity._meta.db_table, ""),
            (Order._meta.db_table, ' AND "customer_id" IS NOT NULL'),
        ):
            sql = (
                f'SELECT DISTINCT "customer_id" FROM "{table}" '  # noqa: S608
                f'WHERE "shop_id" = %s AND "import_file_id" IN ({marks}){extra}'
            )
            rows = rawsql.execute(cursor, sql, [shop_id, *file_ids], shop_id=shop_id)
            found.update(row[0] for row in rows)
    return found
