"""The forms of what stock costs: a purchase, an opening value, a count."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.orders.lifecycle_forms import RupiahField

MONEY = {"inputmode": "numeric", "autocomplete": "off", "placeholder": "12.500"}


class PurchaseForm(forms.Form):
    """Beli stok: what came in, where to, at what price a unit, paid from where."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    variant = forms.TypedChoiceField(label=_("Variant"), coerce=int)
    location = forms.TypedChoiceField(label=_("Into"), coerce=int)
    quantity = forms.IntegerField(
        label=_("Units bought"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    unit_cost = RupiahField(label=_("Price per unit"), widget=forms.TextInput(attrs=MONEY))
    paid_from = forms.TypedChoiceField(label=_("Paid from"), coerce=int)
    note = forms.CharField(label=_("Note (supplier, receipt)"), max_length=200, required=False)

    def __init__(self, *args, variants, locations, paid_from, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [(v.pk, v.label or v.product.name) for v in variants]
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]
        self.fields["paid_from"].choices = paid_from

    def clean_unit_cost(self):
        value = self.cleaned_data["unit_cost"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("Write the price per unit, such as 12.500."))
        return int(value)


class OpeningValueForm(forms.Form):
    """Nilai stok awal: what a unit of the stock already on the shelf cost."""

    variant = forms.TypedChoiceField(label=_("Variant"), coerce=int)
    unit_cost = RupiahField(label=_("Cost per unit"), widget=forms.TextInput(attrs=MONEY))

    def __init__(self, *args, variants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [(v.pk, v.label or v.product.name) for v in variants]

    def clean_unit_cost(self):
        value = self.cleaned_data["unit_cost"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("Write the cost per unit, such as 12.500."))
        return int(value)


def counts_from(data, variant_ids) -> tuple[dict[int, int], list[str]]:
    """The units counted on the stok opname page (``count-<variant id>``; left empty:
    not counted), and what is wrong with them."""
    counts, problems = {}, []
    for pk in variant_ids:
        text = (data.get(f"count-{pk}") or "").strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 7:
            problems.append(pk)
            continue
        counts[pk] = int(text)
    return counts, problems
