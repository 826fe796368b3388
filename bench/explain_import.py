"""Where the resolution goes wrong: wrong and missed record pairs, by kind.

    .venv/bin/python bench/explain_import.py DATA_DIR [--lines N --people N]

Reads the database a ``bench_import.py`` run left in DATA_DIR (it prints nothing
personal: counts only) and the truth of the same data set, and counts

* wrong pairs of automatic merges, by the channels of the two records;
* wrong pairs of review suggestions, by the suggestion's evidence codes;
* missed true pairs, by the channels of the two records and whether the two
  customers share any match key at all.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _kind(record) -> str:
    channel, key = record
    if channel != "whatsapp":
        return channel
    return "wa-number" if key.startswith("+62") else "wa-name"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=300_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    os.environ["MERDEKA_DATA_DIR"] = args.data_dir
    import django

    django.setup()
    import bench_import
    from django.db import connection

    from merdeka.core.models import Shop
    from merdeka.core.scoping import shop_scope
    from merdeka.customers.models import MatchKey, MatchSuggestion

    folder = bench_import.dataset(args.lines, args.people)
    shop = Shop.objects.get(slug="toko-bench")
    with open(folder / "truth.csv", encoding="utf-8") as handle:
        truth = [(c, k, int(p)) for c, k, p in list(csv.reader(handle))[1:]]
    person = {(c, k): p for c, k, p in truth}
    group = bench_import.resolved_records(shop, truth)
    members = defaultdict(list)
    for record, customer in group.items():
        members[customer].append(record)

    wrong_auto = Counter()
    for records in members.values():
        for a, b in combinations(records, 2):
            if person[a] != person[b]:
                wrong_auto["+".join(sorted((_kind(a), _kind(b))))] += 1
    linked = set()
    wrong_review = Counter()
    right_review = Counter()
    with shop_scope(shop):
        rows = list(
            MatchSuggestion.objects.filter(shop=shop, state="pending").values_list(
                "customer_a_id", "customer_b_id", "evidence"
            )
        )
    for a, b, evidence in rows:
        codes = "+".join(e["code"] for e in evidence if e["code"] not in ("similar_name",))
        score = next((e["score"] for e in evidence if e["code"] == "similar_name"), None)
        codes += f" names {'-' if score is None else int(score) // 10 * 10}"
        for left in members.get(a, ()):
            for right in members.get(b, ()):
                linked.add(frozenset((left, right)))
                counter = right_review if person[left] == person[right] else wrong_review
                counter[codes] += 1
    keys = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, kind, key FROM {MatchKey._meta.db_table} WHERE shop_id = %s",
            [shop.pk],
        )
        for customer, kind, key in cursor:
            keys[customer].add((kind, key))
    by_person = defaultdict(list)
    for record, p in person.items():
        by_person[p].append(record)
    missed = Counter()
    for records in by_person.values():
        for a, b in combinations(records, 2):
            ga, gb = group.get(a), group.get(b)
            if (ga is not None and ga == gb) or frozenset((a, b)) in linked:
                continue
            shared = sorted({k for k, _ in keys.get(ga, set()) & keys.get(gb, set())})
            how = "+".join(sorted((_kind(a), _kind(b))))
            missed[f"{how} shares {','.join(shared) or 'nothing'}"] += 1

    def show(title, counter):
        print(f"\n{title} ({sum(counter.values()):,} pairs)")
        for key, n in counter.most_common(25):
            print(f"  {n:>8,}  {key}")

    show("wrong pairs, automatic merges, by channels", wrong_auto)
    show("wrong pairs, review suggestions, by evidence", wrong_review)
    show("right pairs, review suggestions, by evidence", right_review)
    show("missed pairs, by channels and shared keys", missed)


if __name__ == "__main__":
    main()
