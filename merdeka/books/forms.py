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


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _account_choices(accounts):
    return [(a.pk, a.name) for a in accounts]


class DebtForm(forms.Form):
    """A debt: who (the customer, found by her WhatsApp number, or the creditor's name),
    how much, what for, and when it is due."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)
    phone = forms.CharField(
        label=_("Customer's WhatsApp number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "placeholder": "0812 3456 7890"}
        ),
    )
    creditor = forms.CharField(
        label=_("Who you owe"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Toko Bahan Kue Sinar")}),
    )
    amount = RupiahField(
        label=_("Amount"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "250.000"}
        ),
    )
    counter_account = forms.TypedChoiceField(label=_("What it is for"), coerce=int)
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 2 boxes of nastar")}),
    )
    date = forms.DateField(label=_("Date"), widget=_DateInput())
    due_date = forms.DateField(label=_("Due date"), widget=_DateInput())

    def __init__(self, *args, kind: str, counter_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["counter_account"].choices = _account_choices(counter_accounts)
        if kind == "receivable":
            del self.fields["creditor"]
            self.fields["counter_account"].help_text = _(
                "A sale or other income; a loan you gave: the account the money left."
            )
        else:
            del self.fields["phone"]
            del self.fields["customer"]
            self.fields["creditor"].required = True
            self.fields["counter_account"].help_text = _(
                "What you bought on credit; money you borrowed: the account it went into."
            )


class DebtPaymentForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    amount = RupiahField(
        label=_("Amount paid"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "100.000"}
        ),
    )
    account = forms.TypedChoiceField(label=_("Paid into"), coerce=int)
    date = forms.DateField(label=_("Date"), widget=_DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, kind: str, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _account_choices(accounts)
        if kind == "payable":
            self.fields["account"].label = _("Paid from")


class ReminderForm(forms.Form):
    channel = forms.ChoiceField(label=_("Send through"), widget=forms.RadioSelect)
    template = forms.TypedChoiceField(
        label=_("WhatsApp template (outside the 24-hour window)"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "An approved utility template; its {{1}} to {{5}} get: her first name, what is "
            "left to pay, the due date, what it was for, your shop's name."
        ),
    )

    def __init__(self, *args, channels, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels
        if channels:
            self.fields["channel"].initial = channels[0][0]
        if templates:
            self.fields["template"].choices = [("", "—")] + [(t.pk, str(t)) for t in templates]
        else:
            del self.fields["template"]
