from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merdeka.core.forms import CleanCharField
from merdeka.outreach.models import ChannelKind
from merdeka.preorders.services import MAX_MESSAGE, MAX_NOTE, MAX_TITLE, MAX_UNITS

_WHEN = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
}


class BatchForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"))
    variants = forms.MultipleChoiceField(
        label=_("Variants"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every variant of the product."),
    )
    title = CleanCharField(label=_("Title"), max_length=MAX_TITLE)
    opens_at = forms.DateTimeField(label=_("Opens at"), **_WHEN)
    closes_at = forms.DateTimeField(label=_("Closes at"), **_WHEN)
    ships_on = forms.DateField(
        label=_("Estimated shipping date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    min_quantity = forms.IntegerField(
        label=_("Minimum total quantity"), required=False, min_value=1, max_value=MAX_UNITS,
        help_text=_("The batch runs only if this many are ordered."),
    )  # fmt: skip
    max_quantity = forms.IntegerField(
        label=_("Maximum total quantity"), required=False, min_value=1, max_value=MAX_UNITS,
        help_text=_("What you can make; orders stop there. Empty: no limit."),
    )  # fmt: skip
    price = forms.DecimalField(
        label=_("Pre-order price (Rp)"),
        required=False,
        max_digits=12,
        decimal_places=0,
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(1_000_000_000))],
        help_text=_("Empty: the product's own price."),
    )
    note = CleanCharField(
        label=_("Note for buyers"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, shop, variants, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(shop.time_zone)
        products = {}
        for v in variants:
            products.setdefault(v.product_id, v.product.name)
        self.fields["product"].choices = [("", _("Choose a product"))] + [
            (str(pk), name) for pk, name in products.items()
        ]
        self.fields["variants"].choices = [(str(v.pk), str(v)) for v in variants]
        if not self.is_bound:
            self.fields["opens_at"].initial = timezone.localtime(timezone.now(), self.zone)

    def _in_shop_zone(self, name):
        value = self.cleaned_data.get(name)
        return timezone.make_aware(timezone.make_naive(value), self.zone) if value else value

    def clean_opens_at(self):
        return self._in_shop_zone("opens_at")

    def clean_closes_at(self):
        return self._in_shop_zone("closes_at")


class MessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("Send by"), choices=ChannelKind.choices)
    subject = forms.CharField(label=_("Subject (email)"), max_length=120, required=False)
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("You can use {nama}, {pesanan} (the order numbers) and {total}."),
    )
