"""The peer comparison: Splink (DuckDB) resolving the same buyers from the same files.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_splink.py [--lines 1000000] [--people 300000]
    .venv/bin/python bench/bench_import.py --json > var/bench-import.json
    .venv/bin/python bench/bench_splink.py --merdeka-json var/bench-import.json

Uses the data set of ``bench_import.py`` (generated once under ``bench/.data/``) and
Merdeka's own parsers (``merdeka.imports.sources.parse_file``), so that Splink sees
exactly what Merdeka sees, masked values already removed. Each buyer record of
``truth.csv`` becomes one input row:

* a marketplace record (channel, username): the most common name and street, city and
  full phone number over its orders, and any email;
* a WhatsApp participant: its phone number when shown as a number (that is its key),
  otherwise the display name as shown.

Splink 5 then deduplicates the rows (``dedupe_only``, see ``settings`` and ``link``):
blocking on phone, email, (name, city), (street, city); Jaro-Winkler levels on the
name, exact phone, email and city, exact or Levenshtein <= 2 on the street; the prior
from the phone rule, u by random sampling, m by EM on the phone and (street, city)
blocks; predict, then connected components at match probability 0.95. The clusters
are scored like Merdeka's customers (``bench_import.pairwise``).

Not timed, and printed as well: the same predictions clustered at other thresholds,
and clustered after linking every exact phone or email pair first. A phone number is
all a WhatsApp member shown as a number and a masked marketplace buyer have in common,
and with u from random sampling an exact phone alone scores about 0.4: such pairs only
join at a threshold below that, or through the exact links.

Printed: the time to read the files into rows ("extraction"), the linkage phases,
peak RSS, pairwise precision and recall; with ``--merdeka-json`` (what
``bench_import.py --json`` printed for the same data set) the two side by side and
as ratios. Merdeka's time includes writing every order, encrypted, to its database;
Splink's end to end is extraction plus linkage and writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_import  # noqa: E402

PREDICT_THRESHOLD = 0.3  # pairs kept by predict (match probability), low enough for SWEEP
CLUSTER_THRESHOLD = 0.95  # pairs that join two records in one cluster
SWEEP = (0.3, 0.5, 0.99)  # other cluster thresholds, reported but not timed
U_MAX_PAIRS = 5e6
HONORIFICS = ("bu ", "ibu ", "pak ", "bapak ", "bpk ", "kak ", "mbak ", "mas ")
COLUMNS = ("channel", "record_key", "name", "first_name", "phone", "email", "city", "street")


def setup_django(data_dir: str) -> None:
    """As bench_import.setup_django, without the migration: nothing is written."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    os.environ["MERDEKA_DATA_DIR"] = data_dir
    import django

    django.setup()


def peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def clean_name(value: str | None) -> str | None:
    from merdeka.core.phone import normalize_name

    name = normalize_name(value)
    if not name:
        return None
    for honorific in HONORIFICS:
        if name.startswith(honorific) and len(name) > len(honorific):
            name = name[len(honorific) :]
            break
    return name


def _text(value: str | None) -> str | None:
    return (" ".join(value.casefold().split()) or None) if value else None


def _most_common(counter: Counter) -> str | None:
    return counter.most_common(1)[0][0] if counter else None


def extract(folder: Path) -> tuple[list[dict], dict]:
    """One row per buyer record, from Merdeka's parsers; and what was read."""
    from merdeka.imports.sources import parse_file

    fields = defaultdict(lambda: defaultdict(Counter))  # (channel, key) -> field -> values
    whatsapp: dict[tuple[str, str], dict] = {}
    stats = Counter()
    for path in bench_import.files_of(folder):
        started = time.perf_counter()
        parsed = parse_file(path, path.name)
        stats["parse_seconds"] += time.perf_counter() - started
        stats["files"] += 1
        stats["rows_read"] += parsed.rows_read
        if parsed.channel == "whatsapp":
            for person in parsed.preview["participants"]:
                key = person.phone or person.name
                whatsapp[("whatsapp", key)] = {
                    "name": None if person.phone else clean_name(person.name),
                    "phone": person.phone,
                }
            continue
        for order in parsed.preview["orders"]:
            stats["orders"] += 1
            stats["lines"] += len(order.lines)
            buyer, address = order.buyer, order.address
            if not buyer.username:
                stats["orders_without_username"] += 1
                continue
            record = fields[(order.channel, buyer.username)]
            for field, value in (
                ("name", clean_name(buyer.name)),
                (
                    "name",
                    clean_name(address.recipient) if address.recipient != buyer.name else None,
                ),
                ("phone", buyer.phone),
                ("phone", address.phone if address.phone != buyer.phone else None),
                ("email", buyer.email),
                ("city", _text(address.city)),
                ("street", _text(address.street)),
            ):
                if value:
                    record[field][value] += 1
    rows = []
    for (channel, key), record in fields.items():
        rows.append(
            {
                "channel": channel,
                "record_key": key,
                **{
                    f: _most_common(record[f]) for f in ("name", "phone", "email", "city", "street")
                },
            }
        )
    for (channel, key), record in whatsapp.items():
        rows.append(
            {"channel": channel, "record_key": key, "email": None, "city": None, "street": None}
            | record
        )
    for row in rows:
        row["first_name"] = row["name"].split()[0] if row["name"] else None
    return rows, dict(stats)


