"""The owner's pages: the business profile and its sealed documents, the PPh Final
year with a payment recorded; the notes to the statements on screen, PDF and XLSX;
staff are kept out; the reminder is emailed once before the due date; the profile
and payments move with the export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from merdeka.books.chart import accounts_by_key
from merdeka.books.portable import books_export, books_restore
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.tax import reminders
from merdeka.tax.models import BusinessDocument, TaxPayment, TaxReminder
from merdeka.tax.profile import profile_get, profile_update
from merdeka.tax.services import tax_payment_record
from merdeka.tax.tests.conftest import sale

pytestmark = pytest.mark.django_db


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), "blue").save(out, "JPEG")
    return SimpleUploadedFile("ktp.jpg", out.getvalue(), content_type="image/jpeg")


def test_the_owner_saves_the_profile_and_a_bad_npwp_writes_nothing(ika_client, ika_shop):
    url = reverse("business_profile")
    assert "perorangan" in ika_client.get(url).content.decode()
    bad = ika_client.post(url, {"legal_form": "pt", "npwp": "123"})
    assert bad.status_code == 200 and "NPWP" in bad.content.decode()
    assert profile_get(shop=ika_shop).pk is None
    ok = ika_client.post(
        url, {"legal_form": "cv", "npwp": "12.345.678.9-012.345", "registered_year": "2024"}
    )
    assert ok.status_code == 302
    saved = profile_get(shop=ika_shop)
    assert saved.legal_form == "cv" and saved.npwp == "123456789012345"


def test_documents_are_sealed_and_only_for_owners(ika_client, ika_shop, rina):
    ika_client.post(reverse("business_document_add"), {"kind": "ktp", "photo": photo()})
    with shop_scope(ika_shop):
        raw = BusinessDocument.objects.values_list("photo", flat=True).get()
    assert not str(raw).startswith("UklGR")  # not the WebP's base64: sealed
    got = ika_client.get(reverse("business_document", args=["ktp"]))
    assert got.status_code == 200 and got.content[:4] == b"RIFF"
    ika_client.force_login(rina)
    assert ika_client.get(reverse("business_document", args=["ktp"])).status_code == 403
    assert ika_client.get(reverse("tax_home")).status_code == 403


def test_the_tax_page_records_a_payment(ika_client, ika, ika_shop):
    profile_update(shop=ika_shop, legal_form="pt", registered_year=2025)
    sale(ika_shop, dt.date(2026, 1, 10), 10_000_000)
    page = ika_client.get(reverse("tax_home") + "?year=2026").content.decode()
    assert "Rp50.000" in page and "411128-420" in page
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    ika_client.post(
        reverse("tax_payment_new"),
        {
            "key": "k1",
            "month": "2026-01-01",
            "amount": "50.000",
            "paid_on": "2026-02-10",
            "paid_from": cash,
            "ntpn": "",
        },
    )
    with shop_scope(ika_shop):
        assert TaxPayment.objects.get().amount == 50_000


def test_the_notes_show_the_profile_and_policies_in_every_format(ika_client, ika_shop):
    profile_update(shop=ika_shop, legal_form="pt", business_name="PT Kue Ika", nib="1234567890123")
    sale(ika_shop, dt.date(2026, 1, 10), 10_000_000)
    query = "?date_from=2026-01-01&date_to=2026-03-31"
    page = ika_client.get(reverse("books_notes") + query).content.decode()
    assert "PT Kue Ika" in page and "SAK EMKM" in page and "1234567890123" in page
    pdf = ika_client.get(reverse("books_notes") + query + "&format=pdf")
    assert pdf.content[:4] == b"%PDF"
    xlsx = ika_client.get(reverse("books_notes") + query + "&format=xlsx")
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"


def test_the_reminder_is_emailed_once_before_the_due_date(ika, ika_shop, smtp):
    ika.email = "ika@example.id"
    ika.save()
    profile_update(shop=ika_shop, legal_form="pt", registered_year=2025)
    sale(ika_shop, dt.date(2026, 1, 10), 10_000_000)
    early = dt.datetime(2026, 2, 5, 3, tzinfo=dt.UTC)
    assert reminders.tax_reminders_due(now=early) == 0
    with shop_scope(ika_shop):
        assert not TaxReminder.objects.exists()
    # due 18 February: the 15th is a Sunday, the 16th cuti bersama, the 17th Imlek
    assert reminders.rules.due_date(dt.date(2026, 1, 1)) == dt.date(2026, 2, 18)
    assert reminders.tax_reminders_due(now=dt.datetime(2026, 2, 12, 3, tzinfo=dt.UTC)) == 0
    near = dt.datetime(2026, 2, 14, 3, tzinfo=dt.UTC)
    reminders.tax_reminders_due(now=near)
    reminders.tax_reminders_due(now=near)
    with shop_scope(ika_shop):
        assert TaxReminder.objects.get().month == dt.date(2026, 1, 1)
    assert len(smtp.envelopes) == 1
    assert b"411128-420" in smtp.envelopes[0].content


def test_the_profile_and_payments_move_with_the_export(ika, ika_shop):
    profile_update(shop=ika_shop, legal_form="cv", npwp="3201234567890001", address="Jl. Mawar 1")
    sale(ika_shop, dt.date(2026, 1, 10), 10_000_000)
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    tax_payment_record(
        shop=ika_shop,
        key="p1",
        month=dt.date(2026, 1, 1),
        amount=50_000,
        paid_on=dt.date(2026, 2, 10),
        paid_from_id=cash,
    )
    with shop_scope(ika_shop):
        books, journal = books_export(shop=ika_shop)
        journal = list(journal)
    fresh = core_services.shop_create(name="Pindahan", owner=ika, slug="pindahan")
    books_restore(shop=fresh, books=books, journal=journal, had_data=False)
    restored = profile_get(shop=fresh)
    assert restored.legal_form == "cv" and restored.npwp == "3201234567890001"
    assert restored.address == "Jl. Mawar 1"
    with shop_scope(fresh):
        payment = TaxPayment.objects.get()
        assert payment.amount == 50_000 and payment.entry.shop_id == fresh.pk
