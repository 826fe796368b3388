"""Set-based writes for the hot paths (imports): many rows in, no model instances.

Building a Django model per row and saving it costs ~40 µs; an import of a million
order lines cannot afford that (docs/decisions/set-based-bulk-writes.md). These helpers write
plain tuples the way each backend is fastest at:

* SQLite: ``INSERT … VALUES`` of many rows a statement, inside the caller's
  transaction (one ``BEGIN IMMEDIATE``);
* PostgreSQL: ``COPY … FROM STDIN``.

Ids are reserved up front (``reserve_ids``) so that rows can point at each other
(an order line at its order) before anything is written. Values are adapted to what
each backend stores for the model field, exactly as the ORM would.

Always call these inside ``transaction.atomic()``: the caller owns the transaction,
so a failure leaves nothing behind. Every statement goes through ``rawsql``: writes
name their shop (``shop_id=``), and what is about no shop's rows (id counters,
PRAGMAs, indexes, planner statistics) says why.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from merdeka.core import rawsql
from merdeka.core.rawsql import LOOKUP_CHUNK

SQLITE_BATCH = 5000
PG_INSERT_ROWS = 16  # up to this many rows: INSERT … VALUES; more: COPY
ROWS_PER_STATEMENT = 500  # SQLite's inserts and upserts (within the parameters)


# SQLite's page cache while an import writes: the default 2 MiB holds a sliver of the
# indexes a year of orders builds (identities, match keys, blind indexes are random
# keys), so every insert re-reads index pages from the OS and the rate falls as the
# tables grow. A bounded cache for the import's connection only; durability and the
# all-or-nothing transaction per file are untouched. 32 MiB, not the 128 it was: at a
# million order lines it keeps both import processes together under 1 GB (884-889 MiB
# instead of 991-1,015) for ~4 % more writer CPU until usable (a page it misses is read
# again from the OS's file cache): bench/RESULTS.md, 2026-12-07, branch margin.
BULK_CACHE_KIB = 32 * 1024
BULK_CHECKPOINT_PAGES = 16384


def _pragma(cursor, setting: str):
    return rawsql.execute_unscoped(
        cursor, f"PRAGMA {setting}", why="a setting of this SQLite connection, not a shop's rows"
    )


def freed_space_zeroed() -> None:
    """From now on, what this connection deletes or overwrites is zeroed in the SQLite
    file (``secure_delete``), not left in free pages: for a photo or a name that must
    leave the disk with its row. (PostgreSQL keeps a dead row until VACUUM reuses its
    space; the values that call this are encrypted under the shop's key there.)"""
    if connection.vendor == "sqlite":
        with rawsql.cursor() as cursor:
            _pragma(cursor, "secure_delete = ON")


@contextmanager
def tuned_for_bulk() -> Iterator[None]:
    """Give this connection a large page cache for a bulk import (SQLite), and put the
    old size back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with rawsql.cursor() as cursor:
        cache = int(_pragma(cursor, "cache_size").fetchone()[0])
        checkpoint = int(_pragma(cursor, "wal_autocheckpoint").fetchone()[0])
        _pragma(cursor, f"cache_size = -{BULK_CACHE_KIB}")
        # copy the log into the database every 64 MiB instead of every 4 MiB: each
        # file's commit rewrites the same index pages, copied once instead of each time
        _pragma(cursor, f"wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with rawsql.cursor() as cursor:
                _pragma(cursor, f"cache_size = {cache}")
                _pragma(cursor, f"wal_autocheckpoint = {checkpoint}")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch builds and writes its rows, on again
    afterwards (if it was on). A batch makes tens of thousands of tuples, lists and
    dicts that live until it ends: each of the collector's passes walks them (and,
    every so often, every object of the process) to find no cycle, and they are freed
    by their reference counts anyway. Measured on the books' backfill: ~15 % of its CPU.
    For one batch at a time (its memory is the batch's), not for a whole run."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def chunks(items: Sequence, size: int = LOOKUP_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def id_parts(ids: Iterable[int]) -> list[tuple]:
    """Distinct ids as the parts a reader asks for: ``(first, last)`` for ids without a
    gap between them (both ends included), ``(None, ids)`` for a chunk of
    ``LOOKUP_CHUNK`` ids with gaps. The sorted ids are cut into chunks; a chunk without
    a gap is a range, and ranges that follow each other are one: an import's orders
    have ids reserved in runs, and a batch of 30,000 of them is a few ranges, not 34
    chunks each a query per table read (and an ``IN`` list of 900 to build)."""
    parts: list[tuple] = []
    for part in chunks(sorted(set(ids))):
        if part[-1] - part[0] != len(part) - 1:
            parts.append((None, part))
        elif parts and parts[-1][0] is not None and parts[-1][1] + 1 == part[0]:
            parts[-1] = (parts[-1][0], part[-1])
        else:
            parts.append((part[0], part[-1]))
    return parts


def _sqlite_datetime(value):
    """What Django's SQLite ``adapt_datetimefield_value`` stores (naive UTC text), at a
    third of its cost: it runs several times per imported order (tested equal)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


_STORED_TIMES: dict = {}


def _sqlite_datetime_memo(value):
    """``_sqlite_datetime``, each distinct time worked out once: a file's orders share
    their timestamps (an order's lines, a batch's ``created_at``)."""
    stored = _STORED_TIMES.get(value)
    if stored is None:
        if value is None:
            return None
        if len(_STORED_TIMES) >= 100_000:
            _STORED_TIMES.clear()
        stored = _STORED_TIMES[value] = _sqlite_datetime(value)
    return stored


_STORED_DATES: dict = {}


def _sqlite_date(value):
    """What Django's SQLite backend stores for a date (ISO text), each distinct date
    worked out once: the journal's lines share a few hundred days."""
    stored = _STORED_DATES.get(value)
    if stored is None:
        if value is None or isinstance(value, str):
            return value
        if len(_STORED_DATES) >= 100_000:
            _STORED_DATES.clear()
        stored = _STORED_DATES[value] = value.isoformat()
    return stored


def _sqlite_uuid(value):
    if value is None or isinstance(value, str):
        return value
    return value.hex


def _json(value):
    return None if value is None else json.dumps(value)


def _adapter(field) -> Callable | None:
    """How a Python value becomes this backend's stored value, for one field."""
    if field.get_internal_type() == "JSONField":
        return _json
    if connection.vendor != "sqlite":
        return None  # psycopg adapts datetimes, decimals and UUIDs itself
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _sqlite_datetime_memo
    if kind == "DateField":
        return _sqlite_date
    if kind == "UUIDField":
        return _sqlite_uuid
    return None  # text, integers, decimals (sqlite3 adapts Decimal to text) pass through


def _as_it_is(value):
    return value


def stored_as(model, *names: str) -> tuple[Callable, ...]:
    """For rows made already adapted (``insert(…, adapted=True)``): per field of
    ``model`` named, the function that turns a Python value into what this backend
    stores for it, by the same rules ``insert`` applies (naive UTC text for an aware
    datetime on SQLite, ISO text for a date, 32 hex digits for a UUID, JSON text),
    and the value as it is where the driver adapts it itself (PostgreSQL's times and
    uuids, ``Decimal`` on both). Called as each row is made, it spares ``insert`` a
    copy of every row to adapt it afterwards; a value given once for many rows (the
    batch's ``now``) is adapted once."""
    return tuple(_adapter(model._meta.get_field(name)) or _as_it_is for name in names)


def _column(model, name: str):
    field = model._meta.get_field(name)
    return field.column, _adapter(field)


def _adapted(rows: Iterable[Sequence], adapters: list[tuple[int, Callable]], tail: tuple = ()):
    """The rows with each value adapted to the backend (and ``tail`` appended)."""
    for row in rows:
        row = [*row, *tail]
        for i, adapt in adapters:
            row[i] = adapt(row[i])
        yield row


class NotAdapted(TypeError):
    """A row given as adapted holds a value that this backend would store wrongly
    (a datetime, a UUID, a dict where text was due)."""


def _checked(rows: Iterable[Sequence], due: list[int]) -> Iterable[Sequence]:
    """The rows, once their first row's values at ``due`` (columns with an adapter)
    are seen to be adapted: text or None, what every adapter gives."""
    if not due:
        return rows
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return ()
    for i in due:
        if first[i] is not None and not isinstance(first[i], str):
            raise NotAdapted(f"column {i} of a row given as adapted holds {type(first[i])}")
    return itertools.chain((first,), rows)


def reserve_ids(model, count: int) -> list[int]:
    """Reserve ``count`` primary keys of ``model`` that no other insert will take.

    SQLite: the caller's write transaction holds the database lock; bumping the
    table's AUTOINCREMENT counter keeps later ORM inserts clear of the reserved range.
    PostgreSQL: the values come from the table's own sequence.
    """
    if count <= 0:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_ids() must run inside transaction.atomic()")
    table = model._meta.db_table
    pk = model._meta.pk.column
    with rawsql.cursor() as cursor:

        def ids(sql: str, params: Sequence | None = None):
            why = "primary keys are drawn for the whole table, not per shop"
            return rawsql.execute_unscoped(cursor, sql, params, why=why)

        if connection.vendor == "sqlite":
            highest = ids(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"').fetchone()[0]  # noqa: S608
            row = ids("SELECT seq FROM sqlite_sequence WHERE name = %s", [table]).fetchone()
            start = max(highest, row[0] if row else 0) + 1
            last = start + count - 1
            if row:
                ids("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
            else:
                ids("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
            return list(range(start, last + 1))
        ids(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _omitted(model, columns: Sequence[str]) -> tuple[list[str], list, list[tuple[int, Callable]]]:
    """The fields a caller left out, with the values the ORM would give them."""
    given = {model._meta.get_field(name).attname for name in columns}
    names, constants, per_row = [], [], []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default() and callable(field.default):
            per_row.append((len(names), field.default))
            value = None
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.empty_strings_allowed:
            value = ""
        else:
            continue  # the database will say what is missing
        names.append(field.name)
        constants.append(value)
    return names, constants, per_row


def insert(
    model,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    shop_id: int,
    adapted=False,
    ignore_conflicts=False,
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``, field names) into ``model``,
    all of shop ``shop_id``: ``columns`` holds ``"shop"`` and every row's value there
    must be ``shop_id`` (``rawsql`` refuses the rows otherwise). ``adapted``: the rows
    hold what this backend stores as they are (made with ``stored_as``, or integers,
    text, dates as ISO text: a hot writer's rows, not copied once more to adapt
    them); the first row is checked for a value left as Python's (``NotAdapted``).

    Fields left out get what the ORM would give them: their default (called per row
    when it is a callable, like a uid), the time for ``auto_now`` fields, else empty.

    ``ignore_conflicts``: a row that a unique constraint refuses is skipped, as
    ``bulk_create(ignore_conflicts=True)`` does (``INSERT … ON CONFLICT DO NOTHING`` on
    both backends, no ``COPY``); the count returned is then of the rows offered.
    """
    extra, constants, per_row = _omitted(model, columns)
    settled: set[int] = set()  # the constants' columns, adapted once here, not per row
    if extra:
        offset = len(columns)
        made = {i for i, _make in per_row}
        for i, name in enumerate(extra):
            adapt = _column(model, name)[1]
            if i not in made:
                settled.add(offset + i)
                if adapt is not None:
                    constants[i] = adapt(constants[i])
        per_row = [(offset + i, make) for i, make in per_row]
        plain = rows

        def completed():
            for row in plain:
                row = [*row, *constants]
                for i, make in per_row:
                    row[i] = make()
                yield row

        columns, rows = [*columns, *extra], completed()
    meta = [_column(model, name) for name in columns]
    names = ", ".join(f'"{column}"' for column, _ in meta)
    given = len(columns) - len(extra)  # the caller's columns (``adapted``: as they are)
    adapters = [
        (i, adapt)
        for i, (_, adapt) in enumerate(meta)
        if adapt is not None and i not in settled and not (adapted and i < given)
    ]
    table = model._meta.db_table
    written = 0
    if adapted:
        rows = _checked(rows, [i for i, (_, adapt) in enumerate(meta[:given]) if adapt])
    if adapters:
        rows = _adapted(rows, adapters)
    one = f"({', '.join(['%s'] * len(meta))})"
    with rawsql.cursor() as cursor:
        if ignore_conflicts:
            sql = f'INSERT INTO "{table}" ({names}) VALUES {one} ON CONFLICT DO NOTHING'  # noqa: S608
            for part in chunks(list(rows), SQLITE_BATCH):
                rawsql.executemany(cursor, sql, part, shop_id=shop_id)
                written += len(part)
            return written
        if connection.vendor == "postgresql":
            # A few rows (one buyer's customer and identity at checkout) go in one
            # INSERT: a COPY costs three round trips and its own setup whatever its size.
            rows = iter(rows)
            head = list(itertools.islice(rows, PG_INSERT_ROWS + 1))
            if len(head) <= PG_INSERT_ROWS:
                if head:
                    rawsql.execute(
                        cursor,
                        f'INSERT INTO "{table}" ({names}) VALUES '  # noqa: S608 - our names
                        + ", ".join([one] * len(head)),
                        [value for row in head for value in row],
                        shop_id=shop_id,
                    )
                return len(head)
            return rawsql.copy(
                cursor,
                f'COPY "{table}" ({names}) FROM STDIN',
                itertools.chain(head, rows),
                shop_id=shop_id,
            )
        # many rows a statement (``VALUES (…), (…), …``, as many as the backend's
        # parameters allow): a statement per row (``executemany``) costs SQLite a step,
        # a reset and the GIL let go and taken back per row (-27 % measured on a
        # backfill batch's journal lines)
        per = _rows_per_statement(len(meta))
        head = f'INSERT INTO "{table}" ({names}) VALUES '  # noqa: S608 - our names
        full = head + ", ".join([one] * per)
        flat: list = []
        count = 0
        for row in rows:
            flat.extend(row)
            count += 1
            if count == per:
                rawsql.execute_rows(cursor, full, flat, shop_id=shop_id)
                written += count
                flat, count = [], 0
        width, at = len(meta), 0
        for size in _statement_sizes(count):
            part = flat[at : at + size * width]
            rawsql.execute_rows(cursor, head + ", ".join([one] * size), part, shop_id=shop_id)
            at += size * width
            written += size
    return written


# rows left that go in one statement as they are: at most this many texts per table,
# each read once, and a small write (a storefront placement's search tokens and match
# keys) stays one statement a table
ONE_STATEMENT_UP_TO = 32


def _statement_sizes(count: int) -> Iterator[int]:
    """The rows of each statement for the ``count`` rows left after full statements:
    up to ``ONE_STATEMENT_UP_TO`` in one, more in powers of two, largest first (300 →
    256, 32, 8, 4). ``rawsql`` reads each distinct statement's text once (cached), and
    reading one is linear in its rows: a statement of exactly the rows left made a new
    text, read again, at every call (354 such reads, ~4 % of an import's writer under
    the profiler)."""
    if count <= ONE_STATEMENT_UP_TO:
        if count:
            yield count
        return
    size = 1 << max(count.bit_length() - 1, 0)
    while count:
        if size <= count:
            yield size
            count -= size
        size >>= 1


def _rows_per_statement(columns: int) -> int:
    """How many rows of ``columns`` values one ``INSERT … VALUES`` takes: at most
    ``ROWS_PER_STATEMENT``, within the parameters the backend binds per statement
    (Django's figure for SQLite: 999, the limit of its older versions; PostgreSQL:
    65,535)."""
    limit = connection.features.max_query_params or 65535
    return max(1, min(ROWS_PER_STATEMENT, limit // columns))


def update(
    model, columns: Sequence[str], rows: Iterable[Sequence], *, shop_id: int, key: str = "pk"
) -> None:
    """``UPDATE model SET columns… WHERE key = … AND shop_id = …`` for rows
    ``(*values, key value)`` of shop ``shop_id``; ``key`` is a field name (the primary
    key by default, or e.g. ``"customer"`` to move every row of one customer)."""
    meta = [_column(model, name) for name in columns]
    assignments = ", ".join(f'"{column}" = %s' for column, _ in meta)
    table = model._meta.db_table
    where = model._meta.pk.column if key == "pk" else model._meta.get_field(key).column
    sql = (
        f'UPDATE "{table}" SET {assignments} '  # noqa: S608 - our names
        f'WHERE "{where}" = %s AND "shop_id" = %s'
    )
    adapters = [(i, adapt) for i, (_, adapt) in enumerate(meta) if adapt is not None]
    prepared = list(_adapted(rows, adapters, (shop_id,)))
    with rawsql.cursor() as cursor:
        for part in chunks(prepared, SQLITE_BATCH):
            rawsql.executemany(cursor, sql, part, shop_id=shop_id)


def add_to(
    model,
    keys: Sequence[str],
    amounts: Sequence[str],
    rows: Iterable[Sequence],
    *,
    shop_id: int,
    shop_in_key: bool = False,
    lowest: Sequence[str] = (),
    highest: Sequence[str] = (),
) -> None:
    """Add to running totals: rows ``(shop id, *keys, *amounts, *lowest, *highest)``
    (field names; ``keys`` are the fields of a unique constraint, after ``shop`` when
    ``shop_in_key``) are inserted, or, where a row with those keys exists, its
    ``amounts`` grow by the row's and its ``lowest`` / ``highest`` keep the smaller /
    larger of the two (a NULL is no value) (``INSERT … ON CONFLICT DO UPDATE``, on
    SQLite and PostgreSQL alike: no lost update between two writers), on SQLite many
    rows a statement. Each key may appear once in ``rows``."""
    kept = [*amounts, *lowest, *highest]
    extra, constants, per_row = _omitted(model, ["shop", *keys, *kept])
    if per_row:
        raise ValueError("add_to() cannot call per-row defaults")
    meta = [_column(model, name) for name in ("shop", *keys, *kept, *extra)]
    names = ", ".join(f'"{column}"' for column, _ in meta)
    table = model._meta.db_table
    conflict = ", ".join(
        f'"{_column(model, name)[0]}"' for name in (("shop",) if shop_in_key else ()) + tuple(keys)
    )
    grow = ", ".join(
        f'"{column}" = "{table}"."{column}" + excluded."{column}"'
        for column, _ in (_column(model, name) for name in amounts)
    )
    for names_, keep in ((lowest, "<"), (highest, ">")):
        for column, _ in (_column(model, name) for name in names_):
            mine, theirs = f'"{table}"."{column}"', f'excluded."{column}"'
            grow += (
                f', "{column}" = CASE WHEN {mine} IS NULL OR {theirs} {keep} {mine} '
                f"THEN {theirs} ELSE {mine} END"
            )
    one = f"({', '.join(['%s'] * len(meta))})"
    adapters = [(i, adapt) for i, (_, adapt) in enumerate(meta) if adapt is not None]
    prepared = list(_adapted(rows, adapters, tuple(constants)))
    with rawsql.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a statement per row, pipelined by psycopg's ``executemany``: many rows a
            # statement bound their parameters on the client at twice its CPU, and
            # saved no wall time that could be told from a loaded machine's noise
            sql = f'INSERT INTO "{table}" ({names}) VALUES {one} '  # noqa: S608
            sql += f"ON CONFLICT ({conflict}) DO UPDATE SET {grow}"
            for part in chunks(prepared, SQLITE_BATCH):
                rawsql.executemany(cursor, sql, part, shop_id=shop_id)
            return
        # SQLite: many rows a statement (``VALUES (…), (…), …``), not a step, a reset
        # and the GIL let go and taken back per row (a batch's 6,916 gross-profit days:
        # 0.038 → 0.027 CPU-s)
        per = _rows_per_statement(len(meta))
        full = len(prepared) - len(prepared) % per
        sizes = [per] * (full // per) + list(_statement_sizes(len(prepared) - full))
        at = 0
        for size in sizes:
            part = prepared[at : at + size]
            at += size
            sql = (
                f'INSERT INTO "{table}" ({names}) VALUES '  # noqa: S608 - our names
                f"{', '.join([one] * size)} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {grow}"
            )
            flat = [value for row in part for value in row]
            rawsql.execute_rows(cursor, sql, flat, shop_id=shop_id)


def analyze(*models) -> None:
    """Fresh planner statistics of the models' tables (``ANALYZE``).

    SQLite without statistics takes an equality on any indexed column to match about
    ten rows, so it reads a shop's rows through the index on ``shop_id`` (every row of
    a one-shop instance) rather than an order's through ``order_id``; a query of one
    batch then costs as much as the whole table, and a run over a growing table grows
    with its square. Statistics taken once stay right in proportion as the table grows
    (the shop column keeps matching every row, the order column a few). Not sampled
    (``analysis_limit``): a sample caps the rows a key is taken to match at its size, and
    the shop's index looked selective again. A whole measure is cheap: 0.7 s for 645,000
    orders, as much for 1.3M journal lines."""
    with rawsql.cursor() as cursor:
        for model in models:
            rawsql.execute_unscoped(
                cursor,
                f'ANALYZE "{model._meta.db_table}"',
                why="planner statistics of the whole table",
            )


def statistics_known(*models) -> None:
    """On SQLite, statistics for each of these tables that has rows and was never
    measured (``analyze``): a one-shop database made fresh has none until asked, and
    an import that fills the journal from nothing would read a batch's postings
    through the shop's index, every line of the shop per batch. Measured once, they
    stay right in proportion as the tables grow. (PostgreSQL's autovacuum measures
    them; the bulk paths there call ``analyze`` where it cannot wait.)"""
    if connection.vendor != "sqlite":
        return
    tables = {model._meta.db_table: model for model in models}
    with rawsql.cursor() as cursor:
        known = set()
        if rawsql.execute_unscoped(
            cursor,
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'",
            why="whether the planner has statistics at all",
        ).fetchone():
            known = {
                row[0]
                for row in rawsql.execute_unscoped(
                    cursor, "SELECT DISTINCT tbl FROM sqlite_stat1", why="tables measured"
                )
            }
    # whether a table has rows at all (any shop's: the planner's statistics are the table's)
    missing = [
        model
        for table, model in tables.items()
        if table not in known and model._base_manager.exists()
    ]
    if missing:
        analyze(*missing)


def empty_table(model, *, why: str) -> None:
    """Delete every row of ``model``'s table, every shop's (SQLite drops the table's
    pages at once instead of row by row): only where the caller knows why that is
    right, e.g. a single-shop rebuild."""
    with rawsql.cursor() as cursor:
        rawsql.execute_unscoped(cursor, f'DELETE FROM "{model._meta.db_table}"', why=why)  # noqa: S608


def _indexes(model, names: Sequence[str]) -> list:
    declared = {index.name: index for index in model._meta.indexes}
    return [declared[name] for name in names]


def indexes_drop(model, names: Sequence[str]) -> None:
    """Drop these declared indexes of ``model`` (rebuilt by ``indexes_create``)."""
    with rawsql.cursor() as cursor:
        for index in _indexes(model, names):
            rawsql.execute_unscoped(
                cursor, f'DROP INDEX IF EXISTS "{index.name}"', why="schema: a rebuild"
            )


def indexes_create(model, names: Sequence[str]) -> None:
    """Create these indexes as ``model``'s ``Meta.indexes`` declares them (plain column
    indexes), e.g. once after a bulk load instead of row by row."""
    table = model._meta.db_table
    with rawsql.cursor() as cursor:
        for index in _indexes(model, names):
            columns = ", ".join(f'"{model._meta.get_field(f).column}"' for f in index.fields)
            rawsql.execute_unscoped(
                cursor,
                f'CREATE INDEX "{index.name}" ON "{table}" ({columns})',
                why="schema: a rebuild",
            )


@contextmanager
def triggers_paused(model, names: Sequence[str]) -> Iterator[None]:
    """SQLite: these triggers of ``model``'s table dropped for the block and made
    again from their own definitions (read from the schema, not copied here) when it
    ends, for a bulk writer that does their work itself, set-wise, instead of once per
    row. Inside ``transaction.atomic()`` only: SQLite's schema is transactional, so a
    crash or a rollback puts the triggers back with the rest, and the transaction
    holds the database's one write lock, so no other writer ever writes without them
    (readers see the schema as last committed). Elsewhere: nothing is paused."""
    if connection.vendor != "sqlite":
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("triggers_paused() must run inside transaction.atomic()")
    why = "schema: a bulk writer does these triggers' work set-wise"
    table = model._meta.db_table
    marks = ", ".join(["%s"] * len(names))
    with rawsql.cursor() as cursor:
        definitions = rawsql.execute_unscoped(
            cursor,
            "SELECT name, sql FROM sqlite_master "  # noqa: S608 - placeholders only
            f"WHERE type = 'trigger' AND tbl_name = %s AND name IN ({marks}) ORDER BY name",
            [table, *names],
            why=why,
        ).fetchall()
        if len(definitions) != len(names):
            raise RuntimeError(f"{table} has not every trigger of {list(names)}")
        for name, _sql in definitions:
            rawsql.execute_unscoped(cursor, f'DROP TRIGGER "{name}"', why=why)
    try:
        yield
    finally:
        # A transaction already bound to roll back takes no statement: the rollback
        # brings the triggers back, and the block's own error is the one to see.
        if not transaction.get_connection().needs_rollback:
            with rawsql.cursor() as cursor:
                for _name, sql in definitions:
                    rawsql.execute_unscoped(cursor, sql, why=why)


class _Random(threading.local):
    """Random bytes from ``os.urandom`` drawn 4 KiB at a time, per thread, and never
    shared with a forked child (it starts with an empty pool)."""

    pool = b""
    at = 0

    def take(self, count: int) -> bytes:
        at = self.at
        if at + count > len(self.pool):
            self.pool, at = os.urandom(4096), 0
        self.at = at + count
        return self.pool[at : at + count]


_random = _Random()


def _forget_random() -> None:
    global _random
    _random = _Random()


os.register_at_fork(after_in_child=_forget_random)


def new_uid() -> str:
    """A random (version 4) row uid, as the 32 hex digits ``EncryptedModel.uid`` holds.

    Same distribution as ``uuid.uuid4().hex`` (16 bytes from ``os.urandom``) at a
    quarter of the cost, which counts when a million rows need one.
    """
    raw = _random.take(16).hex()
    return f"{raw[:12]}4{raw[13:16]}{_VARIANT[raw[16]]}{raw[17:]}"


def uid_text(value) -> str:
    """A uid as read by raw SQL (32 hex digits on SQLite, a UUID on PostgreSQL) in the
    dashed form the associated data binds (``str(instance.uid)``)."""
    if isinstance(value, str) and len(value) == 32:
        return dashed(value)
    return str(value)


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def dashed(uid_hex: str) -> str:
    """``str(uuid.UUID(uid_hex))`` without building the object."""
    h = uid_hex
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
