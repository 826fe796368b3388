"""Reads of the imports: the raw lookups of the writer, each bound to its shop through
``rawsql`` (an import looks up hundreds of thousands of orders: no model instances)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from merdeka.core import rawsql
from merdeka.orders.models import Order


def orders_by_external_id(
    *, shop, channel: str, external_ids: Sequence[str], fields: Sequence[str]
) -> Iterator[tuple]:
    """(external id, id, *fields as stored) of the shop's orders of ``channel`` with
    these external ids (SQLite gives text for datetimes and decimals: convert them)."""

    columns = ", ".join(f'"{Order._meta.get_field(f).column}"' for f in fields)
    sql = (
        f'SELECT "external_id", "id", {columns} FROM "{Order._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "channel" = %s AND "external_id" IN'
    )
    return rawsql.select_in(sql, [shop.pk, channel], external_ids, shop_id=shop.pk)
