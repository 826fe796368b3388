"""The record of processing: generated from the models, the data and the settings."""

from __future__ import annotations

import re

from django.db import transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.resolution import Resolver, phone_claim
from merdeka.customers.services import customer_create
from merdeka.privacy.models import AuditEvent, PrivacySettings
from merdeka.privacy.record import ACTIVITIES, processing_record


def test_the_record_lists_what_is_held_from_the_models(ika_shop, rina):
    with shop_scope(ika_shop), transaction.atomic():
        Resolver(shop=ika_shop, source="shopee").resolve([phone_claim("081234567890")], name="A")
    customer_create(shop=ika_shop, name="B")
    record = processing_record(shop=ika_shop)
    by_key = {entry["activity"].key: entry for entry in record["activities"]}
    assert set(by_key) == {a.key for a in ACTIVITIES}
    customers = {t["table"]: t for t in by_key["customers"]["held"]}["customers_customer"]
    assert customers["rows"] == 2 and customers["encrypted"]
    protection = {f["field"]: f["protection"] for f in customers["fields"]}
    assert protection["name"] == protection["phone"] == protection["address"] == "encrypted"
    assert protection["city"] == "encrypted" and protection["province"] == "plain"
    assert protection["phone_index"] == protection["email_index"] == "index"
    assert protection["city_index"] == "index"
    assert customers["other_fields"] == 1  # created_at: counted, not listed
    orders_fields = {t["table"]: t for t in by_key["orders"]["held"]}["orders_order"]
    listed = {f["field"]: f["protection"] for f in orders_fields["fields"]}
    assert listed["recipient_phone"] == listed["street"] == "encrypted"
    assert listed["city"] == "encrypted" and listed["province"] == "plain"
    assert listed["city_index"] == "index" and "total" not in listed
    assert orders_fields["other_fields"] >= 5  # channel, status, dates, total...
    orders = {t["table"] for t in by_key["orders"]["held"]}
    assert orders == {"orders_order", "orders_orderline", "books_debt"}
    assert "cards_signup" in {t["table"] for t in by_key["marketing"]["held"]}
    assert record["sources"] == [{"source": "shopee", "customers": 1}]
    assert record["entered_by_hand"] == 1
    assert sorted(m.user.username for m in record["members"]) == ["ika", "rina"]


def test_the_owner_sets_the_retention_period_on_the_record_page(ika_client, ika_shop):
    url = reverse("processing_record")
    page = ika_client.get(url).content.decode()
    assert "Catatan pemrosesan" in page and "Tanpa masa simpan" in page
    assert "Dapur Kue Bu Ika" in page and "rina" not in page
    response = ika_client.post(url, {"retention_months": "24"})
    assert response.status_code == 302
    with shop_scope(ika_shop):
        assert PrivacySettings.objects.get().retention_months == 24
    event = AuditEvent.unscoped.get(shop=ika_shop, action="privacy.retention_changed")
    assert event.detail == {"months": 24, "before": None}
    page = ika_client.get(url).content.decode()
    assert re.search(r"tidak aktif selama 24 bulan dihapus otomatis", page)
    ika_client.post(url, {"retention_months": ""})
    with shop_scope(ika_shop):
        assert PrivacySettings.objects.get().retention_months is None


def test_a_retention_period_that_is_not_offered_is_refused(ika_client, ika_shop):
    response = ika_client.post(reverse("processing_record"), {"retention_months": "1"})
    assert response.status_code == 400
    assert "Pilih salah satu masa yang tersedia." in response.content.decode()
    with shop_scope(ika_shop):
        assert not PrivacySettings.objects.exists()


def test_another_shops_record_is_its_own(citra_client, ika_shop):
    customer_create(shop=ika_shop, name="Kanari")
    page = citra_client.get(reverse("processing_record")).content.decode()
    assert "Toko Citra" in page and "Dapur Kue Bu Ika" not in page
    assert "1 pelanggan" not in page  # Ika's customer is not counted here
