"""Import + identity resolution, end to end, and how right the resolution is.

    .venv/bin/python bench/bench_import.py [--lines 1000000] [--people 300000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_import.py

Generates (once, cached under ``bench/.data/``) a seller's year on Shopee, TikTok
Shop and WhatsApp with the truth known (``bench/dataset.py``), imports every file
into a fresh shop exactly as ``merdeka import`` does (parse, mask detection, phone
normalisation, blind indexes, AES-GCM for every personal field, bulk writes, review
suggestions), and prints:

* two clocks: **usable** (every file committed, ``usable_seconds``) and **complete**
  (the review pass and the deferred steps done too, ``seconds``), and order lines per
  second for each; peak memory (RSS) of the importing
  process, and of it and its read-ahead worker together (sampled);
* pairwise precision and recall of the resolution against the truth, for the
  automatic merges alone and with the review queue counted as links, beside the
  exact-identifier baseline (a union-find over full phone numbers and platform
  accounts, ``baseline``);
* the review queue as work for a person: the decisions she must make per 1,000
  customers, a group counting as one decision (its page shows every member), and
  the merges made without asking on evidence as strong as an exact identifier.

A record is one buyer as a channel knows them (a marketplace username, a WhatsApp
participant); two records are a true pair when they are the same person.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def dataset(lines: int, people: int) -> Path:
    import dataset as generator

    folder = ROOT / "bench" / ".data" / f"sellers-{lines}-{people}"
    if not (folder / "truth.csv").exists():
        started = time.perf_counter()
        print(f"generating {lines:,} order lines for {people:,} people in {folder} …")
        generator.generate(folder, lines=lines, count=people)
        print(f"  generated in {time.perf_counter() - started:.0f} s")
    return folder


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    os.environ["MERDEKA_DATA_DIR"] = data_dir
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def files_of(folder: Path) -> list[Path]:
    return sorted(p for sub in ("shopee", "tiktok", "whatsapp") for p in (folder / sub).iterdir())


def _tree_rss_kib() -> int:
    """Resident memory of this process and its children (the read-ahead worker), now."""
    me = os.getpid()
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            if int(entry.name) != me and parent != me:
                continue
            with open(f"/proc/{entry.name}/status") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS"))
        except (OSError, StopIteration, ValueError, IndexError):
            continue  # gone meanwhile
    return total


class TreePeak:
    """The highest resident memory of the whole import (the writer and its read-ahead
    worker together), sampled four times a second: each process's own peak alone hides
    that they run at the same time. ``phase`` names what runs now (files, review,
    deferred); ``phase_peaks_kib`` keeps the peak of each, so a figure above the
    budget says where it happens."""

    def __init__(self):
        self.peak_kib = 0
        self.phase = "files"
        self.phase_peaks_kib: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.25):
            now, phase = _tree_rss_kib(), self.phase
            self.peak_kib = max(self.peak_kib, now)
            self.phase_peaks_kib[phase] = max(self.phase_peaks_kib.get(phase, 0), now)

    def enter(self, phase: str) -> None:
        """Mark the start of the next phase, after one last sample of the one ending."""
        now, ending = _tree_rss_kib(), self.phase
        self.phase_peaks_kib[ending] = max(self.phase_peaks_kib.get(ending, 0), now)
        self.peak_kib = max(self.peak_kib, now)
        self.phase = phase

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_import(shop, files: list[Path]) -> dict:
    with TreePeak() as sampler:
        totals = _run_import(shop, files, sampler)
    totals["both_peak_rss_mib"] = round(sampler.peak_kib / 1024)
    for phase, kib in sampler.phase_peaks_kib.items():  # files, review, deferred
        totals[f"both_peak_{phase}_rss_mib"] = round(kib / 1024)
    return totals


def _run_import(shop, files: list[Path], sampler: TreePeak) -> dict:
    from merdeka.imports import pipeline

    try:
        from merdeka.imports.deferred import deferred_finish, deferred_waiting
    except ImportError:  # a tree before the deferred steps: everything was inline
        deferred_finish = deferred_waiting = None

    run = pipeline.run_create(shop=shop)
    totals = defaultdict(int)
    started = time.perf_counter()
    cpu_started = time.process_time()
    for path, report in zip(
        files, pipeline.import_paths(shop=shop, run=run, paths=files), strict=True
    ):
        if report.state != "imported":
            raise SystemExit(f"{path.name}: {report.state} {report.problems[:3]}")
        for key in ("rows_read", "orders_new", "lines_new", "customers_new", "customers_merged",
                    "participants"):  # fmt: skip
            totals[key] += getattr(report, key)
    files_done = time.perf_counter()
    files_cpu = time.process_time() - cpu_started
    # peak memory before the review pass, to tell the two phases apart
    totals["files_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    sampler.enter("review")
    pipeline.run_finish(run)  # the review queue for the whole run
    sampler.enter("deferred")
    review_done = time.perf_counter()
    review_cpu_done = time.process_time()
    totals["review_waiting"] = run.review_waiting
    # the deferred steps (merdeka.imports.deferred), drained here as ``merdeka import``
    # does before it returns; absent before they existed (0 s)
    totals["deferred_waiting"] = deferred_waiting(shop=shop) if deferred_waiting else 0
    if deferred_finish is not None:
        deferred_finish(shop=shop)
    # two clocks: usable (every file committed: the list, the phone search and the
    # order book show it) and complete (the review pass and deferred steps done too)
    totals["usable_seconds"] = round(files_done - started, 2)
    totals["usable_cpu_seconds"] = round(files_cpu, 2)
    totals["seconds"] = time.perf_counter() - started
    totals["review_seconds"] = round(review_done - files_done, 2)
    totals["deferred_seconds"] = round(time.perf_counter() - review_done, 2)
    # the same two phases in this process's CPU time (the machine is shared)
    totals["review_cpu_seconds"] = round(review_cpu_done - cpu_started - files_cpu, 2)
    totals["deferred_cpu_seconds"] = round(time.process_time() - review_cpu_done, 2)
    # CPU time of this process (the writer) and of the read-ahead workers it waited
    # for: on a shared machine these move less than wall time
    totals["cpu_seconds"] = round(time.process_time() - cpu_started, 2)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals["workers_cpu_seconds"] = round(children.ru_utime + children.ru_stime, 2)
    return dict(totals)


def resolved_records(shop, truth: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Which customer each truth record ended up in, found through the blind indexes."""
    from merdeka.core.phone import normalize_name, normalize_phone
    from merdeka.core.scoping import shop_scope
    from merdeka.customers.models import Identity
    from merdeka.customers.resolution import (
        Claim,
        identity_index,
        phone_claim,
        username_claim,
        wa_name_claim,
    )

    wanted = {}
    for channel, key, _person in truth:
        if channel == "whatsapp":
            claim = phone_claim(key) if normalize_phone(key) else wa_name_claim(key)
        else:
            claim = username_claim(key, channel)
        assert isinstance(claim, Claim), (channel, key, normalize_name(key))
        wanted[identity_index(shop.pk, claim)] = (channel, key)
    found = {}
    with shop_scope(shop):
        rows = Identity.objects.filter(shop=shop).values_list("value_index", "customer_id")
        for index, customer_id in rows.iterator(chunk_size=20000):
            if index in wanted:
                found[wanted[index]] = customer_id
    return found


