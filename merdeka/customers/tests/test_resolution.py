from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.matching import suggest_matches
from merdeka.customers.models import Customer, Identity, MatchSuggestion, Merge
from merdeka.customers.resolution import Resolver
from merdeka.imports import records
from merdeka.imports.writer import write_contacts, write_orders
from merdeka.orders.models import Order

WHEN = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


def order(
    external_id,
    *,
    channel="shopee",
    username=None,
    phone=None,
    name=None,
    city="",
    status="completed",
    email=None,
):
    return records.Order(
        channel=channel,
        external_id=external_id,
        status=status,
        status_raw=status.title(),
        ordered_at=WHEN,
        buyer=records.Buyer(username=username, name=name, phone=phone, email=email),
        address=records.Address(recipient=name, city=city, province="Jawa Barat"),
        lines=[records.OrderLine(name="Kue Nastar", quantity=2, unit_price=Decimal("45000"))],
    )


def live_customers(shop):
    return Customer.objects.filter(shop=shop, merged_into__isnull=True)


def test_the_same_marketplace_username_is_one_customer(ika_shop):
    with shop_scope(ika_shop):
        resolver = Resolver(shop=ika_shop, source="shopee")
        counts = write_orders(
            shop=ika_shop,
            orders=[order("A1", username="sitinur"), order("A2", username="SitiNur")],
            resolver=resolver,
        )
        assert counts.orders_new == 2
        assert live_customers(ika_shop).count() == 1
        assert resolver.outcome.customers_new == 1


def test_usernames_are_per_marketplace(ika_shop):
    with shop_scope(ika_shop):
        resolver = Resolver(shop=ika_shop, source="mixed")
        write_orders(
            shop=ika_shop,
            orders=[
                order("A1", username="budi88"),
                order("T1", channel="tiktok", username="budi88"),
            ],
            resolver=resolver,
        )
        assert live_customers(ika_shop).count() == 2
        # the blind index hashes the channel too: the two usernames index apart, and
        # that index alone is what keeps an identity unique in the shop
        shopee, tiktok = (
            Identity.objects.get(shop=ika_shop, kind="username", channel=c)
            for c in ("shopee", "tiktok")
        )
        assert shopee.value_index != tiktok.value_index
        with pytest.raises(IntegrityError), transaction.atomic():
            Identity.objects.create(
                shop=ika_shop,
                customer=tiktok.customer,
                kind="phone",
                value="+6281234567890",
                value_index=shopee.value_index,
                source="manual",
            )


def test_a_shared_phone_merges_customers_from_two_channels_and_can_be_undone(ika_shop, ika):
    from merdeka.customers.services import merge_undo

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order("A1", username="dewi_a"), order("T1", channel="tiktok", username="dw")],
            resolver=Resolver(shop=ika_shop, source="mixed"),
        )
        assert live_customers(ika_shop).count() == 2
        # a later file links both usernames to one phone number
        resolver = Resolver(shop=ika_shop, source="shopee")
        write_orders(
            shop=ika_shop,
            orders=[
                order("A2", username="dewi_a", phone="+6285712345678"),
                order("T2", channel="tiktok", username="dw", phone="+6285712345678"),
            ],
            resolver=resolver,
        )
        assert live_customers(ika_shop).count() == 1
        assert resolver.outcome.customers_merged == 1
        survivor = live_customers(ika_shop).get()
        assert Order.objects.filter(customer=survivor).count() == 4
        merge = Merge.objects.get()
        assert merge.reason == "phone"

    merge_undo(shop=ika_shop, actor=ika, merge_id=merge.pk)
    with shop_scope(ika_shop):
        assert live_customers(ika_shop).count() == 2
        absorbed = Customer.objects.get(pk=merge.absorbed_id)
        assert set(
            Order.objects.filter(customer=absorbed).values_list("external_id", flat=True)
        ) == {"T1"}


def test_reimporting_adds_nothing_twice_and_updates_changed_statuses(ika_shop):
    with shop_scope(ika_shop):
        first = [order("A1", username="x", status="shipped"), order("A2", username="y")]
        write_orders(shop=ika_shop, orders=first, resolver=Resolver(shop=ika_shop, source="s"))
        again = [order("A1", username="x", status="completed"), order("A2", username="y")]
        counts = write_orders(
            shop=ika_shop, orders=again, resolver=Resolver(shop=ika_shop, source="s")
        )
        assert (counts.orders_new, counts.orders_updated, counts.orders_unchanged) == (0, 1, 1)
        assert Order.objects.count() == 2
        assert Order.objects.get(external_id="A1").status == "completed"
        assert Identity.objects.count() == 2


