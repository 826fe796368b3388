"""The customer workspace: search without plaintext, filters, sorts, RFM, segments,
tags, notes, consent and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from merdeka.core.scoping import shop_scope
from merdeka.customers import search, selectors, services, stats, workspace
from merdeka.customers.models import CustomerNote, CustomerStats, SearchToken, Segment
from merdeka.customers.resolution import Resolver
from merdeka.customers.services import customer_create
from merdeka.imports import records
from merdeka.imports.writer import write_orders
from merdeka.privacy.models import AuditEvent

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def order(external_id, *, name, phone=None, username=None, channel="shopee", days_ago=0,
          total="100000", city="Kota Bandung", province="Jawa Barat", status="completed"):  # fmt: skip
    return records.Order(
        channel=channel,
        external_id=external_id,
        status=status,
        status_raw=status,
        ordered_at=NOW - timedelta(days=days_ago),
        buyer=records.Buyer(username=username or external_id, name=name, phone=phone),
        address=records.Address(recipient=name, city=city, province=province),
        lines=[records.OrderLine(name="Nastar", quantity=1, unit_price=Decimal(total))],
        total=Decimal(total),
    )


def imported(shop, orders, channel="shopee"):
    with shop_scope(shop):
        write_orders(shop=shop, orders=orders, resolver=Resolver(shop=shop, source=channel))
        stats.customer_stats_refresh(shop=shop)
        stats.rfm_refresh(shop=shop)
        stats.name_ranks_refresh(shop=shop)


def found(shop, query):
    with shop_scope(shop):
        rows = selectors.stats_filtered(shop=shop, filters={"q": query})
        return sorted(r.customer.name for r in rows.select_related("customer"))


def listed(shop, **filters):
    with shop_scope(shop):
        rows = selectors.stats_filtered(shop=shop, filters=filters).select_related("customer")
        return [r.customer.name for r in rows]


@pytest.fixture
def buyers(ika_shop):
    customer_create(shop=ika_shop, name="Siti Nurhaliza", phone="+6281234567801")
    customer_create(shop=ika_shop, name="Sitompul Batubara", phone="+6285711112222")
    customer_create(shop=ika_shop, name="Dewi Sartika", phone="+6281299990000")
    customer_create(shop=ika_shop, name="Ni Luh Ayu Réka", phone="")
    return ika_shop


# -- search -----------------------------------------------------------------------------


def test_it_finds_customers_by_the_start_of_any_word_of_their_name(buyers, citra_shop):
    customer_create(shop=citra_shop, name="Siti Citra", phone="+6281234567801")
    assert found(buyers, "sit") == ["Siti Nurhaliza", "Sitompul Batubara"]
    assert found(buyers, "SITI") == ["Siti Nurhaliza"]
    assert found(buyers, "nurha") == ["Siti Nurhaliza"]
    assert found(buyers, "sit batu") == ["Sitompul Batubara"]  # every word must match
    assert found(buyers, "sartika dewi") == ["Dewi Sartika"]
    assert found(buyers, "reka") == ["Ni Luh Ayu Réka"]  # accents do not matter
    assert found(buyers, "ni") == ["Ni Luh Ayu Réka"]  # a short word, whole
    assert found(buyers, "citra") == []  # another shop's customer


def test_a_query_of_several_words_finds_the_same_listed_or_as_a_subquery(buyers, monkeypatch):
    # PostgreSQL lists a small intersection's ids; a big one stays a subquery
    expected = {"sit batu": ["Sitompul Batubara"], "sartika dewi": ["Dewi Sartika"]}
    for limit in (search.MATERIALIZE_MAX, 0):
        monkeypatch.setattr(search, "MATERIALIZE_MAX", limit)
        assert {query: found(buyers, query) for query in expected} == expected


@pytest.mark.parametrize(
    "query",
    ["0812-3456-7801", "+62 812 3456 7801", "6281234567801", "0812-3456", "+62812345",
     "(0812) 34567", "7801", "4567801"],
)  # fmt: skip
def test_it_finds_a_customer_by_phone_in_any_format(buyers, query):
    assert found(buyers, query) == ["Siti Nurhaliza"]


def test_a_number_is_found_by_its_first_four_digits_as_typed_or_its_last_four(buyers):
    assert found(buyers, "0812") == ["Dewi Sartika", "Siti Nurhaliza"]
    assert found(buyers, "0857") == ["Sitompul Batubara"]
    assert found(buyers, "0812 3") == ["Siti Nurhaliza"]
    assert found(buyers, "+62 812") == ["Dewi Sartika", "Siti Nurhaliza"]
    assert found(buyers, "2222") == ["Sitompul Batubara"]  # the last four digits


def test_last_four_digits_that_begin_with_zero_are_found_too(buyers, ika_shop):
    customer_create(shop=ika_shop, name="Rahmat Hidayat", phone="+6281322220123")
    assert found(buyers, "0123") == ["Rahmat Hidayat"]
    assert found(buyers, "0000") == ["Dewi Sartika"]


def test_a_number_keeps_seven_digits_of_prefixes_and_two_suffixes_as_tokens():
    assert search.phone_terms("+6281234567801") == {
        ("p", "812"), ("p", "8123"), ("p", "81234"), ("p", "812345"), ("p", "8123456"),
        ("s", "7801"), ("s", "567801"),
    }  # fmt: skip
    assert search.phone_terms("+62812345") == {
        ("p", "812"), ("p", "8123"), ("p", "81234"), ("p", "812345"), ("s", "2345"), ("s", "812345"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("0812-3456", ["Nur Sebelah", "Siti Nurhaliza", "Tia Ekor"]),  # 7 digits: stored
        ("0812-3456-7", ["Siti Nurhaliza", "Tia Ekor"]),  # 8: checked against the numbers
        ("0812-3456-78", ["Siti Nurhaliza"]),
        ("0812-3456-7801", ["Siti Nurhaliza"]),  # the whole number
        ("0812-3456-7802", []),
        ("67801", ["Siti Nurhaliza"]),  # a five-digit end: the four stored, then checked
        ("567801", ["Siti Nurhaliza"]),  # six: stored
        ("4567801", ["Siti Nurhaliza"]),  # seven, eight: the six stored, then checked
        ("34567801", ["Siti Nurhaliza"]),
        ("97801", ["Nur Sebelah"]),
        ("7801", ["Nur Sebelah", "Siti Nurhaliza"]),
        ("5697801", ["Nur Sebelah"]),
        ("81234567", ["Siti Nurhaliza", "Tia Ekor"]),  # a start or an end of eight digits
    ],
)
def test_pieces_of_a_number_longer_than_the_stored_find_exactly_the_same(
    buyers, ika_shop, query, names
):
    customer_create(shop=ika_shop, name="Nur Sebelah", phone="+62812345697801")
    customer_create(shop=ika_shop, name="Tia Ekor", phone="+6281234567123")
    assert found(buyers, query) == names


def test_a_long_piece_of_a_number_finds_whoever_holds_it_as_an_identity(buyers, ika_shop):
    from merdeka.customers.resolution import customer_merge

    rina = customer_create(shop=ika_shop, name="Rina Wati", phone="+6281311112233")
    sari = customer_create(shop=ika_shop, name="Sari Dewi", phone="+6285755554321")
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=rina, absorbed=sari, reason="reviewed")
        # as an import's strong merge: the survivor gains the tokens of Sari's number
        merges, phones = [(rina.pk, sari.pk)], {sari.pk: {"+6285755554321"}}
        workspace.customers_absorbed(shop=ika_shop, merges=merges, phones=phones)
    for query in ("0857-5555-432", "0857-5555-4321", "55554321", "54321", "0813-1111-22"):
        assert found(buyers, query) == ["Rina Wati"], query


def test_a_phone_start_too_short_finds_nobody_and_says_so(buyers, ika_client):
    assert search.query_terms("081") == []
    assert search.query_terms("08") == []
    response = ika_client.post(reverse("customer_list"), {"q": "081"}, follow=True)
    assert "Ketik paling sedikit 3 huruf nama, awal nomor (0812…)" in response.content.decode()


def test_the_search_box_says_what_it_finds(buyers, ika_client):
    page = ika_client.get(reverse("customer_list")).content.decode()
    assert 'aria-describedby="search-hint"' in page
    assert "awal nomor (0812…) atau 4 angka terakhirnya (7801)" in page


def test_a_short_prefix_is_a_keyed_token_never_the_digits(buyers, ika_shop):
    hasher = search.Hasher(ika_shop.pk)
    with shop_scope(ika_shop):
        tokens = set(SearchToken.objects.filter(shop=ika_shop).values_list("token", flat=True))
    assert hasher(("p", "812")) in tokens
    assert all(abs(token) > 10**9 for token in tokens)  # hashes, not 812 or 8123


def test_the_database_holds_no_plaintext_name_phone_note_or_search(buyers, ika, ika_client):
    with shop_scope(buyers):
        siti = selectors.stats_filtered(shop=buyers, filters={"q": "siti"}).get().customer
    services.customer_note_add(shop=buyers, actor=ika, customer=siti, body="Suka nastar KEJU")
    ika_client.post(
        reverse("segment_list"), {"name": "Para Siti", "q": "Nurhaliza", "province": "Bali"}
    )
    ika_client.post(reverse("customer_list"), {"q": "Nurhaliza"}, follow=True)
    canaries = ["nurhaliza", "sitompul", "sartika", "81234567801", "1234567801", "3456-7801",
                "keju"]  # fmt: skip
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall()).lower()
            for canary in canaries:
                assert canary not in dump, (table, canary)
    with shop_scope(buyers):
        assert SearchToken.objects.filter(shop=buyers).count() > 30
        assert Segment.objects.get().query == "Nurhaliza"


def test_search_words_never_travel_in_plaintext_in_urls(buyers, ika_client):
    response = ika_client.post(reverse("customer_list"), {"q": "Nurhaliza"})
    assert response.status_code == 302
    assert "Nurhaliza" not in response["Location"] and "s=" in response["Location"]
    page = ika_client.get(response["Location"]).content.decode()
    assert "Siti Nurhaliza" in page and "Sitompul" not in page
    # a plain ?q= (a bookmark from elsewhere) is sealed by a redirect at once
    again = ika_client.get(reverse("customer_list"), {"q": "Dewi"})
    assert again.status_code == 302 and "Dewi" not in again["Location"]


def test_imports_index_new_customers_and_a_merge_moves_the_numbers(ika_shop):
    imported(ika_shop, [order("A1", name="Budi Santoso", phone="+6281311112222", username="b1")])
    assert found(ika_shop, "budi") == ["Budi Santoso"]
    assert found(ika_shop, "2222") == ["Budi Santoso"]
    # a TikTok buyer with a second number, then the same person on Shopee with both
    imported(
        ika_shop,
        [order("T1", name="B. Santoso", phone="+6285722223333", channel="tiktok", username="bs")],
        "tiktok",
    )
    assert found(ika_shop, "santoso") == ["B. Santoso", "Budi Santoso"]
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order("A2", name="Budi Santoso", phone="+6285722223333", username="b1")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
    assert found(ika_shop, "0857-2222-3333") == ["Budi Santoso"]  # the survivor
    assert found(ika_shop, "0813-1111-2222") == ["Budi Santoso"]
    with shop_scope(ika_shop):
        assert CustomerStats.objects.filter(shop=ika_shop).count() == 1


def test_a_name_filled_in_by_a_later_import_becomes_searchable(ika_shop):
    with shop_scope(ika_shop):
        write_orders(
            shop=ika_shop,
            orders=[order("W1", name=None, phone="+6281377770000")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
        write_orders(
            shop=ika_shop,
            orders=[order("W2", name="Wulan Dari", phone="+6281377770000")],
            resolver=Resolver(shop=ika_shop, source="shopee"),
        )
    assert found(ika_shop, "wulan") == ["Wulan Dari"]


def test_editing_a_customer_reindexes_them(buyers, ika_client):
    with shop_scope(buyers):
        dewi = selectors.stats_filtered(shop=buyers, filters={"q": "dewi"}).get().customer
    response = ika_client.post(
        reverse("customer_edit", args=[dewi.pk]),
        {"name": "Dewi Kartini", "phone": "0813 4444 5555", "city": "Kota Medan"},
    )
    assert response.status_code == 302
    assert found(buyers, "sartika") == [] and found(buyers, "9999") == []
    assert found(buyers, "kartini") == ["Dewi Kartini"]
    assert found(buyers, "0813-4444-5555") == ["Dewi Kartini"]
    assert listed(buyers, city="Kota Medan") == ["Dewi Kartini"]
    with shop_scope(buyers):
        event = AuditEvent.objects.filter(action="customer.changed").get()
    assert set(event.detail["fields"]) == {"name", "phone", "city"}
    assert "Kartini" not in repr(event.detail)


def test_reindexing_a_shop_gives_the_same_tokens(buyers):
    with shop_scope(buyers):
        before = sorted(SearchToken.objects.values_list("customer_id", "token"))
        search.reindex_shop(shop=buyers)
        assert sorted(SearchToken.objects.values_list("customer_id", "token")) == before


# -- numbers, filters and sorts ----------------------------------------------------------


@pytest.fixture
def history(ika_shop):
    return history_of(ika_shop)


def history_of(ika_shop):
    """Five buyers with a known history (days ago, totals, channels)."""
    imported(
        ika_shop,
        [
            # Ani: often, recently, big -> best customers
            *[order(f"AN{i}", name="Ani Loyal", username="ani", days_ago=i * 10, total="300000")
              for i in range(6)],
            # Bayu: often, but long ago
            *[order(f"BY{i}", name="Bayu Lama", username="bayu", days_ago=300 + i * 10)
              for i in range(5)],
            # Citra: once, yesterday
            order("CT1", name="Citra Baru", username="citra", days_ago=1, total="50000",
                  city="Kota Denpasar", province="Bali"),
            # Dodo: once, long ago; and one cancelled order that does not count
            order("DD1", name="Dodo Tidur", username="dodo", days_ago=400, total="40000"),
            order("DD2", name="Dodo Tidur", username="dodo", days_ago=2, total="999000",
                  status="cancelled"),
            # Eka: twice, middle
            order("EK1", name="Eka Sedang", username="eka", days_ago=60, channel="tiktok",
                  phone="+6281955554444"),
            order("EK2", name="Eka Sedang", username="eka", days_ago=90,
                  phone="+6281955554444"),
        ],
    )  # fmt: skip
    customer_create(shop=ika_shop, name="Fajar Kosong")
    return ika_shop


def test_stats_count_valid_orders_spend_and_channels(history):
    with shop_scope(history):
        rows = {r.customer.name: r for r in CustomerStats.objects.select_related("customer")}
    assert (rows["Ani Loyal"].order_count, rows["Ani Loyal"].total_spend) == (6, 1_800_000)
    assert (rows["Dodo Tidur"].order_count, rows["Dodo Tidur"].total_spend) == (1, 40_000)
    assert rows["Dodo Tidur"].last_order_at == NOW - timedelta(days=400)
    assert stats.channels_of(rows["Eka Sedang"].channels) == ["shopee", "tiktok"]
    assert rows["Fajar Kosong"].order_count == 0 and rows["Fajar Kosong"].last_order_at is None


def test_rfm_puts_known_buyers_in_their_named_groups(history):
    with shop_scope(history):
        groups = {
            r.customer.name: r.rfm_group for r in CustomerStats.objects.select_related("customer")
        }
    assert groups["Ani Loyal"] == "champions"
    assert groups["Citra Baru"] == "new"
    assert groups["Dodo Tidur"] == "hibernating"
    assert groups["Fajar Kosong"] == "none"
    assert groups["Bayu Lama"] in ("cant_lose", "at_risk")


def test_rfm_group_names_are_indonesian(history, ika_client):
    page = ika_client.get(reverse("segment_list")).content.decode()
    for label in ("Pelanggan terbaik", "Pelanggan setia", "Baru", "Hampir hilang", "Tidur"):
        assert label in page


def test_filters_narrow_the_list(history, ika_shop):
    ago = lambda days: (NOW - timedelta(days=days)).date()  # noqa: E731
    assert listed(history, channel="tiktok") == ["Eka Sedang"]
    assert listed(history, province="Bali") == ["Citra Baru"]
    assert listed(history, city="Kota Denpasar") == ["Citra Baru"]
    assert set(listed(history, orders_min=5)) == {"Ani Loyal", "Bayu Lama"}
    assert listed(history, orders_min=2, orders_max=2) == ["Eka Sedang"]
    assert listed(history, spend_min=1_000_000) == ["Ani Loyal"]
    assert set(listed(history, spend_max=45_000)) == {"Dodo Tidur", "Fajar Kosong"}
    assert set(listed(history, last_from=ago(3))) == {"Ani Loyal", "Citra Baru"}
    assert listed(history, first_to=ago(390)) == ["Dodo Tidur"]
    assert listed(history, last_to=ago(300)) == ["Bayu Lama", "Dodo Tidur"]
    assert listed(history, rfm="new") == ["Citra Baru"]


def test_sorts_by_last_order_spend_and_name(history):
    assert listed(history, sort="last") == [
        "Ani Loyal", "Citra Baru", "Eka Sedang", "Bayu Lama", "Dodo Tidur", "Fajar Kosong",
    ]  # fmt: skip
    assert listed(history, sort="spend")[:2] == ["Ani Loyal", "Bayu Lama"]
    assert listed(history, sort="name") == [
        "Ani Loyal", "Bayu Lama", "Citra Baru", "Dodo Tidur", "Eka Sedang", "Fajar Kosong",
    ]  # fmt: skip


def test_tag_and_consent_filters(history, ika, ika_client):
    with shop_scope(history):
        rows = {
            r.customer.name: r.customer for r in CustomerStats.objects.select_related("customer")
        }
    ani, eka = rows["Ani Loyal"], rows["Eka Sedang"]
    ika_client.post(reverse("customer_tag_add", args=[ani.pk]), {"name": "Reseller"})
    ika_client.post(reverse("customer_tag_add", args=[eka.pk]), {"name": "reseller"})  # same tag
    ika_client.post(
        reverse("customer_consent", args=[ani.pk]), {"channel": "whatsapp", "granted": "1"}
    )
    ika_client.post(
        reverse("customer_consent", args=[eka.pk]), {"channel": "whatsapp", "granted": "0"}
    )
    with shop_scope(history):
        tags = selectors.shop_tags(shop=history)
    assert [t.name for t in tags] == ["Reseller"]
    assert set(listed(history, tag=str(tags[0].pk))) == {"Ani Loyal", "Eka Sedang"}
    assert listed(history, consent="whatsapp") == ["Ani Loyal"]
    assert "Ani Loyal" not in listed(history, consent="whatsapp_no")
    assert "Eka Sedang" in listed(history, consent="whatsapp_no")
    page = ika_client.get(reverse("customer_detail", args=[ani.pk])).content.decode()
    assert "Reseller" in page and "Setuju" in page and "Dicatat oleh toko" in page
    with shop_scope(history):
        assert AuditEvent.objects.filter(action="consent.granted").exists()
        assert AuditEvent.objects.filter(action="customer.tagged").count() == 2
    tag_id = tags[0].pk
    ika_client.post(reverse("customer_tag_remove", args=[ani.pk, tag_id]))
    assert listed(history, tag=str(tag_id)) == ["Eka Sedang"]


def test_the_filter_form_refuses_reversed_ranges_in_indonesian(history, ika_client):
    response = ika_client.post(reverse("customer_list"), {"orders_min": "5", "orders_max": "2"})
    assert response.status_code == 200
    assert "Jumlah pesanan terkecil" in response.content.decode()


def test_the_list_page_stays_light(history, ika_client, django_assert_max_num_queries):
    ika_client.get(reverse("customer_list"))
    with django_assert_max_num_queries(12):
        response = ika_client.get(reverse("customer_list"), {"province": "Jawa Barat"})
    page = response.content.decode()
    assert "Ani Loyal" in page and "Citra Baru" not in page


# -- segments ----------------------------------------------------------------------------


def test_a_saved_segment_shows_its_live_count_and_opens_as_the_filtered_list(history, ika_client):
    response = ika_client.post(
        reverse("segment_list"), {"name": "Pembeli sering", "orders_min": "2", "sort": "spend"}
    )
    assert response.status_code == 302
    with shop_scope(history):
        segment = Segment.objects.get()
    assert segment.filters == {"orders_min": "2", "sort": "spend"}
    page = ika_client.get(response["Location"]).content.decode()
    assert "Pembeli sering" in page and "3 pelanggan" in page
    assert page.index("Ani Loyal") < page.index("Bayu Lama") < page.index("Eka Sedang")
    listing = ika_client.get(reverse("segment_list")).content.decode()
    assert 'data-testid="segment-count">3<' in listing
    imported(history, [order("GG1", name="Gita Baru", username="gita"),
                       order("GG2", name="Gita Baru", username="gita", days_ago=3)])  # fmt: skip
    listing = ika_client.get(reverse("segment_list")).content.decode()
    assert 'data-testid="segment-count">4<' in listing
    with shop_scope(history):
        assert [c.pk for c in selectors.segment_customers(shop=history, segment=segment)]
        assert selectors.segment_customers(shop=history, segment=segment).count() == 4


def test_a_segment_name_is_unique_and_a_bad_one_is_refused(history, ika_client):
    ika_client.post(reverse("segment_list"), {"name": "Bali", "province": "Bali"})
    again = ika_client.post(reverse("segment_list"), {"name": "bali", "province": "Bali"})
    assert again.status_code == 400 and "sudah ada" in again.content.decode()
    bad = ika_client.post(reverse("segment_list"), {"name": "X", "orders_min": "-3"})
    assert bad.status_code == 400
    with shop_scope(history):
        assert Segment.objects.count() == 1


# -- notes and export ---------------------------------------------------------------------


def test_notes_are_encrypted_at_rest_and_shown_harmless(buyers, ika_client):
    with shop_scope(buyers):
        siti = selectors.stats_filtered(shop=buyers, filters={"q": "siti"}).get().customer
    ika_client.post(
        reverse("customer_note_add", args=[siti.pk]), {"body": "<script>x()</script> rahasia"}
    )
    with shop_scope(buyers):
        raw = CustomerNote.objects.values_list("body", flat=True).get()
    assert "rahasia" not in str(raw.token)
    page = ika_client.get(reverse("customer_detail", args=[siti.pk])).content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt; rahasia" in page
    empty = ika_client.post(reverse("customer_note_add", args=[siti.pk]), {"body": "  "})
    assert empty.status_code == 302
    with shop_scope(buyers):
        assert CustomerNote.objects.count() == 1


def test_export_is_formula_safe_streamed_and_audited(ika_shop, ika_client):
    customer_create(shop=ika_shop, name='=HYPERLINK("http://x","klik")', phone="+6281200001111")
    customer_create(shop=ika_shop, name="@SUM(A1)", city="+Kota")
    response = ika_client.post(reverse("customer_export"), {"format": "csv"})
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(text)))
    names = {row[1] for row in cells[1:]}
    assert names == {'\'=HYPERLINK("http://x","klik")', "'@SUM(A1)"}
    assert "'+Kota" in {row[4] for row in cells[1:]}
    xlsx = ika_client.post(reverse("customer_export"), {"format": "xlsx", "province": ""})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    # typed cells: the text is kept as it is, as text, never as a formula
    assert not any(c.data_type == "f" for c in cells)
    names = {c.value: c.data_type for c in cells if c.column == 2}
    assert names == {'=HYPERLINK("http://x","klik")': "s", "@SUM(A1)": "s"}
    with shop_scope(ika_shop):
        events = list(AuditEvent.objects.filter(action="export.created").order_by("id"))
    assert [e.detail["format"] for e in events] == ["csv", "xlsx"]
    assert events[0].detail["customers"] == 2


def test_a_segment_export_has_only_its_customers_and_no_search_words_in_the_log(buyers, ika_client):
    ika_client.post(reverse("segment_list"), {"name": "Siti", "q": "siti"})
    with shop_scope(buyers):
        segment = Segment.objects.get()
    response = ika_client.post(reverse("segment_export", args=[segment.pk]), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Siti Nurhaliza" in text and "Sitompul" not in text and "Dewi" not in text
    with shop_scope(buyers):
        event = AuditEvent.objects.get(action="export.created")
    assert event.detail["segment"] == segment.pk and "siti" not in repr(event.detail).lower()


def test_a_customer_added_by_hand_takes_their_place_in_the_name_order(history):
    customer_create(shop=history, name="Budi Tengah")
    customer_create(shop=history, name="Zaenal Akhir")
    customer_create(shop=history, name="Aan Awal")
    assert listed(history, sort="name") == [
        "Aan Awal", "Ani Loyal", "Bayu Lama", "Budi Tengah", "Citra Baru", "Dodo Tidur",
        "Eka Sedang", "Fajar Kosong", "Zaenal Akhir",
    ]  # fmt: skip
    with shop_scope(history):
        stats.name_ranks_refresh(shop=history)
    assert listed(history, sort="name")[:4] == ["Aan Awal", "Ani Loyal", "Bayu Lama", "Budi Tengah"]


def test_the_rfm_and_reindex_commands_rebuild_everything(history):
    from django.core.management import call_command

    with shop_scope(history):
        CustomerStats.objects.update(rfm_group="none", order_count=0)
        SearchToken.objects.all().delete()
    out = io.StringIO()
    call_command("rfm", "--shop", history.slug, "--stats", stdout=out, stderr=io.StringIO())
    assert "Pelanggan terbaik: 1" in out.getvalue(), out.getvalue()
    assert listed(history, rfm="champions") == ["Ani Loyal"]
    call_command("reindex", "--shop", history.slug, stdout=io.StringIO())
    assert found(history, "ani") == ["Ani Loyal"]


def test_an_import_run_leaves_customers_searchable_with_numbers_and_groups(
    ika_shop, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from merdeka.imports import pipeline

    data = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data" / "marketplaces"
    run = pipeline.run_create(shop=ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.import_paths(
            shop=ika_shop, run=run, paths=[data / "Order.all.20250401_20250430.xlsx"]
        )
        pipeline.run_finish(run)
    with shop_scope(ika_shop):
        rows = list(CustomerStats.objects.select_related("customer"))
        assert rows and all(r.order_count >= 1 and r.total_spend > 0 for r in rows)
        assert all(r.rfm_group != "none" for r in rows)  # the task ran after the run
        named = [r.customer for r in rows if r.customer.name]
    assert named
    word = search.normalize_words(named[0].name)[0]
    assert named[0].name in found(ika_shop, word[:4])


def test_rfm_scores_are_percentile_ranks_with_ties_sharing_the_lowest_score(ika_shop):
    import random

    rng = random.Random(7)
    orders = []
    for i in range(60):
        for j in range(rng.choice([1, 1, 1, 2, 2, 3, 5])):
            orders.append(order(f"R{i}-{j}", name=f"Pembeli {i}", username=f"p{i}",
                                days_ago=rng.choice([1, 5, 5, 30, 90, 200, 400]),
                                total=str(rng.choice([20000, 50000, 50000, 150000]))))  # fmt: skip
    imported(ika_shop, orders)
    with shop_scope(ika_shop):
        rows = list(CustomerStats.objects.filter(order_count__gt=0))

    def expected(values, value):
        smaller = sum(1 for v in values if v < value)
        return min(5, 1 + (5 * smaller) // (len(values) - 1))

    for attr, score in (("last_order_at", "rfm_recency"), ("order_count", "rfm_frequency"),
                        ("total_spend", "rfm_monetary")):  # fmt: skip
        values = [getattr(r, attr) for r in rows]
        assert [getattr(r, score) for r in rows] == [expected(values, v) for v in values], attr
    assert {r.rfm_group for r in rows} <= {code for code, _l, _r in stats.RFM_GROUPS}
    assert all(r.rfm_group == stats.rfm_group(r.rfm_recency, r.rfm_frequency) for r in rows)


@pytest.mark.parametrize(
    "filters",
    [{}, {"province": "Jawa Barat"}, {"orders_min": 2, "sort": "spend"}, {"rfm": "new"},
     {"rfm": "champions", "sort": "name"}, {"q": "ani"}, {"city": "Kota Bandung", "sort": "new"},
     {"channel": "tiktok"}, {"consent": "whatsapp_no", "sort": "orders"}],
)  # fmt: skip
def test_walking_the_sort_index_gives_the_same_page(history, filters, monkeypatch, ika_client):
    with shop_scope(history):
        plain = selectors.stats_filtered(shop=history, filters=filters)
        walked = selectors.stats_filtered(shop=history, filters=filters, walk_order=True)
        assert list(plain.values_list("pk", flat=True)) == list(walked.values_list("pk", flat=True))
    from merdeka.customers import views

    monkeypatch.setattr(views, "WALK_FROM", 1)
    page = ika_client.get(reverse("customer_list"), {"province": "Jawa Barat"}).content.decode()
    assert "Ani Loyal" in page and "Citra Baru" not in page
