"""The one door for raw SQL: every statement names the shop it runs for, or says why not.

Raw SQL bypasses the tenant guard of ``scoping`` (scoped managers filter by shop; a
cursor filters nothing), so every raw statement goes through this module, which
refuses a statement that does not carry its shop:

* ``execute(cursor, sql, params, shop_id=…)`` (and ``fetchone`` / ``fetchall`` /
  ``executemany`` / ``copy`` / ``raw`` / ``select_in``) run a statement for one shop;
* ``execute_unscoped(cursor, sql, params, why=…)`` runs one that is about no shop's
  rows (schema work, planner statistics, PRAGMAs, id sequences, temporary tables), with
  the reason in the call, where a reviewer sees it.

The rule (checked once per distinct SQL text, then cached; a check costs a dict lookup
and a comparison per shop parameter):

1. every ``shop_id = %s`` in the statement (any qualifier or quotes: ``o.shop_id``,
   ``"shop_id"``) is bound to a parameter equal to ``shop_id``;
2. at least one of them is a condition (it follows ``WHERE``, ``AND``, ``ON`` or an
   opening parenthesis), or the statement is an ``INSERT … (…, shop_id, …) VALUES``
   or ``COPY … (…, shop_id, …) FROM STDIN`` whose ``shop_id`` value in every row is
   bound to a parameter equal to ``shop_id``;
3. ``shop_id`` is a real id (an int), and, inside ``shop_scope``, that scope's shop.

It tells that a statement names its shop, not that every clause of it does: it reads
the text, it does not parse SQL. Placeholders are ``%s`` (Django's), ``%%`` a percent.

Raw SQL lives only in the places listed in
``merdeka/core/tests/test_raw_sql_places.py``: selectors for reads, one module of
set-wise writes per domain, ``core/bulk.py``. A test there fails on a cursor, ``.raw()``,
``RawSQL`` or ``.extra()`` anywhere else.

Moving a query here: ``Order.objects.raw(SQL, [shop.pk, key])`` becomes
``rawsql.raw(Order, SQL, [shop.pk, key], shop_id=shop.pk)``; ``with connection.cursor()
as c: c.execute(SQL, [shop.pk]); c.fetchall()`` becomes ``with rawsql.cursor() as c:
rawsql.fetchall(c, SQL, [shop.pk], shop_id=shop.pk)``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from django.db import connection
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

from merdeka.core.scoping import ScopeError, current_shop_id

LOOKUP_CHUNK = 900  # values per IN (...) lookup; below every backend's variable limit


class ShopParameterError(ScopeError):
    """A raw statement without its shop, or bound to another shop."""


# -- what a statement says about its shop (cached per SQL text) ----------------------

_PLACEHOLDER = re.compile(r"%%|%s")
# `shop_id = %s`, with any qualifier or quotes
_SHOP_EQUALS = re.compile(r'(?<![\w$."])(?:"?\w+"?\.)?"?shop_id"?\s*=\s*(?=%s)', re.IGNORECASE)
_CONDITION_BEFORE = re.compile(r"(?:\bWHERE|\bAND|\bON|\()\s*$", re.IGNORECASE)
_INSERT_VALUES = re.compile(r'\s*INSERT\s+INTO\s+[\w."]+\s*\(([^)]*)\)\s*VALUES\s*', re.IGNORECASE)
_COPY_FROM = re.compile(r'\s*COPY\s+[\w."]+\s*\(([^)]*)\)\s*FROM\s+STDIN', re.IGNORECASE)
_GROUP = re.compile(r"\s*,?\s*\(([^()]*)\)")


class Shape(NamedTuple):
    """Where a statement binds its shop: ``slots`` are the indexes of the parameters
    that must equal the shop id (per row for ``executemany`` and ``copy``);
    ``scoped`` tells whether any of them limits the statement to the shop."""

    slots: tuple[int, ...]
    scoped: bool


def _columns(listed: str) -> list[str]:
    return [name.strip().strip('"').lower() for name in listed.split(",")]


@lru_cache(maxsize=4096)
def shape(sql: str) -> Shape:
    """What ``sql`` binds to a shop (see the module's rule)."""
    copy = _COPY_FROM.match(sql)
    if copy:
        columns = _columns(copy.group(1))
        if "shop_id" in columns:
            return Shape((columns.index("shop_id"),), True)
        return Shape((), False)
    index_at = {
        m.start(): i
        for i, m in enumerate(m for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s")
    }
    slots: list[int] = []
    scoped = False
    for match in _SHOP_EQUALS.finditer(sql):
        if match.end() in index_at:
            slots.append(index_at[match.end()])
            scoped = scoped or bool(_CONDITION_BEFORE.search(sql, 0, match.start()))
    insert = _INSERT_VALUES.match(sql)
    if insert:
        columns = _columns(insert.group(1))
        if "shop_id" in columns:
            at = columns.index("shop_id")
            position, rows = insert.end(), 0
            while group := _GROUP.match(sql, position):
                items = list(re.finditer(r"[^,]+", group.group(1)))
                if len(items) != len(columns) or items[at].group().strip() != "%s":
                    return Shape(tuple(slots), False)  # the shop is not a parameter
                item = items[at]
                start = group.start(1) + item.start() + item.group().index("%s")
                slots.append(index_at[start])
                position, rows = group.end(), rows + 1
            scoped = scoped or rows > 0
    return Shape(tuple(slots), scoped)


def _shop(shop_id) -> int:
    if type(shop_id) is not int:
        raise ShopParameterError(f"shop_id must be a shop's id, not {shop_id!r}")
    scope = current_shop_id()
    if scope is not None and scope != shop_id:
        raise ShopParameterError(f"a statement for shop {shop_id} inside the scope of shop {scope}")
    return shop_id


def _refuse_unscoped(sql: str) -> None:
    raise ShopParameterError(
        "this statement does not name its shop (a `shop_id = %s` condition, or a "
        "shop_id column of its rows); use execute_unscoped(…, why=…) if it is about "
        f"no shop's rows: {sql[:200]}"
    )


def check(sql: str, params: Sequence, shop_id: int) -> None:
    """Refuse ``sql`` with ``params`` unless it is bound to shop ``shop_id``."""
    shop_id = _shop(shop_id)
    found = shape(sql)
    if not found.scoped:
        _refuse_unscoped(sql)
    for slot in found.slots:
        bound = params[slot] if slot < len(params) else None
        if bound != shop_id or type(bound) is not int:
            raise ShopParameterError(
                f"parameter {slot} binds shop_id to {bound!r}, not to shop {shop_id}: {sql[:200]}"
            )


def _check_rows(sql: str, rows: Sequence[Sequence], shop_id: int) -> None:
    shop_id = _shop(shop_id)
    found = shape(sql)
    if not found.scoped:
        _refuse_unscoped(sql)
    if not rows:
        return
    values = set(map(itemgetter(*found.slots), rows))
    expected = shop_id if len(found.slots) == 1 else (shop_id,) * len(found.slots)
    if values != {expected}:
        raise ShopParameterError(f"rows bound to shops {values!r}, not to {shop_id}: {sql[:200]}")


# -- running statements ----------------------------------------------------------------


def cursor():
    """A cursor of the default database (use it in a ``with``)."""
    return connection.cursor()


def execute(cursor, sql: str, params: Sequence = (), *, shop_id: int):
    """Run ``sql`` for one shop; returns the cursor (iterate it to stream the rows)."""
    check(sql, params, shop_id)
    cursor.execute(sql, params)
    return cursor


@lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    """What Django's SQLite cursor makes of ``sql`` (``%s`` → ``?``), once per text."""
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _qmark_execute(sql, params, many, context):
    """Django's ``CursorWrapper._execute`` for a text already in SQLite's style."""
    db = context["connection"]
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        return sqlite3.Cursor.execute(context["cursor"].cursor, sql, params)


def execute_rows(cursor, sql: str, params: Sequence, *, shop_id: int):
    """``execute`` for the long statements of set-wise writes (``INSERT … VALUES (…),
    (…), …`` of hundreds of rows, ``bulk``), the same but for one step on SQLite: Django
    turns a statement's ``%s`` into ``?`` at every call, with a regular expression over
    the whole text (~0.5 µs a value; an import's writer binds over a million); here
    each distinct text is turned once. Django's execute wrappers (the ownership guard),
    its broken-transaction check and its error classes stay; a connection that logs
    its queries (DEBUG, ``assertNumQueries``) takes Django's own path."""
    check(sql, params, shop_id)
    db = cursor.db
    if db.vendor != "sqlite" or db.queries_logged:
        cursor.execute(sql, params)
        return cursor
    cursor._execute_with_wrappers(_qmark(sql), params, many=False, executor=_qmark_execute)
    return cursor


def fetchone(cursor, sql: str, params: Sequence = (), *, shop_id: int):
    return execute(cursor, sql, params, shop_id=shop_id).fetchone()


def fetchall(cursor, sql: str, params: Sequence = (), *, shop_id: int) -> list:
    return execute(cursor, sql, params, shop_id=shop_id).fetchall()


def executemany(cursor, sql: str, rows: Sequence[Sequence], *, shop_id: int) -> None:
    """Run ``sql`` once per row; every row binds its ``shop_id`` parameters to the shop."""
    if not isinstance(rows, list | tuple):
        rows = list(rows)
    _check_rows(sql, rows, shop_id)
    cursor.executemany(sql, rows)


def copy(cursor, sql: str, rows: Iterable[Sequence], *, shop_id: int) -> int:
    """PostgreSQL ``COPY table (…, shop_id, …) FROM STDIN`` of ``rows``, each checked
    for the shop as it is written; returns how many were written."""
    shop_id = _shop(shop_id)
    found = shape(sql)
    if not found.scoped:
        _refuse_unscoped(sql)
    [slot] = found.slots
    written = 0
    with cursor.cursor.copy(sql) as out:
        for row in rows:
            if row[slot] != shop_id:
                raise ShopParameterError(f"a row of shop {row[slot]!r}, not {shop_id}: {sql}")
            out.write_row(row)
            written += 1
    return written


def raw(model, sql: str, params: Sequence = (), *, shop_id: int):
    """``model.objects.raw(sql, params)`` for one shop (a ``RawQuerySet``)."""
    check(sql, params, shop_id)
    return model._base_manager.raw(sql, params)


def select_in(sql: str, params: Sequence, values: Sequence, *, shop_id: int) -> Iterator[tuple]:
    """Rows of ``sql`` (ending in ``IN``) for ``values``, in chunks of ``LOOKUP_CHUNK``.

    The hot lookups of an import, without building a queryset per chunk; ``sql`` binds
    the shop itself (``WHERE shop_id = %s …``), checked once for all chunks."""
    check(sql, params, shop_id)
    with connection.cursor() as cur:
        for start in range(0, len(values), LOOKUP_CHUNK):
            part = values[start : start + LOOKUP_CHUNK]
            cur.execute(f"{sql} ({', '.join(['%s'] * len(part))})", [*params, *part])
            yield from cur.fetchall()


def execute_unscoped(cursor, sql: str, params: Sequence | None = None, *, why: str):
    """Run a statement that is about no shop's rows, saying why (schema work, ANALYZE,
    PRAGMA, temporary tables, id sequences, a lock). Refused without a reason, and
    for a statement that names a shop (that one goes through ``execute``)."""
    if not isinstance(why, str) or not why.strip():
        raise ShopParameterError(f"execute_unscoped needs a reason (why=…): {sql[:200]}")
    found = shape(sql)
    if found.slots or found.scoped:
        raise ShopParameterError(f"this statement names a shop: use execute(…, shop_id=…): {sql}")
    if params is None:
        cursor.execute(sql)
    else:
        cursor.execute(sql, params)
    return cursor
