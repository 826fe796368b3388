from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import is_masked, normalize_phone


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(
        label=_("WhatsApp number"),
        max_length=40,
        required=False,
        help_text=_("For example 0812-3456-7890 or +62 812 3456 7890."),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    city = forms.CharField(label=_("City / regency"), max_length=80, required=False)
    province = forms.CharField(label=_("Province"), max_length=80, required=False)

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        if is_masked(value):
            raise forms.ValidationError(
                _("This number is masked by the marketplace (it contains *). Ask the buyer for it.")
            )
        phone = normalize_phone(value)
        if phone is None:
            raise forms.ValidationError(
                _("This is not a valid phone number. Write it like 0812-3456-7890.")
            )
        return phone


class CustomerSearchForm(forms.Form):
    phone = forms.CharField(label=_("Find by WhatsApp number"), max_length=40, required=False)
