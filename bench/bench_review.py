"""The review pass alone (``run_finish``), timed on copies of one snapshot, and what it left.

    .venv/bin/python bench/bench_review.py snap /tmp/snap [--lines 100000 --people 30000]
    .venv/bin/python bench/bench_review.py run /tmp/snap [--wrap module:function,...]

``snap`` imports the bench's year (``bench_import``'s data) into a fresh SQLite shop
and stops when every file is committed: the match keys wait in the outbox, the review
pass has not run. ``run`` copies the snapshot, runs ``run_finish`` on the copy and
prints, as JSON, its CPU seconds (``time.thread_time``: the machine is shared, and the
bench's own sampler thread is not counted), each step's (and each ``--wrap``ped
function's, by name), and a hash of every table the pass writes (the match keys with
and without their ids, each merge with its moved keys as (kind, key), the customers,
their identities and list rows, the suggestions without their time-weighted priority,
and their groups as sets of pairs). Two trees compare on one snapshot: run a tree's own
copy of this file (its ``sys.path`` insert wins); equal hashes are the same results.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

STEPS = (
    "run_touched_customers",
    "accounts_weigh",
    "suggest_matches",
    "import_run_finished",
    "review_queue_arrange",
)


def setup(data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    os.environ["MERDEKA_DATA_DIR"] = data_dir
    import django

    django.setup()


def snap(folder: str, lines: int, people: int) -> None:
    os.makedirs(folder, exist_ok=True)
    setup(folder)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    import bench_import

    from merdeka.core import services
    from merdeka.imports import pipeline

    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Bench", owner=owner, slug="toko-bench")
    files = bench_import.files_of(bench_import.dataset(lines, people))
    run = pipeline.run_create(shop=shop)
    for report in pipeline.import_paths(shop=shop, run=run, paths=files):
        if report.state != "imported":
            raise SystemExit(f"{report.state} {report.problems[:3]}")
    connection.close()
    print(f"snapshot of run {run.pk} in {folder}")


def _digest(rows) -> list:
    h, n = hashlib.sha256(), 0
    for row in rows:
        h.update(repr(row).encode())
        n += 1
    return [n, h.hexdigest()[:12]]


def fingerprint() -> dict:
    from merdeka.customers import models as cm

    def table(model, fields):
        return _digest(model.objects.order_by(*fields).values_list(*fields))

    def plain_fields(model, leave_out=()):
        return [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() != "DateTimeField" and f.name not in ("uid", *leave_out)
        ]

    key_of = {
        pk: (kind, key) for pk, kind, key in cm.MatchKey.objects.values_list("id", "kind", "key")
    }
    merges = cm.Merge.objects.order_by("id").values_list(
        "id", "survivor_id", "absorbed_id", "reason", "moved_keys", "moved_identities"
    )
    groups: dict = {}
    for a, b, group in cm.MatchSuggestion.objects.values_list(
        "customer_a_id", "customer_b_id", "group"
    ):
        groups.setdefault(group, []).append((a, b))
    return {
        "match_keys": table(cm.MatchKey, ["id", "customer_id", "kind", "key"]),
        "match_keys_without_ids": table(cm.MatchKey, ["customer_id", "kind", "key"]),
        "merges": _digest(
            (*row[:4], sorted(key_of.get(pk) for pk in row[4] or ()), row[5]) for row in merges
        ),
        "customers": table(cm.Customer, plain_fields(cm.Customer)),
        "identities": table(cm.Identity, plain_fields(cm.Identity)),
        "stats": table(cm.CustomerStats, plain_fields(cm.CustomerStats)),
        "suggestions": table(
            cm.MatchSuggestion, plain_fields(cm.MatchSuggestion, ("priority", "group"))
        ),
        "suggestion_groups": _digest(sorted(sorted(pairs) for pairs in groups.values())),
    }


def run(folder: str, wrap: list[str]) -> None:
    work = tempfile.mkdtemp(prefix="bench-review-")
    shutil.rmtree(work)
    shutil.copytree(folder, work)
    try:
        setup(work)
        from merdeka.core.models import Shop
        from merdeka.core.scoping import shop_scope
        from merdeka.imports import runs
        from merdeka.imports.models import ImportRun

        spent: dict[str, float] = {}

        def timed(module, name):
            function = getattr(module, name)

            def inner(*args, **kwargs):
                started = time.thread_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    spent[name] = spent.get(name, 0) + time.thread_time() - started

            setattr(module, name, inner)

        for name in STEPS:
            timed(runs, name)
        timed(runs.events, "outbox_deliver_now")  # the match keys' delivery
        for spec in wrap:
            module, _, name = spec.partition(":")
            timed(importlib.import_module(module), name)
        shop = Shop.objects.get(slug="toko-bench")
        with shop_scope(shop):
            the_run = ImportRun.objects.order_by("-pk").first()
            started, cpu = time.perf_counter(), time.thread_time()
            runs.run_finish(the_run)
            figures = {
                "cpu_seconds": round(time.thread_time() - cpu, 2),
                "seconds": round(time.perf_counter() - started, 2),
                "steps_cpu_seconds": {k: round(v, 2) for k, v in spent.items()},
                "review_waiting": the_run.review_waiting,
                "hashes": fingerprint(),
            }
        print(json.dumps(figures))
    finally:
        from django.db import connection

        connection.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("snap", "run"))
    parser.add_argument("folder")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--wrap", default="", help="module:function,… to time as well")
    args = parser.parse_args()
    if args.mode == "snap":
        snap(args.folder, args.lines, args.people)
    else:
        run(args.folder, [spec for spec in args.wrap.split(",") if spec])


if __name__ == "__main__":  # the import's read-ahead worker imports this module again
    main()
