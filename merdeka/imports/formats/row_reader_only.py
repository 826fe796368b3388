"""Every marketplace export through the row reader, for comparing the two readers.

An import always tries the columnar reader first (``sources._columnar_xlsx`` for an xlsx
workbook, ``sources._order_parse`` for a CSV export) and gives the row reader
(``formats/orders.py``) what it leaves (``columnar.Unsupported``). ``row_reader_only``
makes the columnar reader leave every file, exactly as it leaves the files it does not
take, so that the same import runs through the row reader alone: the comparisons of the
two (``imports/tests/test_columnar.py``, ``bench/bench_columnar.py``) use it, imports
never do. It imports no Django model: a spawned read-ahead worker can enter it before
Django is set up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from merdeka.imports.formats import columnar, columnar_xlsx


def _leave(*args, **kwargs):
    raise columnar.Unsupported("left to the row reader, for a comparison")


@contextmanager
def row_reader_only() -> Iterator[None]:
    """While inside, the columnar reader's two entries leave every file."""
    entries = columnar.parse, columnar_xlsx.parse_file
    columnar.parse = columnar_xlsx.parse_file = _leave
    try:
        yield
    finally:
        columnar.parse, columnar_xlsx.parse_file = entries
