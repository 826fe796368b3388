"""An import's new customers: found by phone as soon as the file commits, by name once
the deferred step wrote their names' search tokens (issue 20)."""

from __future__ import annotations

from merdeka.books.tests.test_orders import shopee
from merdeka.core import events
from merdeka.core.scoping import shop_scope
from merdeka.customers import search
from merdeka.customers.models import Customer, SearchToken
from merdeka.imports import pipeline
from merdeka.imports.deferred import deferred_waiting


def _found(shop, query) -> set[int]:
    with shop_scope(shop):
        found = search.matching_customer_ids(shop=shop, query=query)
        return set(
            found.values_list("customer_id", flat=True) if hasattr(found, "values_list") else found
        )


def test_the_phone_finds_an_imported_buyer_at_once_and_the_name_once_complete(ika_shop, tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    run = pipeline.run_create(shop=ika_shop)
    assert pipeline.import_path(shop=ika_shop, run=run, path=path).state == "imported"
    with shop_scope(ika_shop):
        buyer = Customer.objects.get(shop=ika_shop)
    # usable: the file is committed; the name's tokens wait (no drain ran)
    assert _found(ika_shop, "0812-7777") == {buyer.pk}
    assert _found(ika_shop, "sari") == set()
    assert deferred_waiting(shop=ika_shop) == 2  # the order's postings, the buyer's name
    events.outbox_drain()
    assert deferred_waiting(shop=ika_shop) == 0
    assert _found(ika_shop, "sari") == {buyer.pk}
    assert _found(ika_shop, "sari 0812") == {buyer.pk}
    # delivered again (a retry): nothing more is written
    with shop_scope(ika_shop):
        tokens = SearchToken.objects.filter(shop=ika_shop).count()
        assert search.name_tokens_add(shop=ika_shop, customer_ids=[buyer.pk]) == 0
        assert SearchToken.objects.filter(shop=ika_shop).count() == tokens
