"""The columnar reader against the row reader, on CSV and xlsx marketplace exports (issue 20).

    .venv/bin/python bench/bench_columnar.py [--lines 100000] [--people 30000] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_columnar.py
    .venv/bin/python bench/bench_columnar.py --xlsx [--lines 100000] [--typed] [--json]

Uses ``bench_import.py``'s generated seller's year (cached under ``bench/.data/``) with
every Shopee month saved as CSV too (cached beside it), so that all 24 files are CSV
exports as the issue's 1M-line set is. Each figure is taken in a fresh process per
reader, the row reader first, in the same run: ``columnar`` as imports read (the
columnar reader first, the row reader for what it leaves), ``rows`` with every file
left to the row reader (``formats.row_reader_only``, entered by this module's top level
when ``BENCH_COLUMNAR_READER=rows``, so also in the spawned read-ahead worker, which
runs it again as ``__mp_main__``):

* read + normalise: ``sources.parse_file`` on every file (what the read-ahead worker
  does), lines/s, and the orders each reader found (must be equal);
* the whole import, as ``merdeka import`` runs it (read-ahead worker, resolution,
  sealing, bulk writes, the review pass) into a fresh shop: lines/s, peak memory of
  both processes, and the customers and orders written (must be equal).

With ``--xlsx``, one generated Shopee-like export of ``--lines`` lines and 60 columns
(Shopee's 49 and 11 more; cached under ``bench/.data/``): all text, as Shopee writes it,
or with ``--typed`` its numbers, dates and times as typed cells, as a sheet re-saved in a
spreadsheet app has them. Read + normalise (``sources.parse_file``) by each reader in a
fresh process, CPU seconds and wall, the orders each found (equal, and the same
``records.Order`` digest), and the floor: only the used columns read by fastexcel alone
(into a Polars frame, no text made, nothing normalised).

The load average is printed before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
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

# The reader of this process: set by _child for the phases, inherited by the read-ahead
# worker an import spawns (it runs this top level again). row_reader_only imports no
# model: Django need not be set up yet. The ExitStack keeps the context entered for the
# process's life (a context manager's generator dropped would be closed, and leave it).
READER = os.environ.get("BENCH_COLUMNAR_READER", "columnar")
_ALONE = contextlib.ExitStack()
if READER == "rows":
    from merdeka.imports.formats.row_reader_only import row_reader_only  # after sys.path

    _ALONE.enter_context(row_reader_only())


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


XLSX_EXTRA = [f"Kolom Tambahan {i}" for i in range(1, 12)]  # 49 + 11 = 60 columns


def xlsx_file(lines: int, typed: bool) -> Path:
    """One Shopee-like export of ``lines`` lines, 60 columns, every cell filled as a
    real export fills them (cached)."""
    import random
    from datetime import datetime, timedelta

    import dataset
    from openpyxl import Workbook

    kind = "typed" if typed else "text"
    path = ROOT / "bench" / ".data" / f"xlsx-{lines}-{kind}" / "Order.all.20250101_20251231.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _setup(tempfile.mkdtemp(prefix="merdeka-bench-"))
    from merdeka.imports.formats import marketplaces

    used = {text for spec in marketplaces.SPECS for text in spec.aliases}
    rng = random.Random(2026)
    header = [h.strip() for h in dataset.SHOPEE_HEADERS.read_text().splitlines() if h.strip()]
    header += XLSX_EXTRA
    index = {name: i for i, name in enumerate(header)}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("orders")
    sheet.append(header)
    written, seq = 0, 0
    start = datetime(2025, 1, 1, 0, 0, 1)
    while written < lines:
        seq += 1
        when = start + timedelta(seconds=seq * 487 + rng.randint(0, 400))
        if when.hour == when.minute == when.second == 0:  # a typed midnight: the row reader's
            when += timedelta(seconds=1)
        status = rng.choice(dataset.SHOPEE_STATUS)
        national = rng.choice(dataset.MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        masked = status == "Selesai" and rng.random() < 0.55
        given = rng.choice(dataset.GIVEN)
        products = rng.sample(dataset.PRODUCTS, rng.randint(1, 3))
        quantities = [rng.randint(1, 3) for _ in products]
        total = (
            sum(price * q for (_n, _s, price), q in zip(products, quantities, strict=True)) + 9000
        )
        order_id = f"25{when.month:02d}{when.day:02d}{seq:07X}"
        for (product, sku, price), quantity in zip(products, quantities, strict=True):
            paid = None if status == "Belum Bayar" else when + timedelta(minutes=3)
            values = {
                "No. Pesanan": order_id,
                "Status Pesanan": status,
                "Nama Produk": product,
                "Nama Variasi": rng.choice(dataset.VARIANTS),
                "Nomor Referensi SKU": f"{sku}-{rng.randint(1, 9)}",
                "Username (Pembeli)": f"{given.lower()}{rng.randint(1, 30_000)}",
                "Nama Penerima": f"{given[0]}***{given[-1]}" if masked else f"{given} Lestari",
                "No. Telepon": f"62{national[:3]}****{national[-4:]}"
                if masked
                else dataset._phone_text(rng, national),
                "Alamat Pengiriman": "******" if masked else f"Jl. Melati {rng.randint(1, 200)}",
                "Kota/Kabupaten": "KOTA BANDUNG",
                "Provinsi": "JAWA BARAT",
                "Metode Pembayaran": "COD" if rng.random() < 0.3 else "ShopeePay",
                "Opsi Pengiriman": "SPX Standard",
            }
            if typed:
                values |= {
                    "Waktu Pesanan Dibuat": when,
                    "Waktu Pembayaran Dilakukan": paid,
                    "Harga Setelah Diskon": float(price),
                    "Jumlah": quantity,
                    "Total Harga Produk": float(price * quantity),
                    "Total Pembayaran": float(total),
                    "Ongkos Kirim Dibayar oleh Pembeli": 9000.0,
                }
            else:
                values |= {
                    "Waktu Pesanan Dibuat": when.strftime("%Y-%m-%d %H:%M"),
                    "Waktu Pembayaran Dilakukan": paid.strftime("%Y-%m-%d %H:%M") if paid else "",
                    "Harga Setelah Diskon": f"{price:,}".replace(",", "."),
                    "Jumlah": str(quantity),
                    "Total Harga Produk": f"{price * quantity:,}".replace(",", "."),
                    "Total Pembayaran": f"{total:,}".replace(",", "."),
                    "Ongkos Kirim Dibayar oleh Pembeli": "9.000",
                }
            # the columns no import reads are filled too, as in a real export
            row = ["" if name in used else f"isi {i} {seq % 97}" for i, name in enumerate(header)]
            for key, value in values.items():
                row[index[key]] = value
            sheet.append(row)
            written += 1
            if written >= lines:
                break
    workbook.save(path.with_suffix(".tmp"))
    path.with_suffix(".tmp").rename(path)
    return path


def phase_xlsx(path: Path, reader: str) -> dict:
    _setup(tempfile.mkdtemp(prefix="merdeka-bench-"))
    import hashlib

    from merdeka.imports import sources
    from merdeka.imports.formats import columnar, columnar_xlsx, marketplaces

    started, cpu = time.perf_counter(), time.process_time()
    parsed = sources.parse_file(path, path.name)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    found = parsed.preview["orders"]
    result = {
        "rows": parsed.rows_read,
        "orders": len(found),
        "lines": sum(len(o.lines) for o in found),
        "orders_digest": hashlib.sha256(repr(found).encode()).hexdigest()[:16],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "lines_per_cpu_second": round(parsed.rows_read / cpu_seconds),
    }
    if reader == "columnar":  # read by the xlsx stage, not left to the row reader?
        try:
            columnar_xlsx.parse_file(path, marketplaces.SPECS)
            result["read_by"] = "columnar"
        except columnar.Unsupported as exc:
            result["read_by"] = f"rows ({exc})"
    return result


def phase_floor(path: Path) -> dict:
    """Only the used columns, read by fastexcel into a Polars frame: no text made."""
    _setup(tempfile.mkdtemp(prefix="merdeka-bench-"))
    import fastexcel

    from merdeka.imports.formats import marketplaces, orders

    _spec, table, columns, header_row, _header = orders.open_and_detect(
        path, path.name, marketplaces.SPECS
    )
    wanted = set(columns.values())
    started, cpu = time.perf_counter(), time.process_time()
    frame = (
        fastexcel.read_excel(str(path))
        .load_sheet(
            table.sheet,
            header_row=None,
            skip_rows=header_row,
            schema_sample_rows=None,
            dtype_coercion="strict",
            use_columns=lambda column: column.index in wanted,
        )
        .to_polars()
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": frame.height,
        "columns": frame.width,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
    }


def main_xlsx(args) -> None:
    path = xlsx_file(args.lines, args.typed)
    figures = {"file": str(path.relative_to(ROOT)), "mib": round(path.stat().st_size / 2**20, 1)}
    figures["load_before"] = os.getloadavg()
    for reader in ("rows", "columnar"):
        figures[f"read_{reader}"] = _child("xlsx", reader, args)
    figures["floor_fastexcel"] = _child("floor", "columnar", args)
    figures["load_after"] = os.getloadavg()
    old, new = figures["read_rows"], figures["read_columnar"]
    figures["cpu_speedup"] = round(old["cpu_seconds"] / new["cpu_seconds"], 2)
    figures["same_orders"] = old["orders_digest"] == new["orders_digest"]
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


def _child(phase: str, reader: str, args) -> dict:
    env = dict(os.environ, BENCH_COLUMNAR_READER=reader)
    command = [sys.executable, __file__, "--phase", phase, "--lines", str(args.lines),
               "--people", str(args.people)]  # fmt: skip
    if getattr(args, "typed", False):
        command.append("--typed")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{phase}/{reader} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--phase", choices=["read", "import", "xlsx", "floor"])
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--xlsx", action="store_true", help="the xlsx case (see above)")
    parser.add_argument("--typed", action="store_true", help="xlsx: typed numbers and dates")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.phase in ("xlsx", "floor"):
        path = xlsx_file(args.lines, args.typed)
        result = phase_xlsx(path, READER) if args.phase == "xlsx" else phase_floor(path)
        print(json.dumps(result))
        return
    if args.xlsx:
        main_xlsx(args)
        return
    files = csv_files(args.lines, args.people)
    if args.phase:
        result = phase_read(files) if args.phase == "read" else phase_import(files)
        print(json.dumps(result))
        return

    figures = {"files": len(files), "load_before": os.getloadavg()}
    phases = ["read"] + ([] if args.skip_import else ["import"])
    for phase in phases:
        for reader in ("rows", "columnar"):
            figures[f"{phase}_{reader}"] = _child(phase, reader, args)
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
