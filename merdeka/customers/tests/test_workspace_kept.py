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
from merdeka.customers import selectors, services, stats
from merdeka.customers.models import Customer, CustomerStats, Merge
from merdeka.customers.resolution import Resolver
from merdeka.customers.services import customer_create
from merdeka.customers.tests.test_workspace import history_of, order
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
    stored = stats.stored_group_counts(shop=shop)
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
    assert stats.stored_group_counts(shop=ika_shop) is None
    assert {c: n for c, _l, n in selectors.rfm_group_counts(shop=ika_shop) if n} == {"none": 1}
    customer_create(shop=ika_shop, name="Dua")
    assert kept_counts(ika_shop) == {"none": 2} == live_counts(ika_shop)


def test_the_segments_page_reads_the_kept_counts(history, ika_client, citra_shop):
    customer_create(shop=citra_shop, name="Lain Toko")
    with CaptureQueriesContext(connection) as queries:
        page = ika_client.get(reverse("segment_list"))
    assert page.status_code == 200
    grouped = [q["sql"] for q in queries if "GROUP BY" in q["sql"].upper()]
    assert not grouped, grouped
    counts = {code: n for code, _label, n in page.context["groups"]}
    assert {c: n for c, n in counts.items() if n} == {
        c: n for c, n in live_counts(history).items() if c in stats.RFM_LABELS
    }


def test_the_migration_counts_the_shops_that_have_list_rows(history, citra_shop):
    from importlib import import_module
    from types import SimpleNamespace

    from merdeka.customers.models import RfmGroupCount

    customer_create(shop=citra_shop, name="Lain Toko")
    expected = {history.pk: live_counts(history), citra_shop.pk: live_counts(citra_shop)}
    RfmGroupCount.unscoped.all().delete()
    migration = import_module("merdeka.customers.migrations.0010_rfm_group_counts")
    migration.count_existing(None, SimpleNamespace(connection=connection))
    for shop in (history, citra_shop):
        assert kept_counts(shop) == expected[shop.pk]
