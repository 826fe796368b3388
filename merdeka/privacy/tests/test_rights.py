"""Customers' rights under UU PDP: access, correction, restriction, withdrawal, erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.urls import reverse

from merdeka.cards.models import SignUp
from merdeka.cards.services import batch_create, signup_submit
from merdeka.core.scoping import shop_scope
from merdeka.core.tests.sqlite_files import sqlite_file_bytes
from merdeka.customers.models import Customer, Identity, MatchKey, Merge
from merdeka.customers.resolution import Resolver, phone_claim, username_claim
from merdeka.customers.resolution import customer_merge as _merge
from merdeka.customers.selectors import customer_list
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy import consent, rights
from merdeka.privacy.models import AuditEvent, Consent, ConsentEvent, ProcessingRestriction
from merdeka.privacy.selectors import customer_data

NAME = "Kanari Sulistyowati"
PHONE = "+6281299887766"


def make_buyer(
    shop, *, name=NAME, phone=PHONE, username="kanari_shop", external_id="SP-1",
    address="Jl. Kanari No. 7",
):  # fmt: skip
    """A buyer as an import leaves them: identities, match keys, an order with a line."""
    with shop_scope(shop), transaction.atomic():
        resolver = Resolver(shop=shop, source="shopee")
        customer = resolver.resolve(
            [phone_claim(phone), username_claim(username, "shopee")],
            name=name,
            city="Kota Bandung",
            address=address,
        )
        order = Order.objects.create(
            shop=shop,
            channel="shopee",
            external_id=external_id,
            customer=customer,
            ordered_at=datetime(2025, 4, 2, 3, 0, tzinfo=UTC),
            total=Decimal("45000"),
            buyer_username=username,
            recipient_name=name,
            recipient_phone=phone,
            street=address,
            city="Kota Bandung",
        )
        OrderLine.objects.create(
            shop=shop,
            order=order,
            name="Nastar keju",
            quantity=2,
            unit_price=Decimal("22500"),
            total=Decimal("45000"),
        )
    return customer, order


@pytest.fixture
def buyer(ika_shop):
    return make_buyer(ika_shop)


# -- access and portability ------------------------------------------------------------------


def test_the_owner_downloads_everything_about_a_customer_as_json(ika_client, ika_shop, ika, buyer):
    customer, _order = buyer
    consent.consent_record(
        shop=ika_shop,
        customer=customer,
        channel="whatsapp",
        granted=True,
        source="staff",
        actor=ika,
    )
    batch = batch_create(shop=ika_shop, actor=ika, label="Kartu", channel="shopee", count=4)
    signup_submit(batch=batch, name="Kanari", phone=PHONE)
    response = ika_client.get(reverse("customer_data_export", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="data-pelanggan-{customer.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["customer"]["name"] == NAME and data["customer"]["phone"] == PHONE
    assert data["customer"]["address"] == "Jl. Kanari No. 7"
    assert {(i["kind"], i["value"]) for i in data["identities"]} == {
        ("phone", PHONE),
        ("username", "kanari_shop"),
    }
    [exported_order] = data["orders"]
    assert exported_order["recipient_name"] == NAME and exported_order["total"] == "45000.00"
    assert exported_order["lines"][0]["name"] == "Nastar keju"
    assert data["consent"]["current"]["whatsapp"]["granted"] is True
    assert [e["source"] for e in data["consent"]["ledger"]] == ["staff"]
    assert data["other"]["cards.signup"][0]["batch_id"] == batch.pk
    assert "customer.viewed" not in [e["action"] for e in data["processing_trail"]]
    assert "consent.granted" in [e["action"] for e in data["processing_trail"]]
    assert "phone_index" not in json.dumps(data)  # no blind index in the export
    event = AuditEvent.unscoped.get(shop=ika_shop, action="customer.data_exported")
    assert event.target_id == str(customer.pk) and event.actor == ika
    assert NAME not in json.dumps(event.detail)


def test_the_export_includes_customers_merged_into_them(ika_shop, buyer):
    customer, _order = buyer
    other, _ = make_buyer(ika_shop, name="Kanari S.", phone="+6281311112222", username="k2",
                          external_id="SP-2")  # fmt: skip
    customer_merge(shop=ika_shop, survivor=customer, absorbed=other, reason="reviewed")
    data = customer_data(shop=ika_shop, customer=customer)
    assert [m["name"] for m in data["merged_records"]] == ["Kanari S."]
    assert len(data["orders"]) == 2
    assert "+6281311112222" in {i["value"] for i in data["identities"]}


# -- correction ----------------------------------------------------------------------------


def test_a_correction_changes_the_data_and_its_blind_indexes_and_audits_only_field_names(
    ika_client, ika_shop, buyer
):
    customer, _ = buyer
    response = ika_client.post(
        reverse("customer_correct", args=[customer.pk]),
        {"name": "Kanari Sulistyo", "phone": "0813-5555-0000", "email": "", "address": ""},
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        customer.refresh_from_db()
    assert customer.name == "Kanari Sulistyo" and customer.phone == "+6281355550000"
    assert customer.address is None
    assert list(customer_list(shop=ika_shop, phone="081355550000")) == [customer]
    assert not customer_list(shop=ika_shop, phone=PHONE).exists()
    with shop_scope(ika_shop):
        phones = [i.value for i in Identity.objects.filter(customer=customer, kind="phone")]
    assert phones == ["+6281355550000"]
    event = AuditEvent.unscoped.get(shop=ika_shop, action="customer.corrected")
    assert event.detail == {"fields": ["name", "phone", "address"]}
    # a later import with the new number finds the same customer
    with shop_scope(ika_shop), transaction.atomic():
        again = Resolver(shop=ika_shop, source="tiktok").resolve([phone_claim("081355550000")])
    assert again.pk == customer.pk


def test_a_correction_to_another_customers_number_is_refused(ika_client, ika_shop, buyer):
    customer, _ = buyer
    _other, _ = make_buyer(ika_shop, name="Lain", phone="+6281311112222", username="lain",
                          external_id="SP-2")  # fmt: skip
    response = ika_client.post(
        reverse("customer_correct", args=[customer.pk]),
        {"name": NAME, "phone": "081311112222", "email": "", "address": "Jl. Kanari No. 7"},
    )
    assert response.status_code == 400
    assert "Nomor ini milik pelanggan lain" in response.content.decode()
    with shop_scope(ika_shop):
        customer.refresh_from_db()
    assert customer.phone == PHONE
    assert not AuditEvent.unscoped.filter(action="customer.corrected").exists()


def test_a_bad_number_in_a_correction_is_explained(ika_client, ika_shop, buyer):
    customer, _ = buyer
    response = ika_client.post(
        reverse("customer_correct", args=[customer.pk]), {"name": NAME, "phone": "123"}
    )
    assert response.status_code == 400
    assert "Ini bukan nomor telepon yang valid" in response.content.decode()


# -- restriction and withdrawal ----------------------------------------------------------------


def test_a_restriction_stops_every_message_and_leaves_marketing_audiences(
    ika_client, ika_shop, ika, buyer
):
    customer, _ = buyer
    consent.consent_record(
        shop=ika_shop, customer=customer, channel="whatsapp", granted=True, source="staff"
    )
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    response = ika_client.post(
        reverse("customer_restrict", args=[customer.pk]), {"reason": "request"}
    )
    assert response.status_code == 302
    for purpose in consent.PURPOSES:
        for channel in ("whatsapp", "email"):
            assert not consent.consent_allows(
                shop=ika_shop, customer=customer, channel=channel, purpose=purpose
            )
    with shop_scope(ika_shop):
        audience = Customer.objects.filter(
            pk__in=consent.consented_customer_ids(shop=ika_shop, channel="whatsapp")
        )
        assert not audience.exists()
    page = ika_client.get(reverse("customer_rights", args=[customer.pk])).content.decode()
    assert 'data-testid="restricted"' in page
    ika_client.post(reverse("customer_restriction_lift", args=[customer.pk]))
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    actions = list(
        AuditEvent.unscoped.filter(shop=ika_shop, target_id=str(customer.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["customer.restricted", "customer.restriction_lifted"]
    with shop_scope(ika_shop):
        [row] = ProcessingRestriction.objects.all()
    assert row.lifted_at is not None and row.created_by == ika and row.lifted_by == ika


def test_a_restriction_of_someone_merged_in_counts_for_the_survivor(ika_shop, ika, buyer):
    customer, _ = buyer
    other, _ = make_buyer(ika_shop, name="Lain", phone="+6281311112222", username="lain",
                          external_id="SP-2")  # fmt: skip
    rights.customer_restrict(shop=ika_shop, customer_id=other.pk, actor=ika, reason="objection")
    customer_merge(shop=ika_shop, survivor=customer, absorbed=other, reason="reviewed")
    assert not consent.consent_allows(
        shop=ika_shop, customer=customer, channel="whatsapp", purpose=consent.SERVICE
    )


def test_an_unsaved_or_foreign_customer_is_never_allowed(ika_shop, citra_shop, buyer):
    customer, _ = buyer
    assert not consent.consent_allows(
        shop=ika_shop, customer=Customer(shop=ika_shop), channel="whatsapp", purpose="service"
    )
    assert not consent.consent_allows(
        shop=citra_shop, customer=customer, channel="whatsapp", purpose="service"
    )


def test_a_restriction_needs_a_known_reason(ika_client, ika_shop, buyer):
    customer, _ = buyer
    response = ika_client.post(reverse("customer_restrict", args=[customer.pk]), {"reason": "x"})
    assert response.status_code == 400
    with shop_scope(ika_shop):
        assert not ProcessingRestriction.objects.exists()


def test_the_owner_withdraws_consent_for_one_channel(ika_client, ika_shop, ika, buyer):
    customer, _ = buyer
    for channel in ("whatsapp", "email"):
        consent.consent_record(
            shop=ika_shop, customer=customer, channel=channel, granted=True, source="signup"
        )
    ika_client.post(
        reverse("customer_consent_withdraw", args=[customer.pk]), {"channel": "whatsapp"}
    )
    assert not consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="email")
    [latest, *_] = consent.consent_history(shop=ika_shop, customer=customer)
    assert (latest.granted, latest.source, latest.actor) == (False, "rights", ika)


# -- erasure --------------------------------------------------------------------------------


def _all_rows_text() -> str:
    """Every value of every table, as text (what a database dump would hold)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def _indexes_of(shop, customer) -> list[str]:
    with shop_scope(shop):
        values = [customer.phone_index]
        values += list(
            Identity.objects.filter(customer=customer).values_list("value_index", flat=True)
        )
        values += list(MatchKey.objects.filter(customer=customer).values_list("key", flat=True))
    return [v for v in values if v]


