"""The forms of the seller's actions on an order (merdeka.orders.lifecycle)."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.orders.models import Courier, PaymentMethodReceived

_AMOUNT = re.compile(r"^\d{1,3}(\.\d{3})+$|^\d+$")


class RupiahField(forms.CharField):
    """Whole rupiah as sellers write them: ``125000``, ``125.000`` or ``Rp125.000``."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        text = re.sub(r"\s+", "", text)[:30]
        text = re.sub(r"^rp\.?", "", text, flags=re.IGNORECASE)
        text = re.sub(r",0{1,2}$", "", text)  # "125.000,00"
        if not _AMOUNT.match(text):
            raise forms.ValidationError(_("Write the amount in whole rupiah, such as 125.000."))
        return Decimal(text.replace(".", ""))


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Paid with"), choices=PaymentMethodReceived.choices, widget=forms.RadioSelect
    )
    amount = RupiahField(
        label=_("Amount received"),
        required=False,
        help_text=_("Leave empty for the order's total."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reference = forms.CharField(
        label=_("Reference (optional)"),
        max_length=100,
        required=False,
        help_text=_("The transfer's reference number or the sender's name."),
    )
    proof = forms.FileField(
        label=_("Proof of payment (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ShipForm(forms.Form):
    courier = forms.ChoiceField(label=_("Courier"), choices=Courier.choices)
    tracking = forms.CharField(
        label=_("Tracking number (resi)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the buyer asked, out of stock")}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why did it come back?"),
        max_length=300,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. the buyer was not home, wrong size, broken")}
        ),
    )
    restock = forms.TypedChoiceField(
        label=_("Do the goods go back into stock?"),
        choices=[
            ("yes", _("Yes, they can be sold again")),
            ("no", _("No, they are damaged")),
        ],
        coerce=lambda value: value == "yes",
        initial="yes",
        widget=forms.RadioSelect,
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