def test_identities_hold_no_plaintext(ika_shop):
    from django.db import connection

    with shop_scope(ika_shop):
        write_contacts(
            contacts=[records.Contact(name="Rahasia", phones=["+6281299990000"])],
            resolver=Resolver(shop=ika_shop, source="contacts"),
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, value_index FROM customers_identity")
        for value, index in cursor.fetchall():
            assert "81299990000" not in value and "81299990000" not in index


def test_similar_names_in_the_same_city_wait_for_review(ika_client, ika_shop):
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[
                order("A1", username="u1", name="Siti Nurhaliza", city="Kota Bandung"),
                order("A2", username="u2", name="Siti Nurhalizah", city="Kota Bandung"),
                order("A3", username="u3", name="Siti Nurhaliza", city="Kota Medan"),
                order("A4", username="u4", name="Budi Santoso", city="Kota Bandung"),
            ],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
        assert suggest_matches(shop=ika_shop) == 1
        assert suggest_matches(shop=ika_shop) == 0  # never twice
        suggestion = MatchSuggestion.objects.get()
        assert {c.name for c in suggestion.pair} == {"Siti Nurhaliza", "Siti Nurhalizah"}

    listing = ika_client.get(reverse("customer_list")).content.decode()
    assert "1 kemungkinan duplikat menunggu tinjauanmu" in listing
    page = ika_client.get(reverse("review_queue")).content.decode()
    assert "Siti Nurhalizah" in page and "Kota Bandung" in page
    ika_client.post(reverse("review_decide", args=[suggestion.pk, "gabung"]))
    with shop_scope(ika_shop):
        assert live_customers(ika_shop).count() == 3
        assert MatchSuggestion.objects.get().state == "merged"
        merge = Merge.objects.get(reason="reviewed")
    detail = ika_client.get(reverse("customer_detail", args=[merge.survivor_id])).content.decode()
    assert "Batalkan penggabungan" in detail
    assert "Username marketplace" in detail and "Kue Nastar" in detail and "Rp90.000" in detail
    ika_client.post(reverse("merge_undo", args=[merge.pk]))
    with shop_scope(ika_shop):
        assert live_customers(ika_shop).count() == 4


def test_keeping_apart_is_remembered(ika_client, ika_shop):
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[
                order("A1", username="u1", name="Agus Salim", city="Kota Bogor"),
                order("A2", username="u2", name="Agus Salim", city="Kota Bogor"),
            ],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
        suggest_matches(shop=ika_shop)
        suggestion = MatchSuggestion.objects.get()
    ika_client.post(reverse("review_decide", args=[suggestion.pk, "pisah"]))
    with shop_scope(ika_shop):
        assert suggest_matches(shop=ika_shop) == 0
        assert live_customers(ika_shop).count() == 2


def test_chains_of_merges_in_one_file_end_in_one_customer(ika_shop):
    """c2 joins c1 (same phone), then c1 joins c0 (same email): every order lands on c0."""
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order("A0", username="u0"), order("A1", username="u1"),
                    order("A2", username="u2")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )  # fmt: skip
        first = {o.external_id: o.customer_id for o in Order.objects.all()}
        resolver = Resolver(shop=ika_shop, source="shopee")
        write_orders(
            shop=ika_shop,
            orders=[
                order("B1", username="u1", phone="+6281311112222"),
                order("B2", username="u2", phone="+6281311112222"),
                order("B3", username="u0", email="nur@example.id"),
                order("B4", username="u1", email="nur@example.id"),
            ],
            resolver=resolver,
        )
        survivor = live_customers(ika_shop).get()
        assert survivor.pk == first["A0"]
        assert Order.objects.filter(customer=survivor).count() == 7
        assert Identity.objects.exclude(customer=survivor).count() == 0
        assert resolver.outcome.customers_merged == 2
        assert set(Merge.objects.values_list("absorbed_id", flat=True)) == {
            first["A1"],
            first["A2"],
        }


def test_a_buyer_linking_three_new_customers_makes_one(ika_shop):
    with shop_scope(ika_shop):
        resolver = Resolver(shop=ika_shop, source="tiktok")
        write_orders(
            shop=ika_shop,
            orders=[
                order("T1", channel="tiktok", username="a"),
                order("T2", channel="tiktok", username="b", phone="+6285700000001"),
                order("T3", channel="tiktok", username="c", email="c@example.id"),
                order("T4", channel="tiktok", username="a", phone="+6285700000001",
                      email="c@example.id"),
            ],
            resolver=resolver,
        )  # fmt: skip
        customer = live_customers(ika_shop).get()
        assert Order.objects.filter(customer=customer).count() == 4
        assert resolver.outcome.customers_new == 1
        assert Merge.objects.count() == 0  # never apart in the database: nothing to undo
        assert customer.phone == "+6285700000001" and customer.email == "c@example.id"


def masked_order(external_id, *, username, hint, city, channel="shopee"):
    """A finished marketplace order whose buyer the marketplace hid: only digits remain."""
    parsed = order(external_id, channel=channel, username=username, city=city)
    parsed.buyer.name = None
    parsed.address.recipient = None
    parsed.buyer.phone_hint = hint
    return parsed