def test_erasure_needs_the_word_hapus(ika_client, ika_shop, buyer):
    customer, _ = buyer
    url = reverse("customer_erase", args=[customer.pk])
    assert "HAPUS" in ika_client.get(url).content.decode()
    response = ika_client.post(url, {"confirm": "hapus"})
    assert response.status_code == 400
    assert "Ketik HAPUS" in response.content.decode()
    with shop_scope(ika_shop):
        assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_no_trace_of_the_person_but_keeps_the_orders(ika_shop, ika, client):
    customer, order = make_buyer(ika_shop)
    absorbed, absorbed_order = make_buyer(
        ika_shop,
        name="Kanari Kedua",
        phone="+6281377776666",
        username="kanari2",
        external_id="SP-2",
    )
    customer_merge(shop=ika_shop, survivor=customer, absorbed=absorbed, reason="reviewed")
    consent.consent_record(
        shop=ika_shop, customer=customer, channel="whatsapp", granted=True, source="signup"
    )
    batch = batch_create(shop=ika_shop, actor=ika, label="Kartu", channel="shopee", count=4)
    signup_submit(batch=batch, name=NAME, phone=PHONE, consent_whatsapp=True)
    rights.customer_restrict(shop=ika_shop, customer_id=customer.pk, actor=ika, reason="request")
    indexes = _indexes_of(ika_shop, customer)
    assert len(indexes) >= 5
    other, _ = make_buyer(ika_shop, name="Orang Lain", phone="+6285711110000", username="lain",
                          external_id="SP-3", address="Gang Mawar 3")  # fmt: skip

    client.force_login(ika)
    response = client.post(reverse("customer_erase", args=[customer.pk]), {"confirm": "HAPUS"})
    assert response.status_code == 302

    with shop_scope(ika_shop):
        assert list(Customer.objects.values_list("pk", flat=True)) == [other.pk]
        assert not Identity.objects.exclude(customer=other).exists()
        assert not MatchKey.objects.exclude(customer=other).exists()
        assert not Merge.objects.exists()
        assert not Consent.objects.exists() and not ConsentEvent.objects.exists()
        assert not ProcessingRestriction.objects.exists()
        kept = Order.objects.filter(pk__in=[order.pk, absorbed_order.pk]).order_by("pk")
        assert [o.total for o in kept] == [Decimal("45000.00")] * 2
        for row in kept:
            assert row.customer_id is None
            assert (row.recipient_name, row.recipient_phone, row.street, row.buyer_username) == (
                None, None, None, None,
            )  # fmt: skip
            # the city is sealed with the address now, and goes with it
            assert (row.city, row.city_index) == (None, None) and row.lines.count() == 1
        [signup] = SignUp.objects.all()
        assert signup.customer_id is None and signup.batch == batch
    # a lookup by the phone finds nothing
    assert not customer_list(shop=ika_shop, phone=PHONE).exists()
    assert not customer_list(shop=ika_shop, phone="+6281377776666").exists()

    event = AuditEvent.unscoped.get(shop=ika_shop, action="customer.erased")
    assert event.target_id == str(customer.pk) and event.actor == ika
    assert event.detail["customers"] == 2 and event.detail["consent_events"] == 2
    assert event.detail["kept"] == {"orders.order": 2, "cards.signup": 1}

    dump = _all_rows_text()
    for secret in (NAME, "Kanari Kedua", PHONE, PHONE[1:], "kanari_shop", "Jl. Kanari", *indexes):
        assert secret not in dump, secret
    assert "Orang Lain" not in dump  # plaintext never is in the database at all
    if connection.vendor == "sqlite":
        database = Path(django_settings.DATABASES["default"]["TEST"]["NAME"])
        raw = sqlite_file_bytes(database, ("", "-wal"))
        for secret in (NAME, PHONE, *indexes):
            assert secret.encode() not in raw, secret
        # the check can fail: another customer's blind index is still in the file
        assert _indexes_of(ika_shop, other)[0].encode() in raw


