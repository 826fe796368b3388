"""One owner per state change, checked while the code runs.

Some state has exactly one module allowed to change it:

* ``ORDER_STATUS`` - an order's status moves only through ``merdeka.orders.lifecycle``;
* ``STOCK`` - stock levels, the stock ledger and the stock's cost change only through
  the catalog's stock service (``merdeka.catalog.services``, its part for imported
  orders, ``merdeka.catalog.imported``, for returned orders, ``merdeka.catalog.returned``,
  and its restore of an export, ``merdeka.catalog.stock_restore``);
* ``JOURNAL`` - a posted journal line is never updated, and a posted entry only
  loses its order or its author when they are deleted (``SET NULL``): its date,
  source, key, memo, amounts and place in the hash chain stay as written. Only the
  chain's own build (``merdeka.books.chain``, chaining entries not chained yet) may
  set their places; a correction is a reversal or a new entry (``merdeka.books.
  posting``). The chain would find a change made in place; this refuses it first.

The owner marks the code that writes with ``with owning(STOCK): ...``. The guard
(``install_guard``, on in the test suite and wherever ``MERDEKA_OWNERSHIP_GUARD=1``)
watches every SQL statement on every connection and raises ``OwnershipError`` for a
write to that state outside its owner: the test that caused it fails, wherever the
write hides (an ORM ``update()``, a ``save()``, raw SQL). Creating an order is not a
status change: a new order is born with its first status wherever it is placed.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager

ORDER_STATUS = "order.status"
STOCK = "stock"
JOURNAL = "books.journal"

_owning: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "merdeka_owning", default=frozenset()
)


class OwnershipError(RuntimeError):
    """State was written by somebody who does not own it."""


@contextmanager
def owning(*what: str) -> Iterator[None]:
    """Run the block as the owner of ``what`` (call it only from the owner's module)."""
    token = _owning.set(_owning.get() | frozenset(what))
    try:
        yield
    finally:
        _owning.reset(token)


def owned(what: str) -> bool:
    return what in _owning.get()


_ORDER_UPDATE = re.compile(r'^\s*UPDATE\s+"?orders_order"?\s+SET\s', re.IGNORECASE)
_STATUS_SET = re.compile(r'(?:^|[\s,(])"?status"?\s*=', re.IGNORECASE)
_JOURNAL_UPDATE = re.compile(r'^\s*UPDATE\s+"?books_journal(line|entry)"?\s+SET\s', re.IGNORECASE)
_ASSIGNED = re.compile(r'(?:^|[\s,(])"?(\w+)"?\s*=', re.IGNORECASE)
# what a deleted order or member leaves on an entry (on_delete=SET_NULL)
_ENTRY_MAY_LOSE = frozenset({"order_id", "created_by_id"})
_STOCK_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?catalog_stock(?:level|move|cost)"?[\s(]',
    re.IGNORECASE,
)


def violation(sql: str) -> str | None:
    """What ``sql`` writes without owning it, or None."""
    if "orders_order" in sql and _ORDER_UPDATE.match(sql) and not owned(ORDER_STATUS):
        assignments = re.split(r"\sWHERE\s", sql, maxsplit=1, flags=re.IGNORECASE)[0]
        if _STATUS_SET.search(assignments.split(" SET ", 1)[-1]):
            return ORDER_STATUS
    if "catalog_stock" in sql and _STOCK_WRITE.match(sql) and not owned(STOCK):
        return STOCK
    if "books_journal" in sql and not owned(JOURNAL):
        found = _JOURNAL_UPDATE.match(sql)
        if found is not None:
            if found.group(1).lower() == "line":
                return JOURNAL
            assignments = re.split(r"\sWHERE\s", sql, maxsplit=1, flags=re.IGNORECASE)[0]
            columns = {c.lower() for c in _ASSIGNED.findall(assignments.split(" SET ", 1)[-1])}
            if columns - _ENTRY_MAY_LOSE:
                return JOURNAL
    return None


OWNERS = {
    ORDER_STATUS: "merdeka.orders.lifecycle",
    STOCK: "the stock service",
    JOURNAL: "the journal is written once: post a reversal or a new entry",
}


def _guard(execute, sql, params, many, context):
    what = violation(sql) if isinstance(sql, str) else None
    if what is not None:
        raise OwnershipError(f"{what} was written outside its owner ({OWNERS[what]}): {sql[:200]}")
    return execute(sql, params, many, context)


def _install(sender, connection, **kwargs) -> None:
    if _guard not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _guard)  # outermost: a with-block pops its own


def install_guard() -> None:
    """Watch every database connection opened from now on (and those open already)."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_install, dispatch_uid="merdeka-ownership-guard")
    for conn in connections.all(initialized_only=True):
        _install(None, conn)
