"""An import's new customers: found by their whole number as soon as the file commits
(through the phone identity's blind index), by name and by a part of the number once the
deferred step wrote their search tokens (issue 20)."""

from __future__ import annotations

from merdeka.books.tests.test_orders import SHOPEE_HEADER, shopee
from merdeka.core import events
from merdeka.core.scoping import shop_scope
from merdeka.customers import search
from merdeka.customers.models import Customer, SearchToken
from merdeka.customers.resolution import customer_merge
from merdeka.customers.services import customer_create
from merdeka.imports import pipeline
from merdeka.imports.deferred import deferred_waiting


def _found(shop, query) -> set[int]:
    with shop_scope(shop):
        found = search.matching_customer_ids(shop=shop, query=query)
        return set(
            found.values_list("customer_id", flat=True) if hasattr(found, "values_list") else found
        )


def test_the_whole_number_finds_an_imported_buyer_at_once_the_rest_once_complete(
    ika_shop, tmp_path
):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    run = pipeline.run_create(shop=ika_shop)
    assert pipeline.import_path(shop=ika_shop, run=run, path=path).state == "imported"
    with shop_scope(ika_shop):
        buyer = Customer.objects.get(shop=ika_shop)
        # usable: the file is committed, her tokens wait (no drain ran)
        assert not SearchToken.objects.filter(shop=ika_shop).exists()
    for whole in ("0812-7777-8888", "+62 812 7777 8888", "6281277778888"):
        assert _found(ika_shop, whole) == {buyer.pk}, whole
    assert _found(ika_shop, "0812-7777") == set()
    assert _found(ika_shop, "8888") == set()
    assert _found(ika_shop, "sari") == set()
    # the order's postings, the buyer's tokens and her match keys
    assert deferred_waiting(shop=ika_shop) == 3
    events.outbox_drain()
    assert deferred_waiting(shop=ika_shop) == 0
    for query in ("sari", "sari 0812", "0812-7777", "8888", "0812-7777-8888"):
        assert _found(ika_shop, query) == {buyer.pk}, query
    assert _found(ika_shop, "0812-7777-8889") == set()
    # delivered again (a retry): nothing more is written
    with shop_scope(ika_shop):
        tokens = SearchToken.objects.filter(shop=ika_shop).count()
        assert search.imported_tokens_add(shop=ika_shop, customer_ids=[buyer.pk]) == 0
        assert SearchToken.objects.filter(shop=ika_shop).count() == tokens
    # her tokens are exactly what a customer written by hand carries
    with shop_scope(ika_shop):
        search.index_customers(shop=ika_shop, customer_ids=[buyer.pk])
        assert SearchToken.objects.filter(shop=ika_shop).count() == tokens


def test_a_whole_number_finds_the_customer_it_was_merged_into(ika_shop, tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=path)
    with shop_scope(ika_shop):
        buyer = Customer.objects.get(shop=ika_shop)
    with shop_scope(ika_shop):
        other = customer_create(shop=ika_shop, name="Sari D.", phone="0857-1111-2222")
        customer_merge(shop=ika_shop, survivor=other, absorbed=buyer, reason="reviewed")
    assert _found(ika_shop, "0812-7777-8888") == {other.pk}
    assert _found(ika_shop, "0857-1111-2222") == {other.pk}


def test_a_known_buyer_is_found_by_the_number_and_name_an_import_gave_her(ika_shop, tmp_path):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    # her first order shows a masked name: she is known by her account and number
    first.write_text(
        SHOPEE_HEADER + "2505010000001A;Completed;2025-05-01 10:00;Nastar Keju;1;85,000;"
        "sarilestari;S*****i;6281277778888;Kota Bandung;Jawa Barat;0\n",
        encoding="utf-8",
    )
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=first)
    events.outbox_drain()
    with shop_scope(ika_shop):
        buyer = Customer.objects.get(shop=ika_shop)
    assert _found(ika_shop, "8888") == {buyer.pk}
    assert _found(ika_shop, "lestari") == set()
    # the next month: the same account, her name, and a second number of hers
    later = tmp_path / "Order.all.20250601_20250630.csv"
    later.write_text(
        SHOPEE_HEADER + "2506010000002B;Completed;2025-06-01 10:00;Nastar Keju;1;85,000;"
        "sarilestari;Sari Dewi Lestari;6285711112222;Kota Bandung;Jawa Barat;0\n",
        encoding="utf-8",
    )
    pipeline.import_path(shop=ika_shop, run=run, path=later)
    with shop_scope(ika_shop):
        assert Customer.objects.get(shop=ika_shop).pk == buyer.pk
        tokens = SearchToken.objects.filter(shop=ika_shop).count()
    # usable: the new whole number finds her at once; its parts and her name once complete
    assert _found(ika_shop, "0857-1111-2222") == {buyer.pk}
    assert _found(ika_shop, "0857-1111") == set()
    assert _found(ika_shop, "lestari") == set()
    assert deferred_waiting(shop=ika_shop) == 3  # the postings, her new tokens, her match keys
    events.outbox_drain()
    assert deferred_waiting(shop=ika_shop) == 0
    for query in ("lestari", "sari 0857", "0857-1111", "2222", "0812-7777", "8888"):
        assert _found(ika_shop, query) == {buyer.pk}, query
    # exactly the tokens a full re-index of her gives, and more than before the file
    with shop_scope(ika_shop):
        after = SearchToken.objects.filter(shop=ika_shop).count()
        assert after > tokens
        search.index_customers(shop=ika_shop, customer_ids=[buyer.pk])
        assert SearchToken.objects.filter(shop=ika_shop).count() == after


def _tokens(shop) -> set[tuple[int, int]]:
    with shop_scope(shop):
        return set(SearchToken.objects.filter(shop=shop).values_list("customer_id", "token"))


def test_a_delivery_adds_only_what_each_customer_lacks_and_a_retry_nothing(ika_shop):
    """The delivery reads back only the customers holding some token: one without any
    gets all of hers, one holding a part gets the rest, one holding all gets nothing,
    in one call; delivered again, nothing is written."""
    with shop_scope(ika_shop):
        whole = customer_create(shop=ika_shop, name="Sari Lestari", phone="0812-7777-8888")
        part = customer_create(shop=ika_shop, name="Dewi Ayu", phone="0857-1111-2222")
        none = customer_create(shop=ika_shop, name="Rina Wati", phone="0813-3333-4444")
    expected = _tokens(ika_shop)  # what customers written by hand carry
    with shop_scope(ika_shop):
        held = SearchToken.objects.filter(shop=ika_shop, customer=part).order_by("token")
        kept = list(held.values_list("pk", flat=True)[:3])
        held.exclude(pk__in=kept).delete()
        SearchToken.objects.filter(shop=ika_shop, customer=none).delete()
    missing = len(expected - _tokens(ika_shop))
    assert missing > 0
    ids = [whole.pk, part.pk, none.pk]
    with shop_scope(ika_shop):
        assert search.imported_tokens_add(shop=ika_shop, customer_ids=ids) == missing
    assert _tokens(ika_shop) == expected
    with shop_scope(ika_shop):
        assert search.imported_tokens_add(shop=ika_shop, customer_ids=ids) == 0
        assert SearchToken.objects.filter(shop=ika_shop).count() == len(expected)