def test_the_visible_digits_of_a_masked_phone_suggest_the_buyer_with_that_number(ika_shop):
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[
                masked_order("S1", username="hidden", hint="812|7801", city="Kota Bandung"),
                order("T1", channel="tiktok", username="dewi", name="Dewi Lestari",
                      phone="+6281234567801", city="Kota Bandung"),
                # same digits, another city and name: a different person
                order("T2", channel="tiktok", username="other", name="Agus Salim",
                      phone="+6281299997801", city="Kota Medan"),
            ],
            resolver=Resolver(shop=ika_shop, source="mixed"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 1
        suggestion = MatchSuggestion.objects.get()
        assert suggestion.evidence[0]["code"] == "same_phone_digits"
        names = {c.name for c in suggestion.pair}
        assert names == {None, "Dewi Lestari"}


def test_the_same_address_in_the_same_city_is_suggested_but_not_across_cities(ika_shop):
    def with_street(parsed, street):
        parsed.address.street = street
        return parsed

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[
                with_street(order("A1", username="u1", name="Rina W", city="Kota Bogor"),
                            "Jl. Kenanga No. 8"),
                with_street(order("A2", username="u2", name="Rina Wulandari", city="Kota Bogor"),
                            "JALAN KENANGA NOMOR 8"),
                with_street(order("A3", username="u3", name="Rina Wulan", city="Kota Malang"),
                            "Jl. Kenanga No. 8"),
            ],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 1
        suggestion = MatchSuggestion.objects.get()
        assert suggestion.evidence[0]["code"] == "same_address"
        assert {c.city for c in suggestion.pair} == {"Kota Bogor"}


def test_a_whatsapp_name_is_suggested_only_when_nobody_else_has_it(ika_shop):
    from merdeka.imports.formats.whatsapp import Participant
    from merdeka.imports.writer import write_participants

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[
                order("A1", username="u1", name="Yohanes Pattiasina", city="Kota Ambon"),
                order("A2", username="u2", name="Siti Rahmawati", city="Kota Bandung"),
                order("A3", username="u3", name="Siti Rahmawati", city="Kota Bekasi"),
            ],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
        write_participants(
            participants=[
                Participant(name="Pak Yohanes Pattiasina"),
                Participant(name="Bu Siti Rahmawati"),
            ],
            resolver=Resolver(shop=ika_shop, source="whatsapp"),
        )
        assert suggest_matches(shop=ika_shop) == 1
        suggestion = MatchSuggestion.objects.get()
        assert {c.name for c in suggestion.pair} == {
            "Yohanes Pattiasina",
            "Pak Yohanes Pattiasina",
        }


def test_evidence_follows_a_merge_and_comes_back_on_undo(ika_shop, ika):
    from merdeka.customers.models import MatchKey
    from merdeka.customers.services import merge_undo

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order("A1", username="a", name="Dewi Anggraini"),
                    order("T1", channel="tiktok", username="b", name="Putri Lestari")],
            resolver=Resolver(shop=ika_shop, source="mixed"),
        )  # fmt: skip
        first = {o.external_id: o.customer_id for o in Order.objects.all()}
        before = set(MatchKey.objects.filter(customer_id=first["T1"]).values_list("pk", flat=True))
        assert before
        write_orders(
            shop=ika_shop,
            orders=[order("A2", username="a", phone="+6281311110000"),
                    order("T2", channel="tiktok", username="b", phone="+6281311110000")],
            resolver=Resolver(shop=ika_shop, source="mixed"),
        )  # fmt: skip
        assert not MatchKey.objects.filter(customer_id=first["T1"]).exists()
        merge = Merge.objects.get()
    merge_undo(shop=ika_shop, actor=ika, merge_id=merge.pk)
    with shop_scope(ika_shop):
        after = set(MatchKey.objects.filter(customer_id=first["T1"]).values_list("pk", flat=True))
        assert after == before


def test_a_later_order_fills_what_a_customer_lacked_and_it_is_findable(ika_shop):
    from merdeka.customers.selectors import customer_list

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[masked_order("S1", username="hidden", hint="812|7801", city="")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
        customer = live_customers(ika_shop).get()
        assert customer.name is None and customer.phone is None
        write_orders(
            shop=ika_shop,
            orders=[order("S2", username="hidden", name="Dewi Lestari", phone="+6281234567801",
                          city="Kota Bandung")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )  # fmt: skip
        customer = live_customers(ika_shop).get()
        assert (customer.name, customer.phone, customer.city) == (
            "Dewi Lestari",
            "+6281234567801",
            "Kota Bandung",
        )
    assert list(customer_list(shop=ika_shop, phone="0812-3456-7801")) == [customer]


def test_profiles_read_in_chunks_or_whole_are_the_same(ika_shop, monkeypatch):
    from merdeka.customers import matching
    from merdeka.imports.formats.whatsapp import Participant
    from merdeka.imports.writer import write_participants

    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order(f"A{i}", username=f"u{i}", name=f"Pembeli {i}", city="Kota Bogor")
                    for i in range(30)],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )  # fmt: skip
        write_participants(
            participants=[Participant(name="Bu Sari")],
            resolver=Resolver(shop=ika_shop, source="whatsapp"),
        )
        ids = sorted(live_customers(ika_shop).values_list("pk", flat=True))[5:]
        chunked = matching._profiles(ika_shop, ids)
        monkeypatch.setattr(matching, "WHOLE_SHOP", 1)
        whole = matching._profiles(ika_shop, ids)
    assert whole == chunked and len(whole) == len(ids)
    assert any(profile.wa_only for profile in whole.values())
