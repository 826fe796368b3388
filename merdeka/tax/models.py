"""The business behind a shop and its PPh Final UMKM.

* ``BusinessProfile`` - who the shop is in law: its legal form, NIB, NPWP, the day the
  business started and the year its NPWP was registered, its address (one row per
  shop, made on first use as a *perorangan*). The NPWP (an individual's is her NIK)
  and the address are sealed like a customer's personal data.
* ``BusinessDocument`` - a photo of the KTP, NIB or NPWP, re-encoded and sealed like an
  expense's receipt (``merdeka.books.models.ExpenseReceipt``).
* ``TaxPayment`` - a month's PPh Final paid, with the books' entry it posted.
* ``TaxReminder`` - a month's reminder sent to the owners (once).
* ``FinalRateLimit`` and ``Holiday`` - dated rule data, the same for every shop: how many
  tax years each legal form may use the final rate, and the days the tax office is
  closed. Shipped in ``merdeka/tax/data/*.json`` and updated with ``merdeka tax rules``
  and ``merdeka tax holidays`` when the government changes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField


class LegalForm(models.TextChoices):
    PERORANGAN = "perorangan", _("Individual (perorangan)")
    CV = "cv", _("CV (limited partnership)")
    FIRMA = "firma", _("Firma")
    KOPERASI = "koperasi", _("Cooperative (koperasi)")
    PT_PERORANGAN = "pt_perorangan", _("Sole-founder PT (PT perorangan)")
    PT = "pt", _("PT (limited company)")


class BusinessProfile(ShopOwnedModel, EncryptedModel):
    legal_form = models.CharField(
        _("legal form"), max_length=16, choices=LegalForm.choices, default=LegalForm.PERORANGAN
    )
    business_name = models.CharField(_("registered business name"), max_length=120, blank=True)
    nib = models.CharField(_("NIB"), max_length=13, blank=True)
    # digits only; 15 (the old format) or 16 (NIK / the new format)
    npwp = EncryptedTextField(_("NPWP"), null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    started_on = models.DateField(_("the business started on"), null=True, blank=True)
    # the tax year the NPWP was registered: the final rate's years count from it
    registered_year = models.PositiveSmallIntegerField(
        _("year the NPWP was registered"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop"], name="tax_profile_once")]


class DocumentKind(models.TextChoices):
    KTP = "ktp", _("KTP")
    NIB = "nib", _("NIB")
    NPWP = "npwp", _("NPWP")


class BusinessDocument(ShopOwnedModel, EncryptedModel):
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    photo = EncryptedTextField()  # WebP, base64, sealed
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "kind"], name="tax_document_once")]


class TaxPayment(ShopOwnedModel):
    month = models.DateField()  # the first day of the tax month paid for
    amount = models.BigIntegerField()
    paid_on = models.DateField()
    # the NTPN on the receipt of payment (16 characters), optional
    ntpn = models.CharField(max_length=16, blank=True)
    entry = models.OneToOneField(
        "books.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=80, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="tax_payment_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="tax_payment_amount"),
        ]
        indexes = [models.Index(fields=["shop", "month"], name="tax_payment_month")]


class TaxReminder(ShopOwnedModel):
    month = models.DateField()
    sent_to = models.PositiveIntegerField(default=0)  # how many owners got the mail
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "month"], name="tax_reminder_once"),
        ]


class FinalRateLimit(models.Model):
    """From ``effective_from`` on, a legal form may use the final rate for ``years`` tax
    years (None: without a limit), counted from the year its NPWP was registered, or
    from ``counted_from_year`` for a taxpayer registered before it (PP 23/2018 took
    effect in 2018)."""

    legal_form = models.CharField(max_length=16, choices=LegalForm.choices)
    effective_from = models.DateField()
    years = models.PositiveSmallIntegerField(null=True, blank=True)
    counted_from_year = models.PositiveSmallIntegerField(default=2018)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["legal_form", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_form", "effective_from"], name="tax_rate_limit_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_form} from {self.effective_from}: {self.years}"


class Holiday(models.Model):
    """A day the tax office is closed besides Saturdays and Sundays: a national holiday or
    a *cuti bersama*."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)
    is_collective_leave = models.BooleanField(default=False)  # cuti bersama

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
