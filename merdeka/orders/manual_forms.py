"""The form of a manual order: the buyer, the address (the storefront checkout's region
selects), lines from the catalog or typed in, and how it is paid and delivered."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merdeka.core import regions
from merdeka.core.forms import CleanCharField
from merdeka.orders.manual import MAX_LINE_NAME, MAX_NAME, MAX_NOTE, ManualLine
from merdeka.orders.models import DeliveryMethod, PaymentMethod
from merdeka.orders.services import Buyer
from merdeka.storefront.forms import BuyerContactMixin, RegionFields

LINE_ROWS = 5
MAX_ROWS = 50
_MONEY = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1_000_000_000))]


class ManualOrderForm(BuyerContactMixin, forms.Form):
    name_missing = _("Write the buyer's name.")
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    name = CleanCharField(label=_("Buyer's name"), max_length=MAX_NAME)
    whatsapp = forms.CharField(
        label=_("Buyer's WhatsApp number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text=_("Any format: 0812…, +62 812…, 62812…"),
    )
    street = CleanCharField(
        label=_("Street address"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    delivery = forms.ChoiceField(
        label=_("Delivery"), choices=DeliveryMethod.choices, initial=DeliveryMethod.PICKUP
    )
    payment = forms.ChoiceField(
        label=_("Payment"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    shipping_fee = forms.DecimalField(
        label=_("Shipping fee (Rp)"),
        required=False,
        max_digits=12,
        decimal_places=0,
        validators=_MONEY,
    )
    note = CleanCharField(
        label=_("Note"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ordered_at = forms.DateTimeField(
        label=_("Ordered at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("In your shop's time zone."),
    )

    def __init__(self, *args, shop, variants, rows: int = LINE_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.zone = zoneinfo.ZoneInfo(shop.time_zone)
        if not self.is_bound:
            self.fields["ordered_at"].initial = timezone.localtime(timezone.now(), self.zone)
        RegionFields.add_to(self, self.data if self.is_bound else None)
        choices = [("", _("— typed in below —"))] + [
            (str(v.pk), f"{v} · Rp{int(v.price):,}".replace(",", ".")) for v in variants
        ]
        self.prices = {str(v.pk): v.price for v in variants}
        self.rows = max(1, min(rows, MAX_ROWS))
        self.line_rows = []
        for i in range(self.rows):
            self.fields[f"line-{i}-variant"] = forms.ChoiceField(
                label=_("Product"), choices=choices, required=False
            )
            self.fields[f"line-{i}-name"] = CleanCharField(
                label=_("Or what was ordered"), max_length=MAX_LINE_NAME, required=False
            )
            self.fields[f"line-{i}-quantity"] = forms.IntegerField(
                label=_("Quantity"), min_value=1, max_value=999, required=False
            )
            self.fields[f"line-{i}-price"] = forms.DecimalField(
                label=_("Price a unit (Rp)"),
                required=False,
                max_digits=12,
                decimal_places=0,
                validators=_MONEY,
                help_text=_("Empty: the product's price."),
            )
            self.line_rows.append(
                [self[f"line-{i}-{part}"] for part in ("variant", "name", "quantity", "price")]
            )

    def clean_ordered_at(self):
        value = self.cleaned_data["ordered_at"]
        # the browser sends a wall-clock time; it is the shop's, whatever zone is active
        return timezone.make_aware(timezone.make_naive(value), self.zone) if value else value

    def clean(self):
        data = super().clean()
        lines = []
        for i in range(self.rows):
            variant = data.get(f"line-{i}-variant") or ""
            name = (data.get(f"line-{i}-name") or "").strip()
            quantity = data.get(f"line-{i}-quantity")
            price = data.get(f"line-{i}-price")
            if not variant and not name:
                if quantity or price is not None:
                    self.add_error(f"line-{i}-name", _("Choose a product or write what it is."))
                continue
            if not quantity:
                self.add_error(f"line-{i}-quantity", _("Write how many."))
                continue
            if not variant and price is None:
                self.add_error(f"line-{i}-price", _("Write the price of a typed-in product."))
                continue
            lines.append(
                ManualLine(
                    quantity=quantity,
                    variant_id=int(variant) if variant else None,
                    name="" if variant else name,
                    unit_price=price,
                )
            )
        if not lines and not self.errors:
            self.add_error(None, _("Add at least one product to the order."))
        self.lines = lines
        picked = RegionFields.chosen(self.data)
        data["regions"] = picked
        return data

    def buyer(self) -> Buyer:
        data = self.cleaned_data
        picked = data["regions"]
        village = regions.region(picked["village"]) if "village" in picked else None

        def name_of(level):
            found = regions.region(picked[level]) if level in picked else None
            return found.name if found else ""

        return Buyer(
            name=data["name"],
            phone=data["whatsapp"],
            street=data.get("street") or "",
            village=village.name if village else "",
            district=name_of("district"),
            city=name_of("city"),
            province=name_of("province"),
            postal_code=village.postal_code if village else "",
        )