def pairwise(groups: dict, truth_of: dict, extra_links=()) -> tuple[float, float, int, int]:
    """Precision and recall over record pairs; ``extra_links`` join two groups."""
    members = defaultdict(list)
    for record, group in groups.items():
        members[group].append(record)
    predicted = set()
    for records in members.values():
        predicted.update(frozenset(p) for p in combinations(records, 2))
    for a, b in extra_links:
        for left in members.get(a, ()):
            for right in members.get(b, ()):
                predicted.add(frozenset((left, right)))
    by_person = defaultdict(list)
    for record, person in truth_of.items():
        by_person[person].append(record)
    true_pairs = {frozenset(p) for recs in by_person.values() for p in combinations(recs, 2)}
    hits = len(predicted & true_pairs)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return precision, recall, len(predicted), len(true_pairs)


def baseline(folder: Path, truth_of: dict) -> tuple[float, float, int]:
    """The exact-identifier baseline: every buyer record joined to every full phone
    number its orders (or its WhatsApp member) show, and records sharing a number
    joined (union-find), with the same parsers as the import. Returns precision,
    recall and the number of predicted pairs."""
    from merdeka.imports.sources import parse_file

    parent: dict = {}

    def root(node):
        while parent.get(node, node) != node:
            parent[node] = parent.get(parent[node], parent[node])
            node = parent[node]
        return node

    def join(a, b):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb

    for path in files_of(folder):
        parsed = parse_file(path, path.name)
        if parsed.channel == "whatsapp":
            for person in parsed.preview["participants"]:
                if person.phone:
                    join(("whatsapp", person.phone), ("phone", person.phone))
            continue
        for order in parsed.preview["orders"]:
            if not order.buyer.username:
                continue
            record = (order.channel, order.buyer.username)
            parent.setdefault(record, record)
            for phone in {order.buyer.phone, order.address.phone} - {None, ""}:
                join(record, ("phone", phone))
    groups = {record: root(record) for record in truth_of}
    precision, recall, predicted, _ = pairwise(groups, truth_of)
    return precision, recall, predicted