def test_erasure_is_owner_only(rina_client, ika_shop, buyer):
    customer, _ = buyer
    url = reverse("customer_erase", args=[customer.pk])
    assert rina_client.post(url, {"confirm": "HAPUS"}).status_code == 403
    for name in ("customer_rights", "customer_data_export", "customer_correct"):
        assert rina_client.get(reverse(name, args=[customer.pk])).status_code == 403
    assert rina_client.get(reverse("processing_record")).status_code == 403
    with shop_scope(ika_shop):
        assert Customer.objects.filter(pk=customer.pk).exists()


def test_another_shops_owner_cannot_erase(citra_client, ika_shop, buyer):
    customer, _ = buyer
    url = reverse("customer_erase", args=[customer.pk])
    assert citra_client.post(url, {"confirm": "HAPUS"}).status_code == 404
    with shop_scope(ika_shop):
        assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_customer_page_include_links_the_rights(ika_shop, ika, rina, buyer, rf):
    from django.template.loader import render_to_string

    customer, _ = buyer
    html = render_to_string(
        "privacy/_customer_rights.html",
        {"customer": customer, "is_owner": True, "current_shop": ika_shop},
    )
    for name in ("customer_data_export", "customer_correct", "customer_rights", "customer_erase"):
        assert reverse(name, args=[customer.pk]) in html
    staff = render_to_string(
        "privacy/_customer_rights.html",
        {"customer": customer, "is_owner": False, "current_shop": ika_shop},
    )
    assert reverse("customer_erase", args=[customer.pk]) not in staff


def customer_merge(*, shop, **kwargs):
    with shop_scope(shop):
        return _merge(shop=shop, **kwargs)
