"""Raw SQL lives in a few named places, and goes through ``core/rawsql.py`` there.

Raw SQL bypasses the shop-scope guard (``core/scoping.py``), so it is kept where a
reviewer expects it (selectors for reads, one module of set-wise writes per domain,
``core/bulk.py``) and every statement passes ``rawsql``'s shop check. This test reads
the source with ``ast`` and fails on:

* a DB-API cursor (``.cursor()``, ``.execute``/``.executemany``/``.executescript``, a
  ``COPY``), ``Manager.raw()``, ``RawSQL`` or ``QuerySet.extra()`` outside the places
  whose word is in ``DIRECT`` (the helper itself, and the exceptions named there);
* ``rawsql`` used outside ``RAW_SQL_PLACES``.

To add raw SQL: put it in the domain's selectors (reads) or its module of set-wise
writes, through ``rawsql``; a new place goes into ``RAW_SQL_PLACES`` with its word.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # the repository: paths below are relative to it

# Every module that may hold raw SQL, with a word for what it is there for.
RAW_SQL_PLACES = {
    "merdeka/core/rawsql.py": "driver",  # the one door: runs statements, checks the shop
    "merdeka/core/bulk.py": "bulk",  # set-wise inserts/updates of every domain, ids, indexes
    "merdeka/core/backup.py": "file",  # its own sqlite3 connection to a backup file, no rows
    "merdeka/core/portable.py": "reads",  # the export's whole-table reads, as raw rows
    "merdeka/core/tests/testdb.py": "file",  # the test database's template: CREATE DATABASE, no rows
    "merdeka/customers/selectors.py": "reads",
    "merdeka/customers/stats.py": "writes",  # the list's numbers, RFM, group counts
    "merdeka/imports/selectors.py": "reads",
    "merdeka/privacy/selectors.py": "reads",
    "merdeka/privacy/rights.py": "writes",  # erasure: the PRAGMAs that scrub the file
    "merdeka/orders/selectors.py": "reads",  # the placement's idempotency lookup
    "merdeka/orders/sales_days.py": "writes",  # a bulk writer's sales-day marks, set-wise
    "merdeka/catalog/selectors.py": "reads",  # the checkout's variants on sale with stock
    "merdeka/catalog/services.py": "writes",  # the stock service's one-statement reservation
}
# The words of the places that may use a cursor themselves; all others go through rawsql.
DIRECT = {"driver", "file"}

HELPER = "merdeka.core.rawsql"
_CURSOR_CALLS = {"execute", "executemany", "executescript", "cursor"}


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _direct_call(call: ast.Call) -> str | None:
    """What raw SQL this call runs without the helper, if any."""
    if not isinstance(call.func, ast.Attribute):
        return None
    attr, receiver = call.func.attr, call.func.value
    if attr in _CURSOR_CALLS:
        return f".{attr}()"
    if attr in ("raw", "extra") and (call.args or call.keywords):
        return f".{attr}()"
    if attr == "copy" and (
        (call.args and _is_text(call.args[0]))
        or (isinstance(receiver, ast.Attribute) and receiver.attr == "cursor")
    ):
        return ".copy() (COPY)"
    return None


def raw_sql_uses(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, what) of every raw-SQL use in ``source``: kind ``"direct"`` (a cursor,
    ``.raw()``, ``RawSQL``, ``.extra()``) or ``"helper"`` (``rawsql``)."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            uses += [(node.lineno, "helper", a.name) for a in node.names if a.name == HELPER]
        elif isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names}
            if node.module == HELPER or (node.module == "merdeka.core" and "rawsql" in names):
                uses.append((node.lineno, "helper", f"from {node.module} import"))
            if "RawSQL" in names:
                uses.append((node.lineno, "direct", "RawSQL"))
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "RawSQL":
                uses.append((node.lineno, "direct", "RawSQL"))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "rawsql":
                uses.append((node.lineno, "helper", f"rawsql.{func.attr}()"))
                continue
            what = _direct_call(node)
            if what:
                uses.append((node.lineno, "direct", what))
    return uses


def _sources():
    for path in sorted((ROOT / "merdeka").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_raw_sql_stays_in_its_places_and_goes_through_rawsql():
    wrong = []
    for path, source in _sources():
        word = RAW_SQL_PLACES.get(path)
        for line, kind, what in raw_sql_uses(source):
            if word is None:
                wrong.append(f"{path}:{line}: {what} outside the places of raw SQL")
            elif kind == "direct" and word not in DIRECT:
                wrong.append(f"{path}:{line}: {what} without rawsql (in a '{word}' place)")
    assert not wrong, (
        "raw SQL belongs in the domain's selectors (reads) or its module of set-wise "
        "writes, through merdeka.core.rawsql (see RAW_SQL_PLACES):\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("path", sorted(RAW_SQL_PLACES))
def test_every_listed_place_still_holds_raw_sql(path):
    """A place whose SQL moved away leaves the list (a temporary one above all)."""
    source = (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).exists() else ""
    assert raw_sql_uses(source), f"{path} holds no raw SQL: remove it from RAW_SQL_PLACES"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("with connection.cursor() as c: pass", "direct"),
        ("cursor.execute('SELECT 1')", "direct"),
        ("cursor.executemany(sql, rows)", "direct"),
        ("db.executescript('x')", "direct"),
        ("cursor.cursor.copy(sql)", "direct"),
        ("cur.copy(f'COPY {t} FROM STDIN')", "direct"),
        ("Order.objects.raw(SQL, [1])", "direct"),
        ("Order.objects.extra(where=['1'])", "direct"),
        ("from django.db.models.expressions import RawSQL", "direct"),
        ("qs.annotate(x=expressions.RawSQL('1', []))", "direct"),
        ("from merdeka.core import bulk, rawsql", "helper"),
        ("from merdeka.core.rawsql import execute", "helper"),
        ("import merdeka.core.rawsql", "helper"),
        ("rawsql.fetchall(c, SQL, [1], shop_id=1)", "helper"),
    ],
)
def test_the_walk_sees_each_form_of_raw_sql(source, kind):
    assert [found for _line, found, _what in raw_sql_uses(source)][:1] == [kind]


@pytest.mark.parametrize(
    "source",
    ["data = request.POST.copy()", "digest = base.copy()", "copy.copy(x)", "bulk.insert(M, c, r)"],
)
def test_the_walk_leaves_other_code_alone(source):
    assert raw_sql_uses(source) == []
