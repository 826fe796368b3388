"""The review queue as work for a person: strong evidence merges without asking (and can
be undone), only what a person can decide is asked, the heaviest first, and alike
suggestions are decided together on a page that shows every one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers import review, search
from merdeka.customers.matching import suggest_matches
from merdeka.customers.models import Customer, CustomerStats, MatchSuggestion, Merge
from merdeka.customers.services import customer_create, merge_undo
from merdeka.customers.tests.test_matching_quality import initials, members, orders
from merdeka.customers.tests.test_resolution import live_customers, masked_order
from merdeka.imports.formats.whatsapp import Participant
from merdeka.orders.models import Order

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_whatsapp_number_and_the_one_masked_buyer_under_its_digits_merge_at_once(ika_shop, ika):
    with shop_scope(ika_shop):
        orders(ika_shop, masked_order("S1", username="yoga_2018", hint="855|2762",
                                      city="Kota Ambon"))  # fmt: skip
        members(ika_shop, Participant(name="+62 855-9689-2762", phone="+6285596892762"))
        outcome = {}
        assert suggest_matches(shop=ika_shop, outcome=outcome) == 0  # nothing to ask
        assert outcome["merged"] == 1
        survivor = live_customers(ika_shop).get()
        assert Order.objects.get(external_id="S1").customer_id == survivor.pk
        # the list's numbers follow: one row, the survivor's, with the order
        assert list(CustomerStats.objects.values_list("customer_id", "order_count")) == [
            (survivor.pk, 1)
        ]
        # found by the number it took over (the chat member's), and nobody else is
        for query in ("0855-9689", "2762"):
            found = search.matching_customer_ids(shop=ika_shop, query=query)
            assert list(Customer.objects.filter(pk__in=found).values_list("pk", flat=True)) == [
                survivor.pk
            ]
        merge = Merge.objects.get(reason=Merge.Reason.STRONG)
        kept = MatchSuggestion.objects.get()
        assert kept.state == MatchSuggestion.State.MERGED
        assert {e["code"] for e in kept.evidence} >= {"only_number", "same_phone_digits"}
        assert {"code": "strong", "rule": "only_number"} in kept.evidence
        # undone like any merge, and never merged (nor asked) again
        merge_undo(shop=ika_shop, actor=ika, merge_id=merge.pk)
        assert live_customers(ika_shop).count() == 2
        assert suggest_matches(shop=ika_shop) == 0
        assert live_customers(ika_shop).count() == 2


def test_two_masked_buyers_with_the_same_digits_letters_and_city_merge_at_once(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            initials(masked_order("S1", username="dw1", hint="812|7801", city="Kota Bandung"),
                     "d|i"),
            initials(masked_order("T1", channel="tiktok", username="dw2", hint="812|7801",
                                  city="Kota Bandung"), "d|i"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0
        assert live_customers(ika_shop).count() == 1
        assert Merge.objects.filter(reason=Merge.Reason.STRONG).count() == 1


def test_strong_evidence_needs_digits_nobody_else_has(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            initials(masked_order("S1", username="dw1", hint="812|7801", city="Kota Bandung"),
                     "d|i"),
            initials(masked_order("T1", channel="tiktok", username="dw2", hint="812|7801",
                                  city="Kota Bandung"), "d|i"),
            initials(masked_order("T2", channel="tiktok", username="dw3", hint="812|7801",
                                  city="Kota Bandung"), "d|i"),
        )  # fmt: skip
        suggest_matches(shop=ika_shop)
        assert live_customers(ika_shop).count() == 3
        assert not Merge.objects.exists()


def test_two_buyers_who_left_no_name_and_no_number_are_not_asked(ika_shop):
    # same visible digits and city, names fully masked: the page would show a person two
    # masked numbers and a city, which is all the evidence already compared
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            masked_order("S1", username="h1", hint="812|7801", city="Kota Bandung"),
            masked_order("T1", channel="tiktok", username="h2", hint="812|7801",
                         city="Kota Bandung"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0
        assert live_customers(ika_shop).count() == 2
        assert not MatchSuggestion.objects.exists()


def test_a_customer_weighs_her_spend_by_how_recently_she_bought():
    assert review.customer_weight(900_000, NOW, NOW) == 900_000
    assert review.customer_weight(900_000, NOW - timedelta(days=90), NOW) == 450_000
    assert review.customer_weight(900_000, None, NOW) == 0
    assert review.customer_weight(0, NOW, NOW) == 0


def pair_of_twins(shop, name: str, city: str = "Kota Bogor") -> MatchSuggestion:
    """Two customers by hand with the same name, and a pending suggestion for them."""
    a = customer_create(shop=shop, name=name, city=city)
    b = customer_create(shop=shop, name=name, city=city)
    with shop_scope(shop):
        return MatchSuggestion.objects.create(
            shop=shop, customer_a=a, customer_b=b, score=0.85,
            evidence=[{"code": "same_name"}, {"code": "similar_name", "score": 100.0},
                      {"code": "same_city"}],
        )  # fmt: skip


def spent(shop, suggestion, amount: int, days_ago: int) -> None:
    with shop_scope(shop):
        CustomerStats.objects.filter(shop=shop, customer_id=suggestion.customer_a_id).update(
            total_spend=amount, last_order_at=NOW - timedelta(days=days_ago)
        )


def test_alike_suggestions_are_grouped_and_the_heaviest_come_first(ika_shop, monkeypatch):
    monkeypatch.setattr(review, "GROUP_SIZE", 2)
    alike = [pair_of_twins(ika_shop, f"Rina Wulandari {n}") for n in range(3)]
    with shop_scope(ika_shop):
        other = MatchSuggestion.objects.create(
            shop=ika_shop,
            customer_a=customer_create(shop=ika_shop, name="Agus Salim", city="Kota Medan"),
            customer_b=customer_create(shop=ika_shop, name="Agus Salim", city="Kota Medan"),
            score=0.95, evidence=[{"code": "same_address"}, {"code": "same_city"}],
        )  # fmt: skip
    spent(ika_shop, alike[2], 2_000_000, 1)  # the heaviest: bought yesterday
    spent(ika_shop, alike[0], 2_000_000, 700)  # as much, but two years ago
    spent(ika_shop, other, 500_000, 1)
    assert review.review_queue_arrange(shop=ika_shop, now=NOW) == 3  # 2 + 1 alike, 1 other
    with shop_scope(ika_shop):
        groups = {s.pk: s.group for s in MatchSuggestion.objects.all()}
    # the two heaviest alike pairs share a group led by the heaviest; the third is alone
    assert groups[alike[2].pk] == groups[alike[0].pk] == alike[2].pk
    assert groups[alike[1].pk] == alike[1].pk
    assert groups[other.pk] == other.pk
    entries = list(review.queue_entries(shop=ika_shop))
    assert [e["key"] for e in entries] == [alike[2].pk, other.pk, alike[1].pk]
    assert entries[0]["size"] == 2
    # arranged again: weights follow the figures, groups stay
    assert review.review_queue_arrange(shop=ika_shop, now=NOW) == 0


def test_a_group_page_shows_every_member_and_one_tap_merges_them_all(ika_shop, ika_client):
    alike = [pair_of_twins(ika_shop, f"Siti Rahmawati {n}") for n in range(5)]
    review.review_queue_arrange(shop=ika_shop)
    with shop_scope(ika_shop):
        group = MatchSuggestion.objects.get(pk=alike[0].pk).group
    queue = ika_client.get(reverse("review_queue")).content.decode()
    assert "5 pasangan serupa" in queue
    assert reverse("review_group", args=[group]) in queue
    page = ika_client.get(reverse("review_group", args=[group])).content.decode()
    for suggestion in alike:  # every member, both sides, on the one page
        assert f'data-testid="member-{suggestion.pk}"' in page
        assert f"Siti Rahmawati {alike.index(suggestion)}<" in page
        assert f'name="member" value="{suggestion.pk}"' in page
    assert "Tiap pasangan orang yang sama: gabungkan semua" in page
    shown = [s.pk for s in alike[:4]]  # a member she was not shown is not decided
    response = ika_client.post(
        reverse("review_group_decide", args=[group, "gabung"]), {"member": shown}
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        states = dict(MatchSuggestion.objects.values_list("pk", "state"))
        assert [states[pk] for pk in shown] == ["merged"] * 4
        assert states[alike[4].pk] == "pending"
        assert live_customers(ika_shop).count() == 2 * 5 - 4
        merges = list(Merge.objects.filter(reason=Merge.Reason.REVIEWED))
    assert len(merges) == 4
    # each merge of the group is undone on its own
    ika_client.post(reverse("merge_undo", args=[merges[0].pk]))
    with shop_scope(ika_shop):
        assert live_customers(ika_shop).count() == 2 * 5 - 3


def test_one_tap_keeps_a_whole_group_apart_after_one_pair_was_decided_alone(ika_shop, ika_client):
    alike = [pair_of_twins(ika_shop, f"Dewi Lestari {n}") for n in range(3)]
    review.review_queue_arrange(shop=ika_shop)
    with shop_scope(ika_shop):
        group = MatchSuggestion.objects.get(pk=alike[0].pk).group
    response = ika_client.post(
        reverse("review_decide", args=[alike[1].pk, "gabung"]), {"group": group}
    )
    assert response.url == reverse("review_group", args=[group])  # back to what is left
    ika_client.post(
        reverse("review_group_decide", args=[group, "pisah"]),
        {"member": [s.pk for s in alike]},
    )
    with shop_scope(ika_shop):
        states = dict(MatchSuggestion.objects.values_list("pk", "state"))
    assert states == {alike[0].pk: "apart", alike[1].pk: "merged", alike[2].pk: "apart"}
    assert ika_client.get(reverse("review_group", args=[group])).status_code == 404


def test_another_shop_can_neither_see_nor_decide_a_group(ika_shop, citra_client):
    suggestion = pair_of_twins(ika_shop, "Kanari Rahasia Ika")
    review.review_queue_arrange(shop=ika_shop)
    url = reverse("review_group", args=[suggestion.pk])
    assert citra_client.get(url).status_code == 404
    decide = reverse("review_group_decide", args=[suggestion.pk, "gabung"])
    assert citra_client.post(decide, {"member": [suggestion.pk]}).status_code == 404
    assert "Kanari" not in citra_client.get(reverse("review_queue")).content.decode()
    with shop_scope(ika_shop):
        assert MatchSuggestion.objects.get().state == "pending"


@pytest.mark.parametrize("decision", ["gabung", "pisah"])
def test_a_group_decided_without_its_members_decides_nothing(ika_shop, ika_client, decision):
    suggestion = pair_of_twins(ika_shop, "Budi Santoso")
    review.review_queue_arrange(shop=ika_shop)
    response = ika_client.post(reverse("review_group_decide", args=[suggestion.pk, decision]))
    assert response.status_code == 404
    with shop_scope(ika_shop):
        assert MatchSuggestion.objects.get().state == "pending"


def test_suggestions_not_grouped_yet_are_each_their_own_entry(ika_shop, ika_client):
    # made outside an import run (nothing arranged them yet): one entry each, decidable
    twins = [pair_of_twins(ika_shop, f"Yohanes Pattiasina {n}") for n in range(2)]
    assert [e["size"] for e in review.queue_entries(shop=ika_shop)] == [1, 1]
    page = ika_client.get(reverse("review_queue")).content.decode()
    for suggestion in twins:
        assert f'data-testid="suggestion-{suggestion.pk}"' in page
    assert ika_client.get(reverse("review_group", args=[twins[0].pk])).status_code == 200
