"""An account's own numbers, weighed over all of its orders (customers/accounts.py), on a
real Shopee export imported as a seller imports it: by the command and by upload."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from merdeka.core.scoping import shop_scope
from merdeka.customers.accounts import own_numbers
from merdeka.customers.models import Identity, Merge
from merdeka.customers.resolution import identity_index, phone_claim, username_claim
from merdeka.imports.pipeline import uploads_receive
from merdeka.orders.models import Order

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data" / "marketplaces"
# rina_kue's first order is a gift to Dewi Lestari, who has her own account; her next two
# go to her own number. budi_jaya's first is a gift to Sari Dewi Nasution, whose own
# account comes later in the file. agus.salim orders three times to his own number, and
# agus_salim_2 once to it.
GIFT_FIRST = DATA / "shopee_gift_first.csv"


def run_import(shop, *paths):
    call_command("import", *map(str, paths), "--shop", shop.slug, stdout=io.StringIO())


def customer_of(shop, username):
    index = identity_index(shop.pk, username_claim(username, "shopee"))
    return Identity.objects.get(shop=shop, value_index=index).customer


def phones_of(customer):
    return {i.value for i in Identity.objects.filter(customer=customer, kind="phone")}


def test_an_account_whose_first_order_was_a_gift_is_not_merged_with_the_recipient(ika_shop):
    run_import(ika_shop, GIFT_FIRST)
    with shop_scope(ika_shop):
        rina, dewi = customer_of(ika_shop, "rina_kue"), customer_of(ika_shop, "dewi.lestari")
        assert rina != dewi
        assert phones_of(dewi) == {"+6281299990001"}
        assert phones_of(rina) == {"+6285722220002"}  # her own, on two of her three orders
        assert rina.name in ("Rina Wulandari", "Bu Rina Wulandari")
        assert rina.city == "Kota Bogor"
        # every order of the account is hers, the gift too: she bought it
        assert Order.objects.filter(customer=rina).count() == 3
        assert Order.objects.filter(customer=dewi).count() == 1
        # the gift's recipient had no account yet when it was sent
        budi, sari = customer_of(ika_shop, "budi_jaya"), customer_of(ika_shop, "sari.dewi")
        assert budi != sari
        assert phones_of(budi) == {"+6281900004444"}
        assert phones_of(sari) == {"+6287800003333"}
        assert budi.name in ("Budi Jaya", "BUDI JAYA")
        assert Order.objects.filter(customer=budi).count() == 3


def test_a_buyer_who_ordered_to_their_own_number_is_merged_automatically(ika_shop):
    run_import(ika_shop, GIFT_FIRST)
    with shop_scope(ika_shop):
        agus = customer_of(ika_shop, "agus.salim")
        assert customer_of(ika_shop, "agus_salim_2") == agus
        assert phones_of(agus) == {"+6281355501111"}
        assert Order.objects.filter(customer=agus).count() == 4


def test_a_later_run_takes_the_account_out_once_its_own_orders_come(ika_shop, tmp_path):
    lines = GIFT_FIRST.read_text().splitlines(keepends=True)
    first, later = tmp_path / "Mei-awal.csv", tmp_path / "Mei-akhir.csv"
    first.write_text("".join(lines[:3]))  # Dewi's order and rina_kue's gift to her
    later.write_text("".join([lines[0], *lines[3:]]))
    run_import(ika_shop, first)
    with shop_scope(ika_shop):
        # one gift order is all there is to go on: the number joins them, as it must
        # (most accounts' only order is to their own number)
        assert customer_of(ika_shop, "rina_kue") == customer_of(ika_shop, "dewi.lestari")
    run_import(ika_shop, later)
    with shop_scope(ika_shop):
        rina, dewi = customer_of(ika_shop, "rina_kue"), customer_of(ika_shop, "dewi.lestari")
        assert rina != dewi
        assert phones_of(rina) == {"+6285722220002"}
        assert Order.objects.filter(customer=rina).count() == 3
        assert customer_of(ika_shop, "budi_jaya") != customer_of(ika_shop, "sari.dewi")


def test_an_uploaded_export_is_weighed_when_its_run_closes(
    ika, ika_shop, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile(GIFT_FIRST.name, GIFT_FIRST.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        uploads_receive(shop=ika_shop, actor=ika, files=[upload])
    with shop_scope(ika_shop):
        assert customer_of(ika_shop, "rina_kue") != customer_of(ika_shop, "dewi.lestari")
        assert customer_of(ika_shop, "agus_salim_2") == customer_of(ika_shop, "agus.salim")


def test_an_account_that_joins_a_customer_by_its_own_number_is_recorded_as_a_merge(
    ika_shop, tmp_path
):
    # Rina's own number was known already (a second account): taken out of Dewi's
    # customer, rina_kue joins it by that number, as a merge that can be undone.
    lines = GIFT_FIRST.read_text().splitlines(keepends=True)
    second = tmp_path / "akun-kedua.csv"
    row = (
        "2504306D00ZZZ0X;Completed;2025-04-30 10:00;Bolu Pandan;;BP-1;65,000;1;65,000;"
        "74,000;rina.wulan;Rina Wulandari;6285722220002;Jl. Anggrek No. 12;KOTA BOGOR;"
        "JAWA BARAT\n"
    )
    second.write_text(lines[0] + row)
    run_import(ika_shop, second)
    run_import(ika_shop, GIFT_FIRST)
    with shop_scope(ika_shop):
        rina = customer_of(ika_shop, "rina_kue")
        assert rina == customer_of(ika_shop, "rina.wulan")
        assert rina != customer_of(ika_shop, "dewi.lestari")
        merge = Merge.objects.get(survivor=rina, reason=Merge.Reason.SAME_PHONE)
        assert Order.objects.filter(pk__in=merge.moved_orders).count() == 3
        assert phone_claim("085722220002").value in phones_of(rina)


def test_own_numbers_weighs_the_names_of_an_accounts_orders():
    siti, agus = "lubis siti", "agus salim"
    one, two = "+6281200000001", "+6281300000002"
    # one order: nothing to weigh, its number is the account's
    assert own_numbers([(agus, two)]) == ({two}, set())
    # a gift among orders to the account's own number
    assert own_numbers([(agus, two), (siti, one), (siti, one)]) == ({one}, {two})
    # masked orders (no name) do not vote; a number with no name to weigh is trusted
    assert own_numbers([(None, two), (siti, one), (siti, one)]) == ({one, two}, set())
    # split evenly: neither number says who the account is
    assert own_numbers([(agus, two), (siti, one)]) == (set(), {one, two})
    # the same person under a typo, a title or an initial: still one name
    assert own_numbers([("lubis siti", one), ("bu lubis siti", two), ("lubsi siti", one)]) == (
        {one, two},
        set(),
    )
