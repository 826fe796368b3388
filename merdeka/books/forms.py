"""The forms of the books' pages (merdeka.books.services does the rest)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.books.models import Account, Kind
from merdeka.orders.lifecycle_forms import RupiahField


def _choices(shop, *kinds: str):
    return [
        (a.pk, a.name)
        for a in Account.objects.filter(shop=shop, kind__in=kinds, is_active=True).order_by(
            "code", "pk"
        )
    ]


class ExpenseForm(forms.Form):
    """Three taps from the dashboard: the amount, the category, the account that paid."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    amount = RupiahField(
        label=_("Amount"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "45.000"}
        ),
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    paid_from = forms.TypedChoiceField(label=_("Paid from"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _choices(shop, Kind.EXPENSE)
        self.fields["paid_from"].choices = _choices(shop, Kind.ASSET)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The end of the period is before its start."))
        if (
            data.get("date_from")
            and data.get("date_to")
            and data["date_to"] - data["date_from"] > dt.timedelta(days=3660)
        ):
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return data
