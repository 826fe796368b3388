from __future__ import annotations

from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.privacy.models import AuditEvent


def test_it_adds_a_customer_with_a_normalised_encrypted_phone(ika_client, ika_shop):
    response = ika_client.post(
        reverse("customer_add"),
        {"name": "Wulan Sari", "phone": "0812 1111 2222", "city": "Kota Bogor"},
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        customer = Customer.objects.get()
    assert customer.phone == "+6281211112222"
    page = ika_client.get(response["Location"]).content.decode()
    assert "Wulan Sari" in page and "0812-1111-2222" in page


def test_an_invalid_phone_gets_a_clear_indonesian_message_and_nothing_is_saved(
    ika_client, ika_shop
):
    response = ika_client.post(reverse("customer_add"), {"name": "X", "phone": "12ab"})
    assert response.status_code == 200
    assert "bukan nomor telepon yang valid" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 0


def test_a_masked_marketplace_number_is_refused(ika_client, ika_shop):
    response = ika_client.post(reverse("customer_add"), {"name": "X", "phone": "62812****7890"})
    assert "disamarkan oleh marketplace" in response.content.decode()


def test_it_finds_a_customer_by_phone_in_any_format(ika_client, ika_shop, citra_shop):
    customer_create(shop=ika_shop, name="Ketemu", phone="+6285711223344")
    customer_create(shop=ika_shop, name="Bukan Dia", phone="+6285799998888")
    customer_create(shop=citra_shop, name="Punya Citra", phone="+6285711223344")
    found = ika_client.post(reverse("customer_list"), {"q": "0857-1122-3344"}, follow=True)
    page = found.content.decode()
    assert "Ketemu" in page
    assert "Bukan Dia" not in page and "Punya Citra" not in page
    assert "3344" not in found.redirect_chain[-1][0]  # the number never travels in the URL
    empty = ika_client.post(reverse("customer_list"), {"q": "0811 0000 0000"}, follow=True)
    assert "Tidak ada pelanggan yang cocok" in empty.content.decode()


def test_hostile_names_are_stored_as_text_and_rendered_harmless(ika_client, ika_shop):
    customer = customer_create(shop=ika_shop, name='<script>alert("x")</script>=HYPERLINK("a")')
    page = ika_client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_viewing_a_customer_is_audited_and_shown_on_the_record(ika_client, ika_shop):
    customer = customer_create(shop=ika_shop, name="Diperiksa")
    page = ika_client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "Data pelanggan dilihat" in page
    with shop_scope(ika_shop):
        assert AuditEvent.objects.filter(
            action="customer.viewed", target_id=str(customer.pk)
        ).exists()


def test_the_home_page_counts_real_customers(ika_client, ika_shop):
    assert "Belum ada pelanggan" in ika_client.get(reverse("home")).content.decode()
    for name in ("A", "B", "C"):
        customer_create(shop=ika_shop, name=name)
    page = ika_client.get(reverse("home")).content.decode()
    assert 'data-testid="customers-total">3<' in page
    assert "Belum ada pelanggan" not in page


def test_staff_can_serve_customers(rina_client, ika_shop):
    response = rina_client.post(reverse("customer_add"), {"name": "Dari Rina"})
    assert response.status_code == 302
    assert rina_client.get(reverse("customer_list")).status_code == 200


def test_a_customer_typed_in_by_hand_is_found_by_the_next_import_of_her_number(ika_shop):
    """The seller adds a regular by hand; her Shopee order arrives later with the number
    written another way: it joins her record instead of making a second customer."""
    from django.db import transaction

    from merdeka.customers.models import Identity
    from merdeka.customers.resolution import BuyerInput, Resolver, email_claim, phone_claim

    siti = customer_create(
        shop=ika_shop, name="Siti Aminah", phone="0812-3456-7000", email="Siti@Example.id"
    )
    with shop_scope(ika_shop):
        assert siti.phone == "+6281234567000"  # stored normalised, like the form does
        assert sorted(Identity.objects.filter(customer=siti).values_list("kind", flat=True)) == [
            "email",
            "phone",
        ]
    with transaction.atomic(), shop_scope(ika_shop):
        [by_phone, by_email] = Resolver(shop=ika_shop, source="shopee").resolve_many(
            [
                BuyerInput(claims=[phone_claim("+62 812 3456 7000")], name="siti a"),
                BuyerInput(claims=[email_claim("siti@example.id")], name="Siti"),
            ]
        )
    assert by_phone == by_email == siti.pk
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 1


def test_adding_a_customer_with_another_customers_number_is_refused(ika_shop):
    import pytest

    from merdeka.customers.services import CustomerConflict

    customer_create(shop=ika_shop, name="Siti", phone="+6281234567000")
    with pytest.raises(CustomerConflict):
        customer_create(shop=ika_shop, name="Orang Lain", phone="0812 3456 7000")
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 1


def test_the_form_says_whose_number_it_is_and_saves_nothing(ika_client, ika_shop):
    customer_create(shop=ika_shop, name="Siti", phone="+6281234567000")
    response = ika_client.post(
        reverse("customer_add"), {"name": "Orang Lain", "phone": "0812-3456-7000"}
    )
    assert response.status_code == 200
    assert "Nomor ini milik pelanggan lain" in response.content.decode()
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 1