def settings(with_email: bool):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    # Blocking decides the cost (architecture.md §3b): a name alone, or a first name in
    # a city, makes blocks of thousands of rows for names like Siti or Muhammad at 1M
    # lines. A full name in a city and a street in a city stay small.
    rules = [block_on("phone")]
    if with_email:
        rules.append(block_on("email"))
    rules += [block_on("name", "city"), block_on("street", "city")]
    comparisons = [
        cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
        cl.ExactMatch("phone"),
        cl.ExactMatch("city"),
        cl.LevenshteinAtThresholds("street", [2]),
    ]
    if with_email:
        comparisons.append(cl.ExactMatch("email"))
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def link(rows: list[dict], seed: int = 2026):
    """Train, predict and cluster; cluster id per row index, the time of each phase,
    and what ``variants`` needs."""
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    with_email = any(row["email"] for row in rows)
    table = pa.table(
        {"unique_id": pa.array(range(len(rows)), pa.int64())}
        | {c: pa.array([row[c] for row in rows], pa.string()) for c in COLUMNS}
    )
    timings = {}
    started = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), settings(with_email), log_level=logging.WARNING)
    training = linker.training
    # how many true pairs share a phone: a guess (Shopee and TikTok mask about half)
    training.estimate_probability_two_random_records_match([block_on("phone")], recall=0.6)
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
    training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    training.estimate_parameters_using_expectation_maximisation(block_on("street", "city"))
    timings["training_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    pairs = predictions.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0]
    timings["predict_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    cluster_of = clusters_at(linker, predictions, CLUSTER_THRESHOLD)
    timings["cluster_seconds"] = time.perf_counter() - started
    timings["linkage_seconds"] = sum(timings.values())
    timings["predicted_pairs"] = pairs
    timings["email_used"] = with_email
    return cluster_of, timings, (linker, predictions, db_api, table)


def clusters_at(linker, predictions, threshold: float) -> dict[int, int]:
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    return dict(clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall())


def variants(state) -> dict[str, dict[int, int]]:
    """Not timed: the same predictions clustered at other thresholds, and with every
    exact phone or email pair linked first (stage 1 of architecture.md §3b)."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    linker, predictions, db_api, table = state
    found = {f"at_{t}": clusters_at(linker, predictions, t) for t in SWEEP}
    con = db_api.duckdb_con
    con.register("bench_input", table)
    exact = " union ".join(
        f"select l.unique_id as unique_id_l, r.unique_id as unique_id_r, 1.0 as match_probability"
        f" from bench_input l join bench_input r on l.{c} = r.{c} and l.unique_id < r.unique_id"
        for c in ("phone", "email")
    )
    edges = con.sql(
        f"select unique_id_l, unique_id_r, match_probability from {predictions.physical_name}"
        f" union all {exact}"
    ).to_arrow_table()
    clusters = cluster_pairwise_predictions_at_threshold(
        table.select(["unique_id"]),
        edges,
        db_api,
        "unique_id",
        threshold_match_probability=CLUSTER_THRESHOLD,
    )
    found["exact_links_then_splink"] = dict(
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    )
    return found


def read_truth(folder: Path) -> dict[tuple[str, str], int]:
    with open(folder / "truth.csv", encoding="utf-8") as handle:
        return {(c, k): int(p) for c, k, p in list(csv.reader(handle))[1:]}


def score(rows: list[dict], cluster_of: dict[int, int], truth_of: dict) -> dict:
    groups = {}
    for index, row in enumerate(rows):
        record = (row["channel"], row["record_key"])
        if record in truth_of:
            groups[record] = cluster_of.get(index, f"alone-{index}")
    missing = len(truth_of) - len(groups)
    for number, record in enumerate(truth_of.keys() - groups.keys()):
        groups[record] = f"unread-{number}"  # a record the parsers did not produce
    sizes = Counter(groups.values())
    precision, recall, predicted, true_pairs = bench_import.pairwise(groups, truth_of)
    return {
        "records": len(truth_of),
        "records_not_found": missing,
        "rows_not_in_truth": len(rows) - (len(truth_of) - missing),
        "people": len(set(truth_of.values())),
        "clusters": len(sizes),
        "largest_cluster": max(sizes.values()),
        "true_pairs": true_pairs,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "pairs": predicted,
    }


def last_json(path: Path) -> dict:
    """The figures ``bench_import.py --json`` printed (its last JSON line)."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{path}: no JSON line (run bench_import.py --json)")
    return json.loads(lines[-1])


def compare(merdeka: dict, splink: dict) -> dict:
    def ratio(a, b):
        return round(a / b, 3) if b else None

    if merdeka.get("lines_new") != splink["lines"] or merdeka.get("records") != splink["records"]:
        print(
            f"warning: not the same data set? Merdeka {merdeka.get('lines_new')} lines, "
            f"{merdeka.get('records')} records; Splink {splink['lines']} lines, "
            f"{splink['records']} records",
            file=sys.stderr,
        )
    return {
        "merdeka_lines_per_second": merdeka["lines_per_second"],
        "splink_lines_per_second": splink["lines_per_second"],
        "speed_ratio_merdeka_over_splink": ratio(
            merdeka["lines_per_second"], splink["lines_per_second"]
        ),
        "merdeka_seconds": merdeka["seconds"],
        "splink_seconds": splink["seconds"],
        "merdeka_peak_rss_mib": merdeka.get("peak_rss_mib"),
        "splink_peak_rss_mib": splink["peak_rss_mib"],
        "merdeka_auto_precision": merdeka["auto_precision"],
        "merdeka_auto_recall": merdeka["auto_recall"],
        "merdeka_with_review_precision": merdeka["with_review_precision"],
        "merdeka_with_review_recall": merdeka["with_review_recall"],
        "splink_precision": splink["precision"],
        "splink_recall": splink["recall"],
        "precision_ratio_merdeka_auto_over_splink": ratio(
            merdeka["auto_precision"], splink["precision"]
        ),
        "recall_ratio_merdeka_auto_over_splink": ratio(merdeka["auto_recall"], splink["recall"]),
        "recall_ratio_merdeka_with_review_over_splink": ratio(
            merdeka["with_review_recall"], splink["recall"]
        ),
        # the same Splink model, other ways of drawing the line (not timed separately)
        **{
            f"splink_{name}_{key}": splink[f"{name}_{key}"]
            for name in (f"at_{SWEEP[0]}", "exact_links_then_splink")
            for key in ("precision", "recall")
        },
    }


def show(figures: dict) -> None:
    for key, value in figures.items():
        text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        print(f"{key:>44}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--merdeka-json", type=Path, help="what bench_import.py --json printed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    merdeka = last_json(args.merdeka_json) if args.merdeka_json else None

    folder = bench_import.dataset(args.lines, args.people)
    setup_django(tempfile.mkdtemp(prefix="merdeka-bench-"))
    import duckdb
    import splink

    started = time.perf_counter()
    rows, read = extract(folder)
    extraction = time.perf_counter() - started
    peak_extraction = peak_mib()
    cluster_of, timings, state = link(rows)
    seconds = extraction + timings["linkage_seconds"]
    figures = {
        "splink": splink.__version__,
        "duckdb": duckdb.__version__,
        "files": read["files"],
        "lines": read["lines"],
        "orders": read["orders"],
        "input_rows": len(rows),
        "extraction_seconds": extraction,
        "of_which_parse_seconds": read["parse_seconds"],
        **timings,
        "seconds": seconds,
        "lines_per_second": round(read["lines"] / seconds),
        "linkage_lines_per_second": round(read["lines"] / timings["linkage_seconds"]),
        "peak_rss_mib_after_extraction": peak_extraction,
        "peak_rss_mib": peak_mib(),
        "predict_threshold": PREDICT_THRESHOLD,
        "cluster_threshold": CLUSTER_THRESHOLD,
    }
    truth_of = read_truth(folder)
    figures.update(score(rows, cluster_of, truth_of))
    started = time.perf_counter()
    for name, clusters in variants(state).items():
        other = score(rows, clusters, truth_of)
        for key in ("precision", "recall", "pairs", "largest_cluster"):
            figures[f"{name}_{key}"] = other[key]
    figures["variants_seconds"] = time.perf_counter() - started
    for key, value in figures.items():
        if key.endswith("seconds"):
            figures[key] = round(value, 2)
    if merdeka:
        figures["comparison"] = compare(merdeka, figures)
    if args.json:
        print(json.dumps(figures))
        return
    comparison = figures.pop("comparison", None)
    show(figures)
    if comparison:
        print("\nMerdeka (bench_import.py) against Splink, same data set:")
        show(comparison)
        print(
            "  (Merdeka's time includes writing every order, encrypted, to its database; "
            "Splink's is reading the files plus linkage, nothing written)"
        )


if __name__ == "__main__":
    main()
