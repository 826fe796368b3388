from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from merdeka.core.models import TIME_ZONES, Role
from merdeka.core.text import clean_text

# The largest id (or count) a database column holds (signed 64-bit): a form field that
# looks a row up by a number refuses more, as it refuses a word, instead of passing
# the database a number it cannot take.
ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row's id sent back by a page (a hidden field, a button's value): a whole
    number from 1 to ``ID_MAX``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class CleanCharField(forms.CharField):
    """A ``CharField`` without bidirectional control characters (``clean_text``),
    removed before the length is checked: for names, notes, products' names and
    descriptions."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. Check both and try again."),
        "inactive": _("This account is not active."),
    }


class ShopSettingsForm(forms.Form):
    name = CleanCharField(label=_("Shop name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES)
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in for everyone in this shop"),
        required=False,
        help_text=_(
            "Everyone then confirms each sign-in with a code from an app on their phone. "
            "Whoever has not set it up is asked to right after their password."
        ),
    )


def _code_field(label):
    return forms.CharField(
        label=label,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class SecondStepForm(forms.Form):
    code = _code_field(_("Code"))
    code.help_text = _(
        "The 6 digits your authenticator app shows for Merdeka, or one of your recovery codes."
    )


class TwoFactorConfirmForm(forms.Form):
    code = _code_field(_("The 6-digit code the app shows now"))
    code.widget.attrs["inputmode"] = "numeric"


class PasswordAndCodeForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = _code_field(_("Code from the app, or a recovery code"))


class StaffAddForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[
            RegexValidator(
                r"^[\w.@+-]+\Z",
                _("Use letters, digits and @ . + - _ only, without spaces."),
            )
        ],
        help_text=_("An existing account joins this shop; a new one is created otherwise."),
    )
    first_name = CleanCharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class ExportPolicyForm(forms.Form):
    staff_may_export = forms.BooleanField(
        label=_("Staff may export customers and orders"),
        required=False,
        help_text=_(
            "Exported files hold names, phone numbers and addresses outside Merdeka. "
            "Without this, only owners can export; every export is in the audit log."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ShopSwitchForm(forms.Form):
    shop_id = forms.IntegerField()
