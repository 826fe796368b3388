from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.models import ShippingRate, StorefrontSettings
from merdeka.storefront.services import parse_accounts, parse_rates, storefront_ensure


def settings_post(**overrides):
    data = {
        "slug": "dapur-ika",
        "is_open": "on",
        "tagline": "Kue rumahan dari Bandung",
        "whatsapp": "0813-1111-2222",
        "qris": "",
        "banks": "BCA | 123 456 7890 | Ika Rahmawati",
        "ewallets": "DANA | 0813-1111-2222 | Ika",
        "pickup_enabled": "on",
        "pickup_address": "Jl. Mawar No. 3",
        "courier_enabled": "on",
        "courier_flat_fee": "25000",
        "rates": "Jawa Barat = 12000\nJawa Barat, Kota Bandung = 8000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_owner_sets_up_payments_and_shipping(ika_client, ika_shop, qris_static):
    response = ika_client.post(reverse("storefront_settings"), settings_post(qris=qris_static))
    assert response.status_code == 302
    with shop_scope(ika_shop):
        settings = StorefrontSettings.objects.get()
        rates = sorted(ShippingRate.objects.values_list("province_code", "city_code", "fee"))
    assert settings.qris_payload == qris_static and settings.qris_merchant == "DAPUR KUE BU IKA"
    assert settings.whatsapp == "+6281311112222"
    assert settings.bank_accounts == [
        {"name": "BCA", "number": "1234567890", "holder": "Ika Rahmawati"}
    ]
    assert rates == [("32", "", Decimal(12000)), ("32", "32.73", Decimal(8000))]
    assert AuditEvent.unscoped.filter(shop=ika_shop, action="storefront.updated").exists()
    page = ika_client.get(reverse("storefront_settings")).content.decode()
    assert "Jawa Barat, Kota Bandung = 8000" in page


def test_a_qris_with_a_wrong_checksum_is_refused_and_nothing_changes(
    ika_client, ika_shop, qris_static
):
    storefront_ensure(shop=ika_shop)
    bad = qris_static[:-4] + ("0000" if qris_static[-4:] != "0000" else "1111")
    response = ika_client.post(reverse("storefront_settings"), settings_post(qris=bad))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    with shop_scope(ika_shop):
        assert StorefrontSettings.objects.get().qris_payload == ""
        assert ShippingRate.objects.count() == 0


def test_an_address_taken_by_another_shop_is_refused(ika_client, ika_shop, citra_shop):
    storefront_ensure(shop=citra_shop)
    response = ika_client.post(reverse("storefront_settings"), settings_post(slug="toko-citra"))
    assert response.status_code == 200
    with shop_scope(ika_shop):
        assert StorefrontSettings.objects.get().slug == "dapur-ika"


def test_an_open_shop_needs_a_way_to_pay(ika_client, ika_shop):
    response = ika_client.post(reverse("storefront_settings"), settings_post(banks="", ewallets=""))
    assert response.status_code == 200 and response.context["form"].non_field_errors()


@pytest.mark.usefixtures("english")
def test_account_lines_are_checked_line_by_line():
    with pytest.raises(ServiceError, match="line 2"):
        parse_accounts("BCA | 1234567890 | Ika\nMandiri 123", what="Bank accounts")
    with pytest.raises(ServiceError, match="not an account number"):
        parse_accounts("BCA | =HYPERLINK(1) | Ika", what="Bank accounts")


@pytest.mark.usefixtures("english")
def test_rates_name_real_provinces_and_cities():
    [(province, city, fee)] = parse_rates(
        "DKI Jakarta, Kota Administrasi Jakarta Selatan = Rp15.000"
    )
    assert (province, city, fee) == ("31", "31.74", Decimal(15000))
    with pytest.raises(ServiceError, match="line 1: there is no province called Jawa Tengahh"):
        parse_rates("Jawa Tengahh = 10000")
    with pytest.raises(ServiceError, match="Bogor is not a regency or city"):
        parse_rates("Jawa Barat, Bogor = 10000")  # Kota and Kabupaten Bogor both exist


def qris_picture(payload: str, kind: str = "png"):
    import io

    import segno
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind=kind, scale=6, border=4)
    return SimpleUploadedFile(f"qris.{kind}", buffer.getvalue(), content_type=f"image/{kind}")


def test_the_owner_can_give_a_picture_of_the_qris_instead_of_its_text(
    ika_client, ika_shop, qris_static
):
    data = settings_post(qris_image=qris_picture(qris_static))
    response = ika_client.post(reverse("storefront_settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    with shop_scope(ika_shop):
        assert StorefrontSettings.objects.get().qris_payload == qris_static


def test_a_picture_without_a_qris_is_refused(ika_client, ika_shop):
    response = ika_client.post(
        reverse("storefront_settings"),
        settings_post(qris_image=qris_picture("https://example.com/bukan-qris")),
    )
    assert response.status_code == 200
    assert "bukan QRIS" in str(response.context["form"].non_field_errors())
