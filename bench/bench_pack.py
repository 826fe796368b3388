"""The lender's evidence pack with a big journal: make the 12-month pack, verify it.

    .venv/bin/python bench/bench_pack.py [--lines 3000000] [--rounds 5]
    .venv/bin/python bench/bench_pack.py --database-url postgres://postgres@127.0.0.1:5432/bench_books_reports

Reuses the shop of ``bench/bench_books_reports.py`` (its builder: ``--lines`` journal
lines over the last 13 months, through ``entries_write``, so every entry is chained as
it posts; built once into ``bench/.data/books-reports-<lines>/`` and reused). Times,
warm (one untimed round first: WeasyPrint's import and fonts), ``--rounds`` rounds of:

* ``pack_make`` for the last 12 months: every document, the PDF, the CSV/JSON, the
  manifest with the chain's heads, the signature, the zip kept in the database;
* ``verify_zip`` of that pack (what the public page and ``merdeka pack verify`` do).

Targets: the pack ≤ 5 s, verification ≤ 1 s. Prints the median and the worst round,
the process's CPU time (which moves far less than wall time on a shared machine; the
database's own time is in it for SQLite, not for PostgreSQL) and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_books_reports as reports  # noqa: E402  (after the path)

MAKE_TARGET_S, VERIFY_TARGET_S = 5.0, 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    reports.setup(args)

    from django.db import connection

    from merdeka.books.pack import pack_make
    from merdeka.books.pack_verify import verify_zip

    shop, _figures = reports.build(args)
    lines = reports.journal_lines(shop)
    made = pack_make(shop=shop, months=12)  # warm
    assert verify_zip(bytes(made.pack.data)).ok
    make_s, verify_s, make_cpu, verify_cpu = [], [], [], []
    for _round in range(args.rounds):
        started, cpu = time.perf_counter(), time.process_time()
        made = pack_make(shop=shop, months=12)
        make_s.append(time.perf_counter() - started)
        make_cpu.append(time.process_time() - cpu)
        data = bytes(made.pack.data)
        started, cpu = time.perf_counter(), time.process_time()
        verdict = verify_zip(data)
        verify_s.append(time.perf_counter() - started)
        verify_cpu.append(time.process_time() - cpu)
        assert verdict.ok, verdict.reason
    load = " ".join(f"{n:.1f}" for n in os.getloadavg())
    period = made.manifest["period"]
    print(
        f"{connection.vendor}: {lines:,} journal lines, {made.manifest['chain']['entries']:,} "
        f"chained entries, {period['start']} to {period['end']}, {args.rounds} rounds, "
        f"pack {len(data) / 1024:.0f} KiB in {len(made.files)} files, load average {load}"
    )
    print("| step | median s | worst s | median CPU s (this process) | target |")
    print("|---|---|---|---|---|")
    for name, runs, cpu, target in (
        ("make the 12-month pack", make_s, make_cpu, MAKE_TARGET_S),
        ("verify the pack", verify_s, verify_cpu, VERIFY_TARGET_S),
    ):
        ok = "yes" if max(runs) <= target else "**no**"
        print(
            f"| {name} | {statistics.median(runs):.3f} | {max(runs):.3f} "
            f"| {statistics.median(cpu):.3f} | ≤ {target:g} s: {ok} |"
        )


if __name__ == "__main__":
    main()
