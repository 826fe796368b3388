from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.core.forms import CleanCharField
from merdeka.core.phone import is_masked, normalize_phone
from merdeka.orders.models import Channel

MAX_CARDS = 1000


class BatchForm(forms.Form):
    label = forms.CharField(
        label=_("Name of the batch"),
        max_length=80,
        help_text=_("For example: Shopee parcels, December."),
    )
    channel = forms.ChoiceField(
        label=_("The cards go into the parcels of"), choices=Channel.choices
    )
    count = forms.IntegerField(
        label=_("How many cards"),
        min_value=4,
        max_value=MAX_CARDS,
        initial=40,
        help_text=_("Four cards fit on one A4 sheet."),
        error_messages={
            "min_value": _("Print at least 4 cards (one A4 sheet)."),
            "max_value": _("At most %(limit_value)s cards per batch."),
            "invalid": _("Write a whole number, for example 40."),
        },
    )
    voucher_code = forms.CharField(
        label=_("Voucher code"),
        max_length=40,
        required=False,
        help_text=_("Shown to the buyer after signing up, not printed on the card."),
    )


class SignUpForm(forms.Form):
    name = CleanCharField(
        label=_("Your name"),
        max_length=100,
        error_messages={"required": _("Write your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("WhatsApp number"),
        max_length=30,
        error_messages={"required": _("Write your WhatsApp number.")},
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812-3456-7890"}
        ),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=200,
        required=False,
        error_messages={"invalid": _("This email address is not valid.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent_whatsapp = forms.BooleanField(required=False)
    consent_email = forms.BooleanField(required=False)
    # a trap for bots: hidden from people, filled in by form-filling scripts
    website = forms.CharField(required=False, max_length=200)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Write your name."))
        return name

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if is_masked(value):
            raise forms.ValidationError(_("Write your full number, without *."))
        phone = normalize_phone(value)
        if phone is None:
            raise forms.ValidationError(
                _("This is not a valid WhatsApp number. Write it like 0812-3456-7890.")
            )
        return phone

    def clean(self):
        data = super().clean()
        if data.get("consent_email") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Write your email to get news by email."))
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))
