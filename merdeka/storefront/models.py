"""A shop's public storefront: its address (slug), how buyers pay and how it ships.

Money never flows through Merdeka: buyers pay the seller directly, by a dynamic QRIS
made from the seller's own static QRIS, a bank transfer or an e-wallet.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel


class StorefrontSettings(ShopOwnedModel):
    slug = models.SlugField(_("address of the online shop"), max_length=60, unique=True)
    is_open = models.BooleanField(_("the online shop takes orders"), default=True)
    tagline = models.CharField(_("short description"), max_length=160, blank=True)
    whatsapp = models.CharField(_("shop WhatsApp number"), max_length=20, blank=True)
    # payments: the static QRIS payload as pasted (validated, CRC checked), accounts
    qris_payload = models.TextField(blank=True)
    qris_merchant = models.CharField(max_length=60, blank=True)
    bank_accounts = models.JSONField(default=list, blank=True)  # [{bank, number, holder}]
    ewallets = models.JSONField(default=list, blank=True)  # [{provider, number, holder}]
    # delivery
    pickup_enabled = models.BooleanField(_("buyers may pick up"), default=True)
    pickup_address = models.TextField(_("pick-up address"), blank=True)
    courier_enabled = models.BooleanField(_("send by courier"), default=True)
    courier_flat_fee = models.DecimalField(
        _("courier fee where no rate below applies (Rp)"),
        max_digits=12,
        decimal_places=0,
        null=True,
        blank=True,
    )
    cod_enabled = models.BooleanField(_("cash on delivery (COD)"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop"], name="storefront_one_per_shop"),
        ]


class ShippingRate(ShopOwnedModel):
    """The seller's own courier fee to a province, or to one city of it."""

    province_code = models.CharField(max_length=2)
    city_code = models.CharField(max_length=5, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "province_code", "city_code"], name="shippingrate_unique_area"
            )
        ]
