from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from merdeka.core.forms import CleanCharField
from merdeka.core.services import ServiceError
from merdeka.groupbuy.tiers import tiers_parse
from merdeka.storefront.forms import BuyerContactMixin, CheckoutForm

CONSENT_TEXT_VERSION = "groupbuy-2026-12"


def _day_choices(max_days: int) -> list[tuple[int, str]]:
    return [(n, ngettext("%(n)s day", "%(n)s days", n) % {"n": n}) for n in range(1, max_days + 1)]


class OfferForm(forms.Form):
    variant = forms.TypedChoiceField(label=_("Product"), coerce=int)
    tiers = forms.CharField(
        label=_("Price tiers"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One a line: total quantity of the group = price a piece, such as 1-9 = 50000, "
            "10-29 = 45000, 30+ = 40000. When the group reaches a tier, everyone pays its price. "
            "Start at more than 1 to set a minimum for the group to go ahead."
        ),
    )
    max_days = forms.IntegerField(
        label=_("Longest group buy (days)"),
        min_value=1,
        max_value=60,
        initial=7,
        help_text=_("Coordinators choose a deadline up to this many days ahead."),
    )
    is_active = forms.BooleanField(label=_("Buyers may open group buys"), required=False)

    def __init__(self, *args, variants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [(v.pk, str(v)) for v in variants]

    def clean_tiers(self):
        try:
            return tiers_parse(self.cleaned_data["tiers"])
        except ServiceError as exc:
            raise forms.ValidationError(str(exc)) from None


class OpenForm(BuyerContactMixin, forms.Form):
    """A buyer opens a group: who they are and how long it runs."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    name = CleanCharField(label=_("Your name"), max_length=100)
    whatsapp = forms.CharField(
        label=_("WhatsApp number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("The seller may contact you here about the group."),
    )
    days = forms.TypedChoiceField(label=_("Open for"), coerce=int)

    def __init__(self, *args, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = _day_choices(max_days)
        self.fields["days"].initial = min(3, max_days)


class SellerOpenForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    offer = forms.TypedChoiceField(label=_("Product"), coerce=int)
    days = forms.TypedChoiceField(label=_("Open for"), coerce=int, choices=_day_choices(60))

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [(o.pk, str(o.variant)) for o in offers]
        self.fields["days"].initial = 3


class JoinForm(CheckoutForm):
    """The storefront checkout with a quantity: the same delivery, payment and consent."""

    quantity = forms.IntegerField(
        label=_("How many?"),
        min_value=1,
        max_value=999,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        order = ["token", "quantity", "name", "whatsapp", "delivery", "province", "city",
                 "district", "village", "street", "payment", "note", "email",
                 "marketing_whatsapp", "marketing_email"]  # fmt: skip
        self.order_fields(order)
