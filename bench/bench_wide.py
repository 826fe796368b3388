"""How long a very wide CSV takes to be read or refused (the hostile probe's
"a million columns in one line").

Reads each generated file the way an import does when it does not know the columns:
``sources.parse_file`` (the marketplace header search), then ``mapped.read_sheet`` (the
header of an unknown spreadsheet). Prints seconds per file and what happened. Needs no
database.

    PYTHONPATH=. .venv/bin/python bench/bench_wide.py [--columns 2000 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")

import django

django.setup()

from merdeka.imports import sources  # noqa: E402
from merdeka.imports.formats import mapped  # noqa: E402
from merdeka.imports.records import RejectedFile  # noqa: E402


def wide_csv(path: Path, columns: int, *, title: bool) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        if title:
            handle.write("Catatan pelanggan 2025\n")
        handle.write(",".join(f"Kolom {i}" for i in range(columns)) + "\n")
        cells = ["0812345678", "2025-05-01 10:00", "Siti"] + ["x"] * (columns - 3)
        handle.write(",".join(cells) + "\n")


def read(path: Path) -> str:
    try:
        sources.parse_file(path, path.name)
    except sources.UnknownSpreadsheet:
        pass
    except RejectedFile as exc:
        return f"refused: {exc.problem.message}"
    try:
        sheet = mapped.read_sheet(path, path.name, samples=0)
    except RejectedFile as exc:
        return f"refused: {exc.problem.message}"
    return f"header found in row {sheet.header_row}, {len(sheet.header)} columns"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--columns", type=int, nargs="+", default=[2000, 10_000, 100_000, 1_000_000]
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for columns in args.columns:
            for title in (False, True):
                path = Path(tmp) / f"lebar-{columns}.csv"
                wide_csv(path, columns, title=title)
                started = time.perf_counter()
                outcome = read(path)
                took = time.perf_counter() - started
                size = path.stat().st_size / 2**20
                where = "after a title row" if title else "first line"
                print(
                    f"{columns:>9,} columns ({size:5.1f} MiB, {where:17}): {took:7.3f} s  {outcome[:70]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
