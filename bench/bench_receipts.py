"""The receipt reader on a fresh draw of generated Indonesian receipts with known truth.

    .venv/bin/python bench/bench_receipts.py [--count 200] [--seed 2026] [--hard-share 0.5] [--json]

Draws ``--count`` receipts from ``bench/receipts_gen.py`` (half of them hard: ≤ 450 px wide,
tilted up to ±7°, JPEG quality 50), reads each with ``merdeka.receipts.reader.receipt_read`` in
this process, and prints:
- exact total: the reading's total equals the truth;
- every item line exact: as many items as printed, each with the same quantity, unit price and
  line total, and the same name once spaces and punctuation are ignored ("SUSUKENTALMANIS");
- wrong and unflagged: ``needs_review`` false while the total is wrong (must be 0);
- flagged share, seconds per receipt (wall, mean and p95; and CPU), peak RSS of the process,
  the load average before and after (the machine may be shared);
per layout and for easy and hard photos, then the misses (``--misses``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
os.environ.setdefault("MERDEKA_DATA_DIR", tempfile.mkdtemp())
django.setup()

from receipts_gen import generate  # noqa: E402

from merdeka.receipts.reader import UnreadableImage, receipt_read  # noqa: E402


def squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def items_exact(reading, truth) -> bool:
    got = [(squash(i.name), str(i.qty), i.unit_price, i.total) for i in reading.items]
    want = [(squash(i["name"]), i["qty"], i["unit_price"], i["total"]) for i in truth["items"]]
    return got == want


def read_one(job):
    """Read one generated photo in a worker process; the figures of that reading."""
    name, photo, truth, show_misses = job
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        reading = receipt_read(photo)
        error = None
    except UnreadableImage as exc:
        reading, error = None, str(exc)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    total_ok = reading is not None and reading.total == truth["total"]
    row = {
        "name": name,
        "layout": truth["layout"],
        "hard": truth["hard"],
        "total_ok": total_ok,
        "items_ok": reading is not None and items_exact(reading, truth),
        "flagged": reading is None or reading.needs_review,
        "wrong_unflagged": reading is not None and not reading.needs_review and not total_ok,
        "seconds": wall,
        "cpu": cpu,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "miss": "",
    }
    if show_misses and not (row["total_ok"] and row["items_ok"] and not row["flagged"]):
        lines = [f"miss {name}: {error or ''}"]
        if reading is not None:
            got = [(i.name, str(i.qty), i.unit_price, i.total) for i in reading.items]
            want = [(i["name"], i["qty"], i["unit_price"], i["total"]) for i in truth["items"]]
            lines += [
                f"  total {reading.total} want {truth['total']};"
                f" review {[str(r) for r in reading.reasons]}",
                f"  got  {got}",
                f"  want {want}",
            ]
        row["miss"] = "\n".join(lines)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--hard-share", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="worker processes, each with its own engine (RSS is the largest worker's)",
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    started = time.time()
    jobs = (
        (name, photo, truth, args.misses)
        for name, photo, truth in generate(args.seed, args.count, args.hard_share)
    )
    rows = []
    if args.processes > 1:
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            rows = list(pool.imap(read_one, jobs))
    else:
        rows = [read_one(job) for job in jobs]
    for row in rows:
        if row["miss"]:
            print(row["miss"], file=sys.stderr)

    def summary(subset):
        if not subset:
            return {}
        seconds = sorted(r["seconds"] for r in subset)
        cpus = sorted(r["cpu"] for r in subset)
        return {
            "receipts": len(subset),
            "exact_total_pct": round(100 * sum(r["total_ok"] for r in subset) / len(subset), 1),
            "items_exact_pct": round(100 * sum(r["items_ok"] for r in subset) / len(subset), 1),
            "wrong_unflagged": sum(r["wrong_unflagged"] for r in subset),
            "flagged_pct": round(100 * sum(r["flagged"] for r in subset) / len(subset), 1),
            "mean_s": round(statistics.mean(seconds), 2),
            "p95_s": round(seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 2),
            "mean_cpu_s": round(statistics.mean(r["cpu"] for r in subset), 2),
            "p95_cpu_s": round(cpus[min(len(cpus) - 1, int(0.95 * len(cpus)))], 2),
        }

    result = {
        "seed": args.seed,
        "all": summary(rows),
        "easy": summary([r for r in rows if not r["hard"]]),
        "hard": summary([r for r in rows if r["hard"]]),
        "layouts": {
            layout: summary([r for r in rows if r["layout"] == layout])
            for layout in sorted({r["layout"] for r in rows})
        },
        "peak_rss_mib": round(max(r["rss_mib"] for r in rows)),
        "processes": args.processes,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "elapsed_s": round(time.time() - started),
        "threads": os.environ.get("MERDEKA_OCR_THREADS", "1"),
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"seed {args.seed}, {len(rows)} receipts, {result['elapsed_s']} s")
    print("set        n  total%  items%  wrong-unflagged  flagged%  mean_s  p95_s  cpu_s  p95_cpu")
    for label, figures in [("all", result["all"]), ("easy", result["easy"]),
                           ("hard", result["hard"]), *result["layouts"].items()]:  # fmt: skip
        if figures:
            print(
                f"{label:<9}{figures['receipts']:>4}{figures['exact_total_pct']:>8}"
                f"{figures['items_exact_pct']:>8}{figures['wrong_unflagged']:>17}"
                f"{figures['flagged_pct']:>10}{figures['mean_s']:>8}{figures['p95_s']:>7}"
                f"{figures['mean_cpu_s']:>7}{figures['p95_cpu_s']:>9}"
            )
    print(f"peak RSS {result['peak_rss_mib']} MiB (largest worker); load average before"
          f" {result['load_before']}, after {result['load_after']}; {args.processes} process(es),"
          f" onnxruntime threads {result['threads']}")  # fmt: skip


if __name__ == "__main__":
    main()
