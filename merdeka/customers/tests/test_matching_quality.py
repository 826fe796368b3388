"""The resolution rules that bench/bench_import.py's error breakdown asked for, each on a
small world shaped like the exports (Shopee masks, WhatsApp members, gifts)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.matching import suggest_matches
from merdeka.customers.models import MatchSuggestion
from merdeka.customers.resolution import Resolver
from merdeka.customers.tests.test_resolution import live_customers, masked_order, order
from merdeka.imports.formats.whatsapp import Participant
from merdeka.imports.writer import write_orders, write_participants
from merdeka.orders.models import Order


def orders(shop, *parsed):
    write_orders(shop=shop, orders=list(parsed), resolver=Resolver(shop=shop, source="mixed"))


def members(shop, *participants):
    write_participants(
        participants=list(participants), resolver=Resolver(shop=shop, source="whatsapp")
    )


def at(parsed, street):
    """An order shipped to ``street``."""
    parsed.address.street = street
    return parsed


def test_two_customers_with_different_full_numbers_are_not_suggested(ika_shop):
    # Same common name, same city, same visible digits: but each has a full number,
    # and one number would have merged them. Two people.
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("T1", channel="tiktok", username="siti1", name="Siti Lubis",
                  phone="+6281234567801", city="Kota Makassar"),
            order("T2", channel="tiktok", username="siti2", name="Siti Lubis",
                  phone="+6281299997801", city="Kota Makassar"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0


def test_a_whatsapp_number_is_suggested_for_the_one_buyer_whose_phone_was_always_masked(
    ika_shop, ika_client
):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            masked_order("S1", username="yoga_2018", hint="855|2762", city="Kota Ambon"),
            # the same visible digits on someone whose full number is another one
            order("T1", channel="tiktok", username="agus", name="Agus Salim",
                  phone="+6285511112762", city="Kota Medan"),
        )  # fmt: skip
        members(ika_shop, Participant(name="+62 855-9689-2762", phone="+6285596892762"))
        assert suggest_matches(shop=ika_shop) == 1
        suggestion = MatchSuggestion.objects.get()
        assert {e["code"] for e in suggestion.evidence} >= {"same_phone_digits", "only_number"}
        masked = live_customers(ika_shop).get(identities__channel="shopee")
        assert masked.pk in {c.pk for c in suggestion.pair}
    # the review queue names that evidence to the seller
    page = ika_client.get(reverse("review_queue")).content.decode()
    assert "Satu-satunya pembeli dengan angka ini yang nomornya selalu disamarkan" in page


def test_a_whatsapp_number_is_not_guessed_among_two_masked_strangers(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            masked_order("S1", username="a", hint="855|2762", city="Kota Ambon"),
            masked_order("S2", username="b", hint="855|2762", city="Kota Medan"),
        )
        members(ika_shop, Participant(name="+62 855-9689-2762", phone="+6285596892762"))
        assert suggest_matches(shop=ika_shop) == 0


def test_a_chat_name_fits_one_person_with_two_marketplace_accounts(ika_shop):
    # "SITI LUBIS" in a chat; the shop knows Siti Lubis from Shopee and TikTok, the two
    # accounts tied by their street: one person, so the chat name is hers.
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            at(order("S1", username="siti", name="Siti Lubis", city="Kota Makassar"),
               "Jl. Daulay No. 12"),
            at(order("T1", channel="tiktok", username="siti_l1137", name="Siti Lubis",
                     city="Kota Makassar"), "Jl. Daulay No. 12"),
            order("S2", username="yohanes", name="Yohanes Pattiasina", city="Kota Ambon"),
        )  # fmt: skip
        members(ika_shop, Participant(name="SITI LUBIS"))
        assert suggest_matches(shop=ika_shop) == 3  # the accounts, and the chat with each
        chat = live_customers(ika_shop).get(identities__channel="whatsapp")
        with_chat = MatchSuggestion.objects.filter(Q(customer_a=chat) | Q(customer_b=chat))
        assert with_chat.count() == 2
        assert all(s.evidence[0]["code"] == "same_name" for s in with_chat)


def test_a_chat_name_shared_by_two_unrelated_buyers_stays_unsuggested(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("S1", username="siti", name="Siti Lubis", city="Kota Makassar"),
            order("S2", username="siti2", name="Siti Lubis", city="Kota Bogor"),
            order("S3", username="siti3", name="Siti Lubis", city="Kota Medan"),
        )
        members(ika_shop, Participant(name="SITI LUBIS"))
        assert suggest_matches(shop=ika_shop) == 0


def test_a_gift_shipped_to_another_customer_does_not_merge_the_two(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("S1", username="ratna", name="Ratna Siregar", phone="+6281211112222",
                  city="Kota Medan"),
            order("T1", channel="tiktok", username="agus", name="Agus Salim",
                  phone="+6281333334444", city="Kota Bandung"),
        )  # fmt: skip
        # Ratna sends a present to Agus: her account, his name and number
        orders(
            ika_shop,
            order(
                "S2",
                username="ratna",
                name="Agus Salim",
                phone="+6281333334444",
                city="Kota Bandung",
            ),
        )
        assert live_customers(ika_shop).count() == 2
        ratna = live_customers(ika_shop).get(identities__channel="shopee")
        assert Order.objects.filter(customer=ratna).count() == 2  # the order is still hers
        assert ratna.phone == "+6281211112222"
        # her own next order with her number still joins her
        orders(
            ika_shop,
            order("S3", username="ratna", name="Bu Ratna Siregar", phone="0812-1111-2222"),
        )
        assert live_customers(ika_shop).count() == 2


def test_a_gift_to_a_new_number_does_not_give_the_account_that_number(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("S1", username="ratna", name="Ratna Siregar", phone="+6281211112222"),
        )
        orders(
            ika_shop,
            order("S2", username="ratna", name="Dodi Hutapea", phone="+6281955556666"),
        )
        # later Dodi buys for himself on TikTok with his number: a customer of his own
        orders(
            ika_shop,
            order("T1", channel="tiktok", username="dodi", name="Dodi Hutapea",
                  phone="+6281955556666"),
        )  # fmt: skip
        assert live_customers(ika_shop).count() == 2


def _gifts_from(shop, accounts: int) -> int:
    """Queries to write one batch in which each of ``accounts`` known accounts sends a
    present to a new number (each needs its account's name to be told a gift)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    names = ["Ratna Siregar", "Wati Utomo", "Yoga Lubis", "Intan Purba", "Bayu Sinaga"]
    orders(
        shop,
        *(
            order(f"S{accounts}-{i}", username=f"acct{accounts}-{i}", name=names[i % 5],
                  phone=f"+628121{accounts:02d}{i:05d}")
            for i in range(accounts)
        ),
    )  # fmt: skip
    before = live_customers(shop).count()
    with CaptureQueriesContext(connection) as queries:
        orders(
            shop,
            *(
                order(f"G{accounts}-{i}", username=f"acct{accounts}-{i}", name="Dodi Hutapea",
                      phone=f"+628199{accounts:02d}{i:05d}")
                for i in range(accounts)
            ),
        )  # fmt: skip
    assert live_customers(shop).count() == before  # gifts: no merge, no new customer
    # the reads: the writes go many rows a statement (SQLite, up to its 999 parameters)
    # or by COPY (PostgreSQL, not counted), so their count follows the rows, not accounts
    return sum(not q["sql"].lstrip().upper().startswith("INSERT") for q in queries)


def test_telling_gifts_apart_reads_the_accounts_names_set_wise(ika_shop):
    # one query per account (and per order) was 5 % of a large import's time; more
    # accounts never need more reads
    with shop_scope(ika_shop):
        few, many = _gifts_from(ika_shop, 3), _gifts_from(ika_shop, 40)
        assert many <= few


def test_an_account_named_by_a_later_batch_tells_gifts_from_then_on(ika_shop):
    with shop_scope(ika_shop):
        # the marketplace hid the first buyer: the account has no name yet
        orders(ika_shop, masked_order("S1", username="ratna", hint="812|2222", city=""))
        # her own order, unmasked: nothing to compare, so the number and name are hers
        orders(
            ika_shop,
            order("S2", username="ratna", name="Ratna Siregar", phone="+6281211112222"),
        )
        # a present to Dodi in the next batch: told by the name the last batch gave
        orders(
            ika_shop,
            order("S3", username="ratna", name="Dodi Hutapea", phone="+6281955556666"),
            order("T1", channel="tiktok", username="dodi", name="Dodi Hutapea",
                  phone="+6281955556666"),
        )  # fmt: skip
        assert live_customers(ika_shop).count() == 2
        ratna = live_customers(ika_shop).get(identities__channel="shopee")
        assert ratna.phone == "+6281211112222"


def test_the_same_account_with_a_new_number_and_its_own_name_still_merges(ika_shop):
    # not a gift: the name fits (a typo), so the number is the buyer's
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("S1", username="ratna", name="Ratna Siregar", phone="+6281211112222"),
            order("T1", channel="tiktok", username="ratna_s", name="Ratna Siregor",
                  phone="+6281955556666"),
        )  # fmt: skip
        orders(
            ika_shop,
            order("S2", username="ratna", name="RATNA SIREGOR", phone="+6281955556666"),
        )
        assert live_customers(ika_shop).count() == 1


