from __future__ import annotations

import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merdeka.core.forms import CleanCharField
from merdeka.customers.forms import CustomerForm
from merdeka.outreach.models import ChannelKind
from merdeka.privacy.incidents import CATEGORIES
from merdeka.privacy.models import ConsentChannel, Incident, ProcessingRestriction
from merdeka.privacy.rights import ERASE_WORD

RETENTION_CHOICES = [
    ("", _("Keep until I erase them")),
    ("6", _("6 months")),
    ("12", _("1 year")),
    ("24", _("2 years")),
    ("36", _("3 years")),
    ("60", _("5 years")),
]


class CorrectionForm(CustomerForm):
    """Name, WhatsApp number, email and address; the customer form's own checks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("city", "province"):
            del self.fields[name]
        self.fields["name"].required = False


class RestrictionForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=ProcessingRestriction.Reason.choices,
        error_messages={"required": _("Choose a reason.")},
    )


class WithdrawForm(forms.Form):
    channel = forms.ChoiceField(choices=ConsentChannel.choices)


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type HAPUS to confirm"),
        max_length=20,
        error_messages={"required": _("Type HAPUS to confirm.")},
    )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != ERASE_WORD:
            raise forms.ValidationError(
                _("Type HAPUS in capital letters to confirm. Nothing was erased.")
            )
        return value


class RetentionForm(forms.Form):
    retention_months = forms.TypedChoiceField(
        label=_("Erase customers inactive for"),
        choices=RETENTION_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the periods offered.")},
        help_text=_(
            "Checked every day. A customer is inactive when they did not order, sign up, "
            "appear in an import or change a consent choice in that time."
        ),
    )


# -- the breach register (merdeka.privacy.incidents) ------------------------------------------

_WHEN = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
}


class IncidentForm(forms.Form):
    """An incident as the owner tells it; times are read in the shop's time zone."""

    what_happened = CleanCharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "In plain words, as the customers will read it: e.g. a phone with the shop's "
            "account was stolen, a helper copied the customer list."
        ),
    )
    found_at = forms.DateTimeField(label=_("When you found out"), **_WHEN)
    categories = forms.MultipleChoiceField(
        label=_("Which data"),
        choices=[(key, label) for key, label in CATEGORIES.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    scope = forms.ChoiceField(
        label=_("Whose data"),
        choices=Incident.Scope.choices,
        widget=forms.RadioSelect,
        initial=Incident.Scope.WINDOW,
    )
    chosen = forms.CharField(
        label=_("The customers"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: a WhatsApp number, an email, or # and the customer's number "
            "(as in the address of their page)."
        ),
    )
    window_start = forms.DateTimeField(label=_("From"), required=False, **_WHEN)
    window_end = forms.DateTimeField(label=_("Until"), required=False, **_WHEN)
    window_actor = forms.ChoiceField(label=_("Opened by"), required=False)
    measures = CleanCharField(
        label=_("What the shop does about it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "e.g. the account's password was changed and two-factor sign-in turned on; "
            "what customers can do (beware of messages asking for payment)."
        ),
    )
    contact = CleanCharField(
        label=_("Contact for questions"),
        max_length=200,
        help_text=_("A WhatsApp number or an email where customers and the authority reach you."),
    )

    def __init__(self, *args, shop, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(shop.time_zone)
        self.fields["window_actor"].choices = [("", _("Anyone"))] + [
            (str(m.user_id), m.user.get_username()) for m in members
        ]
        self.members = {str(m.user_id): m.user for m in members}

    def _in_shop_zone(self, name):
        value = self.cleaned_data.get(name)
        return timezone.make_aware(timezone.make_naive(value), self.zone) if value else value

    def clean_found_at(self):
        return self._in_shop_zone("found_at")

    def clean_window_start(self):
        return self._in_shop_zone("window_start")

    def clean_window_end(self):
        return self._in_shop_zone("window_end")

    def clean_window_actor(self):
        return self.members.get(self.cleaned_data.get("window_actor") or "")


class NoticeSendForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[
            (ChannelKind.EMAIL.value, ChannelKind.EMAIL.label),
            (ChannelKind.CLOUDAPI.value, ChannelKind.CLOUDAPI.label),
        ],
    )


class NoticeMarkForm(forms.Form):
    notice = forms.ChoiceField(choices=[("customers", "customers"), ("authority", "authority")])
