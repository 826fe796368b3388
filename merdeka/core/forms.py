from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from merdeka.core.models import TIME_ZONES, Role
from merdeka.core.text import clean_text


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