def test_the_same_name_in_one_city_on_two_different_streets_is_not_suggested(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            at(order("T1", channel="tiktok", username="wati.u2883", name="Wati Utomo",
                     city="Kota Jakarta Barat"), "Jl. Hutapea No. 17"),
            at(order("S1", username="watiutom4673", name="Wati Utomo",
                     phone="+6281377771234", city="Kota Jakarta Barat"), "Jl. Sinaga No. 120"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0
        # without a street on one side nothing contradicts the name: it is asked
        orders(
            ika_shop,
            masked_order("S2", username="hidden", hint="899|0000", city="Kota Padang"),
            order("T2", channel="tiktok", username="dwinur", name="Dwi Nur Rahmawati",
                  city="Kota Padang"),
            at(order("S3", username="nurdwi", name="Dwi Nur Rahmawati", city="Kota Padang"),
               "Jl. Purba No. 3"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 1


def initials(parsed, letters):
    """A masked order whose name still shows its first and last letter (``S***i``)."""
    parsed.buyer.name_hint = letters
    return parsed


def test_the_letters_of_a_masked_name_must_fit_the_buyer_under_the_same_digits(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            # "A***i" under 812…7801 in Bandung is not Dewi Lestari, who has those digits
            initials(masked_order("S1", username="hidden1", hint="812|7801",
                                  city="Kota Bandung"), "a|i"),
            order("T1", channel="tiktok", username="dewi", name="Dewi Lestari",
                  phone="+6281234567801", city="Kota Bandung"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0
        # "D***i" fits her: asked, with the digits as the evidence
        orders(
            ika_shop,
            initials(masked_order("S2", username="hidden2", hint="812|7801",
                                  city="Kota Bandung"), "d|i"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 1
        suggestion = MatchSuggestion.objects.get()
        assert suggestion.evidence[0]["code"] == "same_phone_digits"
        assert {suggestion.customer_a_id, suggestion.customer_b_id} == {
            Order.objects.get(external_id="S2").customer_id,
            Order.objects.get(external_id="T1").customer_id,
        }


def test_a_masked_buyer_between_two_full_numbers_with_its_digits_is_not_guessed(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            masked_order("S1", username="hidden", hint="812|7801", city="Kota Bandung"),
            order("T1", channel="tiktok", username="dewi", name="Dewi Lestari",
                  phone="+6281234567801", city="Kota Bandung"),
            order("T2", channel="tiktok", username="agus", name="Agus Salim",
                  phone="+6281299997801", city="Kota Bandung"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0


def test_the_same_digits_and_a_similar_name_in_other_cities_are_not_suggested(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            order("S1", username="dewi.l", name="Dewi Lestari", city="Kota Bandung"),
            order("T1", channel="tiktok", username="dewi", name="Dewi Lestari",
                  phone="+6281234567801", city="Kota Medan"),
        )  # fmt: skip
        orders(
            ika_shop,
            initials(masked_order("S2", username="dewi.l", hint="812|7801",
                                  city="Kota Bandung"), "d|i"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 0


def test_a_second_number_at_the_same_street_is_asked_only_for_a_name_nobody_else_has(ika_shop):
    with shop_scope(ika_shop):
        orders(
            ika_shop,
            at(order("T1", channel="tiktok", username="siti1", name="Siti Aminah",
                     phone="+6281234560001", city="Kota Bogor"), "Jl. Mawar No. 3"),
            at(order("T2", channel="tiktok", username="siti2", name="Siti Aminah",
                     phone="+6281234560002", city="Kota Bogor"), "Jl. Mawar No. 3"),
        )  # fmt: skip
        assert suggest_matches(shop=ika_shop) == 1  # one person with a second SIM card?
        MatchSuggestion.objects.all().delete()
        orders(
            ika_shop,
            order(
                "T3",
                channel="tiktok",
                username="siti3",
                name="Siti Aminah",
                phone="+6281234560003",
                city="Kota Depok",
            ),
        )
        # a third Siti Aminah in the shop: the name is common, the pair is two neighbours
        assert suggest_matches(shop=ika_shop) == 0
