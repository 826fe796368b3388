"""The columnar reader against the row reader, on CSV marketplace exports (issue 20).

    .venv/bin/python bench/bench_columnar.py [--lines 100000] [--people 30000] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_columnar.py

Uses ``bench_import.py``'s generated seller's year (cached under ``bench/.data/``) with
every Shopee month saved as CSV too (cached beside it), so that all 24 files are CSV
exports as the issue's 1M-line set is. Each figure is taken in a fresh process per
engine (``MERDEKA_IMPORT_ENGINE=rows`` or ``columnar``), the row reader first, in the
same run:

* read + normalise: ``sources.parse_file`` on every file (what the read-ahead worker
  does), lines/s, and the orders each engine found (must be equal);
* the whole import, as ``merdeka import`` runs it (read-ahead worker, resolution,
  sealing, bulk writes, the review pass) into a fresh shop: lines/s, peak memory of
  both processes, and the customers and orders written (must be equal).

The load average is printed before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def csv_files(lines: int, people: int) -> list[Path]:
    """The generated set's marketplace exports, every one as CSV."""
    import bench_import
    from python_calamine import CalamineWorkbook

    folder = bench_import.dataset(lines, people)
    out = folder / "csv"
    shopee = sorted((folder / "shopee").glob("*.xlsx"))
    for path in shopee:
        target = out / "shopee" / (path.stem + ".csv")
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("orders").to_python()
        with open(target.with_suffix(".tmp"), "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(
                ["" if cell is None else str(cell) for cell in row] for row in rows
            )
        target.with_suffix(".tmp").rename(target)
    return sorted((out / "shopee").glob("*.csv")) + sorted((folder / "tiktok").glob("*.csv"))


def _setup(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    os.environ["MERDEKA_DATA_DIR"] = data_dir
    import django

    django.setup()


def phase_read(files: list[Path]) -> dict:
    _setup(tempfile.mkdtemp(prefix="merdeka-bench-"))
    from merdeka.imports import sources

    rows = orders = lines = 0
    started, cpu = time.perf_counter(), time.process_time()
    for path in files:
        parsed = sources.parse_file(path, path.name)
        rows += parsed.rows_read
        found = parsed.preview["orders"]
        orders += len(found)
        lines += sum(len(o.lines) for o in found)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "orders": orders,
        "lines": lines,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "lines_per_second": round(rows / seconds),
    }


def phase_import(files: list[Path]) -> dict:
    import bench_import

    bench_import.setup_django(tempfile.mkdtemp(prefix="merdeka-bench-"))
    from django.db import connection

    from merdeka.core import services
    from merdeka.core.scoping import shop_scope
    from merdeka.customers.models import Customer
    from merdeka.orders.models import Order, OrderLine

    if connection.vendor == "postgresql":
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug="toko-bench")
    totals = bench_import.run_import(shop, files)
    with shop_scope(shop):
        totals["customers_live"] = Customer.objects.filter(
            shop=shop, merged_into__isnull=True
        ).count()
        totals["orders"] = Order.objects.filter(shop=shop).count()
        totals["order_lines"] = OrderLine.objects.filter(shop=shop).count()
    totals["database"] = connection.vendor
    totals["seconds"] = round(totals["seconds"], 2)
    totals["lines_per_second"] = round(totals["rows_read"] / totals["seconds"])
    return totals


def _child(phase: str, engine: str, args) -> dict:
    env = dict(os.environ, MERDEKA_IMPORT_ENGINE=engine)
    command = [sys.executable, __file__, "--phase", phase, "--lines", str(args.lines),
               "--people", str(args.people)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{phase}/{engine} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--phase", choices=["read", "import"])
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    files = csv_files(args.lines, args.people)
    if args.phase:
        result = phase_read(files) if args.phase == "read" else phase_import(files)
        print(json.dumps(result))
        return

    figures = {"files": len(files), "load_before": os.getloadavg()}
    phases = ["read"] + ([] if args.skip_import else ["import"])
    for phase in phases:
        for engine in ("rows", "columnar"):
            figures[f"{phase}_{engine}"] = _child(phase, engine, args)
    figures["load_after"] = os.getloadavg()
    for phase in phases:
        old, new = figures[f"{phase}_rows"], figures[f"{phase}_columnar"]
        figures[f"{phase}_speedup"] = round(old["seconds"] / new["seconds"], 2)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
