from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.core.forms import ID_MAX, CleanCharField
from merdeka.core.phone import is_masked, normalize_phone
from merdeka.customers.models import Tag
from merdeka.customers.stats import RFM_LABELS
from merdeka.imports.formats.regions import PROVINCES
from merdeka.orders.models import Channel
from merdeka.privacy.models import ConsentChannel


class CustomerForm(forms.Form):
    name = CleanCharField(label=_("Name"), max_length=200)
    phone = forms.CharField(
        label=_("WhatsApp number"),
        max_length=40,
        required=False,
        help_text=_("For example 0812-3456-7890 or +62 812 3456 7890."),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address = CleanCharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    city = CleanCharField(label=_("City / regency"), max_length=80, required=False)
    province = CleanCharField(label=_("Province"), max_length=80, required=False)

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


# -- the customer workspace ------------------------------------------------------------

SORTS = [
    ("last", _("Last order, newest first")),
    ("spend", _("Total spend, highest first")),
    ("orders", _("Number of orders, most first")),
    ("name", _("Name, A to Z")),
    ("new", _("Newest customers first")),
]
CONSENT_FILTERS = [
    ("", _("Any consent")),
    ("whatsapp", _("Agreed to WhatsApp messages")),
    ("email", _("Agreed to email")),
    ("whatsapp_no", _("No WhatsApp consent")),
    ("email_no", _("No email consent")),
]
# the fields a saved segment stores (the search words are kept apart, encrypted)
SEGMENT_FIELDS = (
    "channel", "province", "city", "first_from", "first_to", "last_from", "last_to",
    "orders_min", "orders_max", "spend_min", "spend_max", "tag", "consent", "rfm", "sort",
)  # fmt: skip


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerFilterForm(forms.Form):
    """Search and filters of the customer list; also what a saved segment stores."""

    q = forms.CharField(label=_("Name or number"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("Bought on"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    city = CleanCharField(label=_("City / regency"), max_length=80, required=False)
    first_from = forms.DateField(label=_("First order from"), required=False, widget=_date_input())
    first_to = forms.DateField(label=_("First order until"), required=False, widget=_date_input())
    last_from = forms.DateField(label=_("Last order from"), required=False, widget=_date_input())
    last_to = forms.DateField(label=_("Last order until"), required=False, widget=_date_input())
    orders_min = forms.IntegerField(
        label=_("Orders, at least"), min_value=0, max_value=ID_MAX, required=False
    )
    orders_max = forms.IntegerField(
        label=_("Orders, at most"), min_value=0, max_value=ID_MAX, required=False
    )
    spend_min = forms.IntegerField(
        label=_("Spend (Rp), at least"), min_value=0, max_value=ID_MAX, required=False
    )
    spend_max = forms.IntegerField(
        label=_("Spend (Rp), at most"), min_value=0, max_value=ID_MAX, required=False
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    consent = forms.ChoiceField(label=_("Consent"), choices=CONSENT_FILTERS, required=False)
    rfm = forms.ChoiceField(label=_("Group"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Any channel")), *Channel.choices]
        self.fields["province"].choices = [("", _("Any province"))] + [(p, p) for p in PROVINCES]
        self.fields["rfm"].choices = [("", _("Any group")), *RFM_LABELS.items()]
        tags = Tag.objects.filter(shop=shop).values_list("pk", "name")
        self.fields["tag"].choices = [("", _("Any tag"))] + [(str(pk), n) for pk, n in tags]

    def clean_city(self):
        return " ".join(self.cleaned_data["city"].split())

    def clean(self):
        data = super().clean()
        pairs = [
            ("first_from", "first_to", _("The first-order dates are the wrong way round.")),
            ("last_from", "last_to", _("The last-order dates are the wrong way round.")),
            ("orders_min", "orders_max", _("The least number of orders is above the most.")),
            ("spend_min", "spend_max", _("The least spend is above the most.")),
        ]
        for low, high, message in pairs:
            both = data.get(low) is not None and data.get(high) is not None
            if both and data[low] > data[high]:
                self.add_error(high, message)
        return data

    def segment_data(self) -> dict:
        """The filters as a segment stores them: text values, only those set."""
        out = {}
        for name in SEGMENT_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return out

    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(name) not in (None, "")
            for name in ("q", *SEGMENT_FIELDS)
            if name != "sort"
        )


class SegmentForm(forms.Form):
    name = CleanCharField(label=_("Segment name"), max_length=80)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the segment a name."))
        return name


class TagForm(forms.Form):
    name = CleanCharField(label=_("Tag"), max_length=40)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Write the tag."))
        return name


class NoteForm(forms.Form):
    body = CleanCharField(
        label=_("Private note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only your shop's team sees it. It is stored encrypted."),
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write the note."))
        return body


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"))
    granted = forms.TypedChoiceField(
        label=_("Choice"),
        coerce=lambda v: v == "1",
        choices=[("1", _("Agrees to receive offers")), ("0", _("Does not agree"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = ConsentChannel.choices
