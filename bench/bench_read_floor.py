"""The reading floor of an import on both cores: the used columns of a seller's files,
as she downloads them, read by the fastest readers we have, and nothing else (issue 20).

    .venv/bin/python bench/bench_read_floor.py [--lines 100000] [--people 30000]
        [--merdeka-json FILE] [--json]

The files are ``bench_import.py``'s generated year (cached under ``bench/.data/``):
Shopee's monthly xlsx exports, TikTok's CSV exports, WhatsApp chats. Each marketplace
file's header and used columns are found first, untimed (the row reader's
``open_and_detect``); then two processes (the machine's two cores) take the files,
biggest first, and read:

* xlsx: the used columns only, by fastexcel (calamine in Rust, into Arrow), typed as
  the import loads them, into a Polars frame;
* CSV: the used columns only, by Polars' reader, as text;
* WhatsApp chats: the file decoded and cut into lines (no parse).

No text is cleaned, nothing normalised, sealed, resolved or written: it is the least
any engine pays to get the data out of these files, and the issue's "within twice the
floor" is measured against its wall time. ``--merdeka-json`` takes the output of
``bench_import.py --json`` on the same data and prints the ratio of its usable time to
the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def read_one(job: tuple) -> dict:
    """Read one file's used columns (a worker process); returns its rows and CPU."""
    kind, path, options = job
    cpu, started = time.process_time(), time.perf_counter()
    if kind == "xlsx":
        import fastexcel

        wanted = set(options["indices"])
        frame = (
            fastexcel.read_excel(path)
            .load_sheet(
                options["sheet"],
                header_row=None,
                skip_rows=options["header_row"],
                schema_sample_rows=None,
                dtype_coercion="strict",
                use_columns=lambda column: column.index in wanted,
            )
            .to_polars()
        )
        rows = frame.height
    elif kind == "csv":
        import polars as pl

        frame = pl.read_csv(
            path,
            has_header=False,
            skip_rows=options["header_row"] + 1,
            columns=sorted(options["indices"]),
            infer_schema=False,
            truncate_ragged_lines=True,
        )
        rows = frame.height
    else:
        with open(path, encoding="utf-8", errors="replace") as handle:
            rows = len(handle.read().splitlines())
    return {
        "file": Path(path).name,
        "kind": kind,
        "rows": rows,
        "cpu_seconds": time.process_time() - cpu,
        "seconds": time.perf_counter() - started,
    }


def jobs_of(files: list[Path]) -> list[tuple]:
    """What each file's floor reads: its kind, and for a marketplace export its sheet,
    header row and used columns, found the way the import finds them (untimed)."""
    from merdeka.imports.formats import marketplaces, orders

    jobs = []
    for path in files:
        if path.suffix == ".txt":
            jobs.append(("chat", str(path), {}))
            continue
        _spec, table, columns, header_row, _header = orders.open_and_detect(
            path, path.name, marketplaces.SPECS
        )
        kind = "xlsx" if path.suffix == ".xlsx" else "csv"
        jobs.append(
            (kind, str(path), {"sheet": getattr(table, "sheet", None), "header_row": header_row,
                               "indices": sorted(set(columns.values()))})
        )  # fmt: skip
    # biggest first, so that the two processes end together
    return sorted(jobs, key=lambda job: -Path(job[1]).stat().st_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--merdeka-json", type=Path, help="bench_import.py --json output")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import bench_import

    folder = bench_import.dataset(args.lines, args.people)
    bench_import.setup_django(tempfile.mkdtemp(prefix="merdeka-bench-"))
    jobs = jobs_of(bench_import.files_of(folder))
    load_before = os.getloadavg()
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(read_one, jobs[:2]))  # the processes and their imports, untimed
        started = time.perf_counter()
        results = list(pool.map(read_one, jobs))
        seconds = time.perf_counter() - started
    by_kind: dict[str, dict] = {}
    for result in results:
        kind = by_kind.setdefault(result["kind"], {"files": 0, "rows": 0, "cpu_seconds": 0.0})
        kind["files"] += 1
        kind["rows"] += result["rows"]
        kind["cpu_seconds"] = round(kind["cpu_seconds"] + result["cpu_seconds"], 2)
    figures = {
        "lines": args.lines,
        "files": len(jobs),
        "floor_seconds": round(seconds, 2),
        "floor_cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 2),
        "by_kind": by_kind,
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    if args.merdeka_json:
        printed = args.merdeka_json.read_text().splitlines()
        merdeka = json.loads([line for line in printed if line.startswith("{")][-1])
        figures["usable_seconds"] = merdeka["usable_seconds"]
        figures["usable_over_floor"] = round(merdeka["usable_seconds"] / seconds, 2)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
