"""The standing import fuzz campaign: hostile variants of every sample in the importers'
``tests/data`` through the real import path, and what each left behind.

    .venv/bin/python bench/fuzz_imports.py [--seed 19] [--count 10000] [--processes 2]
    .venv/bin/python bench/fuzz_imports.py --seed 19 --only 4711      # reproduce one file
    .venv/bin/python bench/fuzz_imports.py --database-url postgres://postgres@127.0.0.1/fuzz

Each process has its own data directory, database (SQLite, migrated once; or a
PostgreSQL database ``<name>_<n>`` created and dropped) and temp folder, and takes every
``processes``-th file: even files go through ``merdeka import`` (the command, in
process), odd ones through the upload page and its task, then the run's page
(``merdeka/imports/tests/fuzzing.py`` says what is checked). Prints the tally and every
finding (JSON with ``--json``); the exit status is 1 if anything was found.
Crashing files are written to ``bench/.data/fuzz-findings/`` to be replayed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _database_for(url: str | None, n: int) -> str | None:
    if not url:
        return None
    base, _sep, name = url.rpartition("/")
    return f"{base}/{name}_{n}"


def _postgres(url: str, sql: str) -> None:
    import psycopg  # local: only with --database-url

    base, _sep, _name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def migrated_template(folder: Path) -> None:
    """A migrated SQLite database in ``folder`` that every process copies (migrating
    takes longer than a thousand files)."""
    os.environ.update(MERDEKA_DATA_DIR=str(folder), MERDEKA_TESTING="1",
                      DJANGO_SETTINGS_MODULE="merdeka.settings")  # fmt: skip
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def work(n: int, processes: int, seed: int, count: int, only, database_url, template) -> dict:
    """One process of the campaign: set up, run its share, tally."""
    scratch = Path(tempfile.mkdtemp(prefix=f"merdeka-fuzz-{n}-"))
    if template:
        (scratch / "data").mkdir(mode=0o700)
        shutil.copy(Path(template) / "merdeka.sqlite3", scratch / "data" / "merdeka.sqlite3")
    private_tmp = scratch / "tmp"
    private_tmp.mkdir()
    os.environ.update(
        MERDEKA_DATA_DIR=str(scratch / "data"),
        MERDEKA_TESTING="1",  # tasks run at once, in this process; the ownership guard is on
        TMPDIR=str(private_tmp),
        DJANGO_SETTINGS_MODULE="merdeka.settings",
        MERDEKA_LOG_LEVEL="CRITICAL",  # the campaign catches errors itself
    )
    database = _database_for(database_url, n)
    if database:
        os.environ["DATABASE_URL"] = database
        name = database.rpartition("/")[2]
        _postgres(database_url, f'DROP DATABASE IF EXISTS "{name}"')
        _postgres(database_url, f'CREATE DATABASE "{name}"')
    else:
        os.environ.pop("DATABASE_URL", None)
    tempfile.tempdir = str(private_tmp)
    import django

    django.setup()
    from django.core.management import call_command

    from merdeka.core import services
    from merdeka.imports.tests import fuzzing

    call_command("migrate", verbosity=0)
    owner, _password = services.user_create(username=f"fuzz{n}", password="fuzz-fuzz-fuzz-19")

    def shop_factory(i):
        return services.shop_create(name=f"Toko Fuzz {n}-{i}", owner=owner)

    campaign = fuzzing.Campaign(owner=owner, shop_factory=shop_factory, workdir=scratch / "in")
    indexes = only if only is not None else range(n, count, processes)
    started = time.perf_counter()
    progress_file = ROOT / "bench" / ".data" / f"fuzz-progress-{seed}-{n}.json"
    progress_file.parent.mkdir(parents=True, exist_ok=True)

    def progress(tally):  # so that a run stopped early still says what it did
        progress_file.write_text(
            json.dumps({"files": tally.files, "seconds": time.perf_counter() - started,
                        "by_state": dict(tally.by_state), **tally.counts(),
                        "findings": [f.as_dict() for f in tally.findings]})
        )  # fmt: skip

    tally = campaign.run(seed=seed, indexes=indexes, progress=progress)
    seconds = time.perf_counter() - started
    findings_dir = ROOT / "bench" / ".data" / "fuzz-findings"
    for finding in tally.findings:
        findings_dir.mkdir(parents=True, exist_ok=True)
        mutant = fuzzing.mutate(seed, finding.index, campaign.pool)
        (findings_dir / f"{seed}-{finding.index}-{Path(mutant.name).name}").write_bytes(mutant.data)
    from django.db import connections

    connections.close_all()
    shutil.rmtree(scratch, ignore_errors=True)
    if database:
        _postgres(database_url, f'DROP DATABASE IF EXISTS "{database.rpartition("/")[2]}"')
    return {
        "files": tally.files,
        "seconds": seconds,
        "by_boundary": dict(tally.by_boundary),
        "by_state": dict(tally.by_state),
        "findings": [f.as_dict() for f in tally.findings],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", type=int, nargs="*", help="just these file indexes")
    parser.add_argument("--database-url", help="PostgreSQL server (a database per process)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    processes = 1 if args.only else args.processes
    template = None
    context = multiprocessing.get_context("spawn")
    if not args.database_url:
        template = tempfile.mkdtemp(prefix="merdeka-fuzz-template-")
        setup = context.Process(target=migrated_template, args=(Path(template),))
        setup.start()
        setup.join()
    jobs = [(n, processes, args.seed, args.count, args.only, args.database_url, template)
            for n in range(processes)]  # fmt: skip
    if processes == 1:
        results = [work(*jobs[0])]
    else:
        with context.Pool(processes) as pool:
            results = pool.starmap(work, jobs)
    if template:
        shutil.rmtree(template, ignore_errors=True)
    wall = time.perf_counter() - started

    findings = [f for r in results for f in r["findings"]]
    kinds = {k: sum(1 for f in findings if f["kind"] == k)
             for k in ("crash", "stuck", "partial_write", "left_behind")}  # fmt: skip
    states: dict[str, int] = {}
    boundaries: dict[str, int] = {}
    for r in results:
        for key, value in r["by_state"].items():
            states[key] = states.get(key, 0) + value
        for key, value in r["by_boundary"].items():
            boundaries[key] = boundaries.get(key, 0) + value
    summary = {
        "seed": args.seed,
        "files": sum(r["files"] for r in results),
        "processes": processes,
        "database": "postgresql" if args.database_url else "sqlite",
        "wall_seconds": round(wall, 1),
        "files_per_second": round(sum(r["files"] for r in results) / wall, 1),
        "load_average": os.getloadavg(),
        "by_boundary": boundaries,
        "file_states": states,
        **kinds,
    }
    if args.json:
        print(json.dumps({**summary, "findings": findings}, indent=2, ensure_ascii=False))
    else:
        for f in findings:
            print(f"#{f['index']} {f['kind']} via {f['boundary']}: {f['sample']} {f['steps']}")
            print("   " + f["detail"].strip().replace("\n", "\n   ")[-1500:])
        print(json.dumps(summary, indent=2))
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
