"""The storefront's settings and shipping rates in ``merdeka export`` and back."""

from __future__ import annotations

from django.db import transaction

from merdeka.core.portable import fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.storefront.models import ShippingRate, StorefrontSettings

SETTINGS_FIELDS = (
    "slug",
    "is_open",
    "tagline",
    "whatsapp",
    "qris_payload",
    "qris_merchant",
    "bank_accounts",
    "ewallets",
    "pickup_enabled",
    "pickup_address",
    "courier_enabled",
    "courier_flat_fee",
    "cod_enabled",
)
RATE_FIELDS = ("province_code", "city_code", "fee", "position")


def storefront_export(*, shop) -> dict:
    with shop_scope(shop):
        found = StorefrontSettings.objects.filter(shop=shop).first()
        return {
            "settings": fields_of(found, SETTINGS_FIELDS) if found else None,
            "rates": [
                fields_of(rate, RATE_FIELDS)
                for rate in ShippingRate.objects.filter(shop=shop).order_by("pk")
            ],
        }


def storefront_restore(*, shop, data: dict) -> None:
    """The export's storefront settings over this shop's (its address where no other
    shop has it here), and the shipping rates to areas this shop has none for."""
    with transaction.atomic(), shop_scope(shop):
        wanted = data.get("settings")
        if wanted:
            values = fields_in(StorefrontSettings, wanted, SETTINGS_FIELDS)
            current = StorefrontSettings.objects.filter(shop=shop).first()
            taken = (
                StorefrontSettings.unscoped.filter(slug=values["slug"])
                .exclude(shop_id=shop.pk)
                .exists()
            )
            if taken or not values.get("slug"):
                values.pop("slug", None)
                if current is None:
                    values["slug"] = f"{shop.slug}-{shop.pk}"
            if current is None:
                StorefrontSettings.objects.create(shop=shop, **values)
            else:
                StorefrontSettings.objects.filter(pk=current.pk).update(**values)
        have = set(ShippingRate.objects.filter(shop=shop).values_list("province_code", "city_code"))
        rows_insert(
            ShippingRate,
            [
                ShippingRate(**fields_in(ShippingRate, r, RATE_FIELDS))
                for r in data.get("rates", [])
                if (r["province_code"], r["city_code"]) not in have
            ],
            shop=shop,
        )
