"""`merdeka export` of a big shop: wall time and peak memory of the command.

    .venv/bin/python bench/bench_export.py [--data-dir bench/.data/books-1000000-300000]
        [--shop toko-bench] [--database-url postgres://...]

Runs the real command in a child process against a shop already built by
``bench/bench_books.py`` (the 1M-line benchmark's seller: 625k orders, ~226k customers)
and prints its time, its peak resident memory (the child's ru_maxrss) and what it wrote.
Targets (issue "An import engine at the limit of the machine"): JSON Lines and CSV in
≤ 60 s with ≤ 500 MB; the XLSX copy, split across sheets past 1,048,576 rows, reported
beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "merdeka.cli", "export"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench/.data/books-1000000-300000")
    parser.add_argument("--shop", default="toko-bench")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not (args.data_dir / "master.key").exists():
        sys.exit(f"no shop built in {args.data_dir}: run bench/bench_books.py first")
    env = {**os.environ, "MERDEKA_DATA_DIR": str(args.data_dir.resolve())}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory(prefix="bench-export-") as work:
        out = Path(work) / "export"
        started = time.perf_counter()
        printed = subprocess.run(
            [*COMMAND, "--shop", args.shop, "--out", str(out), "--verbosity", "2"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if printed.returncode:
            sys.exit(printed.stderr or printed.stdout)
        printed = printed.stdout
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads((out / "manifest.json").read_text())
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    load = os.getloadavg()[0]
    print(f"export of {args.shop}: {manifest['counts']}")
    print(f"wall {seconds:.1f} s, peak RSS {peak_mb:.0f} MB, load average {load:.1f}")
    print("parts (JSON Lines, CSV, XLSX):")
    print("\n".join(line for line in printed.splitlines() if line.startswith("  ")))
    for name, size in sizes.items():
        print(f"  {name:24} {size / 1e6:9.1f} MB")


if __name__ == "__main__":
    main()
