"""The forms of the expense pages: the quick expense (the dashboard's and its own
page's), a monthly expense, and the chart's categories and money accounts."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.books.expenses import quick_choices
from merdeka.orders.lifecycle_forms import RupiahField


def _amount_widget(**attrs):
    return forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "45.000", **attrs}
    )


class QuickExpenseForm(forms.Form):
    """Three taps: the amount (focused), a category chip, save. The account she paid
    from starts as the one of her last expense."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    amount = RupiahField(label=_("Amount"), widget=_amount_widget())
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, widget=forms.RadioSelect)
    paid_from = forms.TypedChoiceField(label=_("Paid from"), coerce=int, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    receipt = forms.FileField(
        label=_("Photo of the receipt"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
    )

    def __init__(self, *args, shop, user, **kwargs):
        choices = quick_choices(shop=shop, user=user)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", secrets.token_hex(8))
        kwargs["initial"].setdefault("paid_from", choices.paid_from_id)
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(a.pk, a.name) for a in choices.categories]
        self.fields["paid_from"].choices = [(a.pk, a.name) for a in choices.accounts]


class RecurringExpenseForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("Stall rent")}),
    )
    amount = RupiahField(label=_("Amount"), widget=_amount_widget(placeholder="1.500.000"))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    paid_from = forms.TypedChoiceField(label=_("Paid from"), coerce=int)
    day_of_month = forms.IntegerField(
        label=_("Day of the month"),
        min_value=1,
        max_value=31,
        help_text=_("29, 30 or 31: the month's last day when it is shorter."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, shop, user, **kwargs):
        choices = quick_choices(shop=shop, user=user)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("paid_from", choices.paid_from_id)
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(a.pk, a.name) for a in choices.categories]
        self.fields["paid_from"].choices = [(a.pk, a.name) for a in choices.accounts]


class AccountAddForm(forms.Form):
    group = forms.ChoiceField(choices=[("expense", "expense"), ("money", "money")])
    name = forms.CharField(label=_("Name"), max_length=80)


class AccountChangeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    is_active = forms.BooleanField(label=_("In use"), required=False)


class StaffReportsForm(forms.Form):
    staff_see_reports = forms.BooleanField(
        label=_("Staff may see the profit, the expenses and the reports"), required=False
    )