def quality(shop, folder: Path) -> dict:
    from merdeka.core.scoping import shop_scope
    from merdeka.customers.models import Customer, MatchSuggestion, Merge

    with open(folder / "truth.csv", encoding="utf-8") as handle:
        truth = [(c, k, int(p)) for c, k, p in list(csv.reader(handle))[1:]]
    truth_of = {(c, k): p for c, k, p in truth}
    groups = resolved_records(shop, truth)
    missing = len(truth_of) - len(groups)
    with shop_scope(shop):
        pending = list(
            MatchSuggestion.objects.filter(shop=shop, state="pending").values_list(
                "pk", "customer_a_id", "customer_b_id", "group"
            )
        )
        live = Customer.objects.filter(shop=shop, merged_into__isnull=True).count()
        strong = Merge.objects.filter(shop=shop, reason=Merge.Reason.STRONG).count()
    links = [(a, b) for _, a, b, _ in pending]
    # one decision per group: its page shows every member and one tap decides them all
    decisions = len({pk if group is None else group for pk, _, _, group in pending})
    auto = pairwise(groups, truth_of)
    review = pairwise(groups, truth_of, links)
    base = baseline(folder, truth_of)
    return {
        "records": len(truth_of),
        "records_not_found": missing,
        "people": len(set(truth_of.values())),
        "customers": len(set(groups.values())),
        "true_pairs": auto[3],
        "auto_precision": round(auto[0], 4),
        "auto_recall": round(auto[1], 4),
        "auto_pairs": auto[2],
        "with_review_precision": round(review[0], 4),
        "with_review_recall": round(review[1], 4),
        "with_review_pairs": review[2],
        "suggestions": len(links),
        "live_customers": live,
        "strong_merges": strong,
        "review_decisions": decisions,
        "decisions_per_1000_customers": round(1000 * decisions / live, 2) if live else 0,
        "baseline_precision": round(base[0], 4),
        "baseline_recall": round(base[1], 4),
        "baseline_pairs": base[2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    folder = dataset(args.lines, args.people)
    setup_django(tempfile.mkdtemp(prefix="merdeka-bench-"))
    from django.db import connection

    from merdeka.core import services

    if connection.vendor == "postgresql":  # a clean slate in the bench database
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug="toko-bench")
    files = files_of(folder)
    totals = run_import(shop, files)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "database": connection.vendor,
        "files": len(files),
        **totals,
        "lines_per_second": round(totals["lines_new"] / totals["seconds"]),
        "usable_lines_per_second": round(totals["lines_new"] / totals["usable_seconds"]),
        "peak_rss_mib": round(peak_mib),
    }
    started = time.perf_counter()
    figures.update(quality(shop, folder))
    figures["quality_seconds"] = round(time.perf_counter() - started, 1)
    figures["seconds"] = round(figures["seconds"], 2)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>24}: {value:,}" if isinstance(value, int) else f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
