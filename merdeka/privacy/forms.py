from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.customers.forms import CustomerForm
from merdeka.privacy.models import ConsentChannel, ProcessingRestriction
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
