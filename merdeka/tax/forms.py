"""The forms of the business profile and the tax pages (the services do the rest)."""

from __future__ import annotations

import datetime as dt
import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.books.accounts import MONEY, chart_accounts
from merdeka.orders.lifecycle_forms import RupiahField
from merdeka.tax.models import DocumentKind, LegalForm


class ProfileForm(forms.Form):
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=LegalForm.choices)
    business_name = forms.CharField(
        label=_("Registered business name"), max_length=120, required=False
    )
    nib = forms.CharField(
        label=_("NIB"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    npwp = forms.CharField(
        label=_("NPWP"),
        max_length=30,
        required=False,
        help_text=_("15 digits (12.345.678.9-012.345) or 16 digits (your NIK)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    started_on = forms.DateField(
        label=_("The business started on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registered_year = forms.IntegerField(
        label=_("Year the NPWP was registered"),
        required=False,
        min_value=1950,
        max_value=2100,
        help_text=_("The years you may use the final rate count from this year."),
    )
    address = forms.CharField(
        label=_("Business address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    photo = forms.ImageField(label=_("Photo"))


class PaymentForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    month = forms.DateField(widget=forms.HiddenInput)
    amount = RupiahField(
        label=_("Amount paid"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    paid_from = forms.TypedChoiceField(label=_("Paid from"), coerce=int)
    ntpn = forms.CharField(label=_("NTPN (on the payment receipt)"), max_length=24, required=False)

    def __init__(self, *args, shop, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", secrets.token_hex(8))
        super().__init__(*args, **kwargs)
        self.fields["paid_from"].choices = [
            (a.pk, a.name) for a in chart_accounts(shop=shop, group=MONEY, active_only=True)
        ]

    def clean_month(self) -> dt.date:
        return self.cleaned_data["month"].replace(day=1)
