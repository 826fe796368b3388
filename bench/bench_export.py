"""`merdeka export` of a big shop: wall time and peak memory of the command.

    .venv/bin/python bench/bench_export.py [--data-dir bench/.data/books-1000000-300000]
        [--shop toko-bench] [--database-url postgres://...]

Runs the real command in a child process against a shop already built by
``bench/bench_books.py`` (the 1M-line benchmark's seller: 645k orders, ~230k customers)
and prints its time, its CPU seconds and peak resident memory (the child's rusage),
the seconds of each part (JSON Lines, CSV, XLSX; "beside": the second process writing
the customers, the journal and its share of the orders meanwhile, its CPU counted in
the CPU per order; "json"'s CPU is this process's alone, the longer of the two is the
critical path on 2 cores) and
what it wrote. ``--profile FILE``
runs the command under cProfile (CPU clock) and writes its stats there; ``--keep DIR``
keeps the export (to compare two versions' files).

The lead's 1M build (``bench/.data/books-1000000-300000`` of the main checkout) is the
default; another build by its folder, e.g. ``--data-dir bench/.data/books-20000-6000``.
Targets (issue "An import engine at the limit of the machine"): JSON Lines and CSV in
≤ 60 s with ≤ 500 MB; the XLSX copy, split across sheets past 1,048,576 rows, reported
beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "merdeka.cli", "export"]
PART = re.compile(r"^  (\w+): ([\d.]+) s(?: \(CPU ([\d.]+) s\))?$", re.MULTILINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/.data/books-1000000-300000")
    parser.add_argument("--shop", default="toko-bench")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", type=Path, help="cProfile (CPU clock) stats into FILE")
    parser.add_argument("--keep", type=Path, help="copy the export into DIR")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.data_dir / "master.key").exists():
        sys.exit(f"no shop built in {args.data_dir}: run bench/bench_books.py first")
    env = {**os.environ, "MERDEKA_DATA_DIR": str(args.data_dir.resolve())}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    command = COMMAND
    if args.profile:
        # time.process_time: the CPU clock, so other jobs on the machine do not count
        command = [sys.executable, "-c", PROFILED, str(args.profile.resolve())]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as work:
        out = Path(work) / "export"
        started = time.perf_counter()
        printed = subprocess.run(
            [*command, "--shop", args.shop, "--out", str(out), "--verbosity", "2"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if printed.returncode:
            sys.exit(printed.stderr or printed.stdout)
        printed = printed.stdout
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        manifest = json.loads((out / "manifest.json").read_text())
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
        if args.keep:
            shutil.copytree(out, args.keep, dirs_exist_ok=True)
    parts, part_cpu = {}, {}
    # "  json: 8.2 s" (older versions), "  json: 8.2 s (CPU 4.1 s)"
    for name, wall, cpu_part in PART.findall(printed):
        parts[name] = float(wall)
        if cpu_part:
            part_cpu[name] = float(cpu_part)
    orders = manifest["counts"]["orders"]
    figures = {
        "shop": args.shop,
        "counts": manifest["counts"],
        "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_rss_mb": round(peak_mb),
        "part_seconds": parts,
        "part_cpu_seconds": part_cpu,
        # JSON Lines and CSV, the issue's ≤ 60 s, per order and at 645,379 orders
        "json_csv_us_per_order": round(
            1e6 * (parts.get("json", 0) + parts.get("csv", 0)) / max(orders, 1)
        ),
        # with the second process's CPU ("beside": customers, journal, the last orders)
        "json_csv_cpu_us_per_order": round(
            1e6
            * (part_cpu.get("json", 0) + part_cpu.get("csv", 0) + part_cpu.get("beside", 0))
            / max(orders, 1)
        ),
        "load_average_before": " ".join(f"{n:.1f}" for n in load_before),
        "load_average_after": " ".join(f"{n:.1f}" for n in os.getloadavg()),
        "sizes_mb": {name: round(size / 1e6, 1) for name, size in sizes.items()},
    }
    figures["json_csv_at_645k_orders_s"] = round(figures["json_csv_us_per_order"] * 0.645379)
    figures["json_csv_cpu_at_645k_orders_s"] = round(
        figures["json_csv_cpu_us_per_order"] * 0.645379
    )
    if args.json:
        print(json.dumps(figures))
        return
    print(f"export of {args.shop}: {manifest['counts']}")
    print(
        f"wall {seconds:.1f} s, CPU {cpu:.1f} s, peak RSS {peak_mb:.0f} MB, load average "
        f"{figures['load_average_before']} before, {figures['load_average_after']} after"
    )
    print("parts (JSON Lines, CSV, XLSX):")
    for name, value in parts.items():
        cpu_part = f" (CPU {part_cpu[name]:.1f} s)" if name in part_cpu else ""
        print(f"  {name}: {value:.1f} s{cpu_part}")
    print(
        f"JSON Lines + CSV: {figures['json_csv_us_per_order']} µs per order "
        f"(CPU {figures['json_csv_cpu_us_per_order']} µs), "
        f"{figures['json_csv_at_645k_orders_s']} s at 645,379 orders "
        f"(CPU {figures['json_csv_cpu_at_645k_orders_s']} s)"
    )
    for name, size in sizes.items():
        print(f"  {name:24} {size / 1e6:9.1f} MB")


# the command under cProfile with the CPU clock: argv[1] is the stats file
PROFILED = """
import cProfile, sys, time
out = sys.argv.pop(1)
sys.argv = ["merdeka", "export", *sys.argv[1:]]
from merdeka.cli import main
profile = cProfile.Profile(time.process_time)
try:
    profile.runcall(main)
except SystemExit:
    pass
finally:
    profile.dump_stats(out)
"""


if __name__ == "__main__":
    main()
