"""What the workspace keeps so that its pages stay fast at a million customers: the RFM
group counts beside the stats rows, the order of a search's parts, the channel filter's
index. Each is checked against the plain, live answer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers import search, selectors, services, stats
from merdeka.customers.models import Customer, CustomerStats, Merge
from merdeka.customers.resolution import Resolver
from merdeka.customers.services import customer_create
from merdeka.customers.tests.test_workspace import history_of, imported, order
from merdeka.imports.writer import write_orders


@pytest.fixture
def history(ika_shop):
    return history_of(ika_shop)


def live_counts(shop) -> dict[str, int]:
    with shop_scope(shop):
        return dict(
            CustomerStats.objects.filter(shop=shop)
            .values_list("rfm_group")
            .annotate(n=Count("*"))
            .order_by()
            .values_list("rfm_group", "n")
        )


def kept_counts(shop) -> dict[str, int]:
    stored = selectors.stored_group_counts(shop=shop)
    assert stored is not None, "the shop's counts were never stored"
    return {group: n for group, n in stored.items() if n}


def assert_kept(shop):
    live = live_counts(shop)
    assert kept_counts(shop) == live
    shown = {code: n for code, _label, n in selectors.rfm_group_counts(shop=shop) if n}
    assert shown == {code: n for code, n in live.items() if code in stats.RFM_LABELS}
    return live


def test_group_counts_follow_imports_merges_undos_and_erasure(history, ika):
    from merdeka.privacy.rights import customer_erase

    before = assert_kept(history)
    assert before["champions"] == 1 and before["none"] == 1
    # new buyers arrive with "no orders yet" until the next RFM pass
    with shop_scope(history):
        write_orders(
            shop=history,
            orders=[
                order("N1", name="Gita Baru", phone="+6281311112222", username="gita"),
                order("N2", name="G. Baru", phone="+6285722223333", username="gb"),
            ],
            resolver=Resolver(shop=history, source="shopee"),
        )
    assert assert_kept(history)["none"] == before["none"] + 2
    # the same person with both numbers: one of them is merged away
    with shop_scope(history):
        write_orders(
            shop=history,
            orders=[order("N3", name="Gita Baru", phone="+6285722223333", username="gita")],
            resolver=Resolver(shop=history, source="shopee"),
        )
        merge = Merge.objects.get(undone_at__isnull=True)
    assert assert_kept(history)["none"] == before["none"] + 1
    services.merge_undo(shop=history, actor=ika, merge_id=merge.pk)
    assert assert_kept(history)["none"] == before["none"] + 2
    # a merge a person decides, through the review queue's service
    with shop_scope(history):
        from merdeka.customers.models import MatchSuggestion

        a, b = sorted(Customer.objects.filter(merged_into=None).values_list("pk", flat=True))[:2]
        suggestion = MatchSuggestion.objects.create(
            shop=history, customer_a_id=a, customer_b_id=b, score=0.9
        )
    services.suggestion_decide(shop=history, actor=ika, suggestion_id=suggestion.pk, merge=True)
    assert_kept(history)
    # the RFM pass regroups everyone
    with shop_scope(history):
        stats.customer_stats_refresh(shop=history)
        stats.rfm_refresh(shop=history)
    after_rfm = assert_kept(history)
    # erasing the best customer takes them out of their group
    with shop_scope(history):
        [ani] = [c for c in Customer.objects.filter(merged_into=None) if c.name == "Ani Loyal"]
    champions = after_rfm.get("champions", 0)
    customer_erase(shop=history, customer_id=ani.pk, actor=ika)
    assert assert_kept(history).get("champions", 0) == champions - 1


def test_group_counts_follow_retention(history):
    from datetime import timedelta

    from django.utils import timezone

    from merdeka.privacy.models import PrivacySettings
    from merdeka.privacy.retention import retention_run

    with shop_scope(history):
        PrivacySettings.objects.create(shop=history, retention_months=6)
    report = retention_run(shop=history, now=timezone.now() + timedelta(days=400))
    assert report.erased >= 1
    assert_kept(history)


def test_a_shop_counted_for_the_first_time_counts_everyone(ika_shop):
    customer_create(shop=ika_shop, name="Satu")
    with shop_scope(ika_shop):
        from merdeka.customers.models import RfmGroupCount

        RfmGroupCount.objects.filter(shop=ika_shop).delete()
    assert selectors.stored_group_counts(shop=ika_shop) is None
    assert {c: n for c, _l, n in selectors.rfm_group_counts(shop=ika_shop) if n} == {"none": 1}
    customer_create(shop=ika_shop, name="Dua")
    assert kept_counts(ika_shop) == {"none": 2} == live_counts(ika_shop)


def test_the_segments_page_reads_the_kept_counts(history, ika_client, citra_shop):
    customer_create(shop=citra_shop, name="Lain Toko")
    with CaptureQueriesContext(connection) as queries:
        page = ika_client.get(reverse("segment_list"))
    assert page.status_code == 200
    # nothing counts the list rows; the few deltas since the last whole count are summed
    grouped = [
        q["sql"]
        for q in queries
        if "GROUP BY" in q["sql"].upper() and "rfmgroupdelta" not in q["sql"]
    ]
    assert not grouped, grouped
    counts = {code: n for code, _label, n in page.context["groups"]}
    assert {c: n for c, n in counts.items() if n} == {
        c: n for c, n in live_counts(history).items() if c in stats.RFM_LABELS
    }


def test_the_migration_counts_the_shops_that_have_list_rows(history, citra_shop):
    from importlib import import_module
    from types import SimpleNamespace

    from merdeka.customers.models import RfmGroupCount, RfmGroupDelta

    customer_create(shop=citra_shop, name="Lain Toko")
    expected = {history.pk: live_counts(history), citra_shop.pk: live_counts(citra_shop)}
    RfmGroupCount.unscoped.all().delete()  # as before the migration: nothing kept
    RfmGroupDelta.unscoped.all().delete()
    migration = import_module("merdeka.customers.migrations.0010_rfm_group_counts")
    migration.count_existing(None, SimpleNamespace(connection=connection))
    for shop in (history, citra_shop):
        assert kept_counts(shop) == expected[shop.pk]


# -- search: the rarest part drives ------------------------------------------------------

FIRST = ["Siti", "Sitompul", "Sri", "Muhammad", "Muh", "Dewi", "Nur", "Nurul"]
LAST = ["Nurhaliza", "Rahmawati", "Rahman", "Siregar", "Dewanti", "Muharram", ""]


@pytest.fixture
def many_names(ika_shop):
    import itertools

    names = [f"{a} {b}".strip() for a, b in itertools.product(FIRST, LAST)]
    imported(
        ika_shop,
        [order(f"M{i}", name=name, username=f"m{i}", phone=f"+62812000{i:05d}")
         for i, name in enumerate(names)],
    )  # fmt: skip
    return names


def expected_matches(names, query):
    from merdeka.customers.search import query_terms

    parts = query_terms(query)
    return sorted(
        n for n in names if all(any(t in search.name_terms(n) for t in opts) for opts in parts)
    )


QUERIES = ["sit", "sit nur", "nur sit", "muh rah", "rah muh", "sri siregar", "dewi dew",
           "nur nurh", "sit rahma muh", "siti sitompul", "nurul nur rah", "zzz sit", "sit zzz"]  # fmt: skip


@pytest.mark.parametrize("first_probe", [1, 3, 1000])
def test_a_search_driven_from_its_rarest_word_finds_exactly_the_same(
    many_names, ika_shop, monkeypatch, first_probe
):
    monkeypatch.setattr(search, "PROBE_FIRST", first_probe)
    for query in QUERIES:
        with shop_scope(ika_shop):
            rows = selectors.stats_filtered(shop=ika_shop, filters={"q": query})
            got = sorted(r.customer.name for r in rows.select_related("customer"))
        assert got == expected_matches(many_names, query), query


def test_the_parts_of_a_search_are_ordered_rarest_first(many_names, ika_shop, monkeypatch):
    monkeypatch.setattr(search, "PROBE_FIRST", 1)
    hasher = search.Hasher(ika_shop.pk)
    # 16 names start a word with "rah", 14 with "sit", 8 have "siregar"
    rah, sit, siregar = ([hasher(("n", w))] for w in ("rah", "sit", "siregar"))
    with shop_scope(ika_shop):
        assert search.by_rarity(shop=ika_shop, parts=[rah, sit, siregar]) == [siregar, sit, rah]
        missing = [hasher(("n", "zzz"))]
        assert search.by_rarity(shop=ika_shop, parts=[sit, missing])[0] == missing


# -- the channel filter ------------------------------------------------------------------


def test_the_channel_filter_finds_exactly_the_buyers_on_that_channel(history):
    from merdeka.orders.models import Channel

    imported(
        history,
        [order("L1", name="Lina Lazada", username="lina", channel="lazada"),
         order("L2", name="Lina Lazada", username="lina", channel="whatsapp"),
         order("W1", name="Wati Wa", username="wati", channel="whatsapp", days_ago=3)],
    )  # fmt: skip
    with shop_scope(history):
        everyone = list(
            selectors.stats_filtered(shop=history, filters={}).select_related("customer")
        )
    seen = set()
    for channel in Channel.values:
        expected = [r.customer.name for r in everyone if channel in stats.channels_of(r.channels)]
        for walk in (False, True):
            with shop_scope(history):
                rows = selectors.stats_filtered(
                    shop=history, filters={"channel": channel}, walk_order=walk
                )
                assert [r.customer.name for r in rows.select_related("customer")] == expected
                assert rows.count() == len(expected)
        seen.update(expected)
    assert {"Lina Lazada", "Wati Wa", "Eka Sedang", "Ani Loyal"} <= seen
    assert stats.masks_with(stats.channel_bit("tiktok")) == [
        m for m in range(1024) if "tiktok" in stats.channels_of(m)
    ]


# -- the whole-shop refresh --------------------------------------------------------------

NUMBERS = ("order_count", "total_spend", "first_order_at", "last_order_at", "channels",
           "city_index", "province", "rfm_group")  # fmt: skip


def stats_rows(shop):
    with shop_scope(shop):
        return {r["customer_id"]: r for r in CustomerStats.objects.values("customer_id", *NUMBERS)}


def scrambled(shop):
    """Rows missing, rows of zeros, a wrong city: what the refresh must put right."""
    with shop_scope(shop):
        ids = sorted(CustomerStats.objects.values_list("customer_id", flat=True))
        CustomerStats.objects.filter(customer_id__in=ids[:2]).delete()
        CustomerStats.objects.filter(customer_id__in=ids[2:4]).update(
            order_count=0, total_spend=0, last_order_at=None, channels=0
        )
        CustomerStats.objects.filter(customer_id__in=ids[4:5]).update(city_index="kota-lain")
    return ids


def test_a_whole_shop_refresh_gives_what_a_refresh_by_ids_gives(history):
    from merdeka.orders.models import Order

    expected = stats_rows(history)
    with shop_scope(history):
        buyers = set(Order.objects.exclude(customer=None).values_list("customer_id", flat=True))
    assert len(buyers) == 5 and len(expected) == 6
    ids = scrambled(history)
    with shop_scope(history):
        stats.customer_stats_refresh(shop=history)
    again = stats_rows(history)
    # the two rows made anew are "no orders yet" until the next RFM pass; the rest is equal
    for pk in ids[:2]:
        assert again[pk].pop("rfm_group") == "none"
        expected[pk].pop("rfm_group")
    assert again == expected
    assert_kept(history)
    scrambled(history)
    with shop_scope(history):
        stats.customer_stats_refresh(shop=history, customer_ids=ids)
    by_ids = stats_rows(history)
    for pk in ids[:2]:
        by_ids[pk].pop("rfm_group")
    assert by_ids == expected
