from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField


class Customer(ShopOwnedModel, EncryptedModel):
    """A shop's own customer. Name, phone, email and address are encrypted at rest."""

    name = EncryptedTextField(_("name"), null=True, blank=True)
    phone = EncryptedTextField(_("WhatsApp number"), null=True, blank=True)
    email = EncryptedTextField(_("email"), null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    phone_index = BlindIndexField(source="phone", normalizer="merdeka.core.phone.normalize_phone")
    email_index = BlindIndexField(source="email", normalizer="merdeka.core.phone.normalize_email")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"customer #{self.pk}"
