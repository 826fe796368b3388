from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.core.forms import IdField
from merdeka.core.phone import is_masked, normalize_phone
from merdeka.customers.models import Segment
from merdeka.customers.selectors import customer_list
from merdeka.outreach.models import (
    DEFAULT_GRAPH_URL,
    Campaign,
    ChannelKind,
    Purpose,
    WhatsAppTemplate,
)
from merdeka.outreach.placeholders import (
    PLACEHOLDERS,
    template_check,
    template_param_numbers,
)
from merdeka.outreach.selectors import segments_list, templates_list

BODY_MAX = 2000


def placeholder_help() -> str:
    return " ".join("{" + name + "}" for name in PLACEHOLDERS)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=120)
    channel = forms.ChoiceField(
        label=_("Send through"), choices=ChannelKind.choices, widget=forms.RadioSelect
    )
    purpose = forms.ChoiceField(
        label=_("Kind of message"),
        choices=Purpose.choices,
        initial=Purpose.MARKETING,
        widget=forms.RadioSelect,
        help_text=_(
            "Order service messages are only about an order the customer placed "
            "(payment, shipping, a pre-order that is ready). Promotions go only to "
            "customers who agreed to receive them."
        ),
    )
    subject = forms.CharField(
        label=_("Email subject"), max_length=200, required=False, help_text=_("For email only.")
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    template = forms.ModelChoiceField(
        label=_("Approved WhatsApp template"),
        queryset=WhatsAppTemplate.unscoped.none(),
        required=False,
        help_text=_(
            "For the Cloud API. Without a template only customers who wrote to you in "
            "the last 24 hours can get the message."
        ),
    )
    template_params = forms.CharField(
        label=_("Template values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per {{1}}, {{2}}... of the template; placeholders allowed."),
    )
    audience_kind = forms.ChoiceField(
        label=_("Who gets it"),
        choices=Campaign.Audience.choices,
        initial=Campaign.Audience.ALL,
        widget=forms.RadioSelect,
    )
    audience_city = forms.CharField(label=_("City"), max_length=80, required=False)
    audience_phones = forms.CharField(
        label=_("Chosen customers' WhatsApp numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One number per line, e.g. 0812-3456-7890."),
    )
    audience_ids = forms.CharField(widget=forms.HiddenInput, required=False)
    audience_segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.unscoped.none(),
        required=False,
        empty_label=_("Choose a segment"),
        error_messages={
            "invalid_choice": _(
                "That segment was not found in this shop. Choose one from the list."
            )
        },
        help_text=_("The customers in the segment when you send, not when you save."),
    )

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.fields["template"].queryset = templates_list(shop=shop)
        # names only: a live count would cost a query per segment on every page load
        self.fields["audience_segment"].queryset = segments_list(shop=shop)
        self.fields["subject"].widget.attrs["maxlength"] = 200
        self.fields["body"].help_text = _("Placeholders: %(list)s") % {"list": placeholder_help()}

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        template_check(subject)
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        template_check(body)
        return body

    def clean_template_params(self):
        lines = [line.strip() for line in self.cleaned_data["template_params"].splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        for line in lines:
            template_check(line)
        return lines

    def clean_audience_ids(self):
        raw = self.cleaned_data["audience_ids"]
        return [int(part) for part in re.findall(r"\d+", raw or "")][:5000]

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        template = data.get("template")
        if channel == ChannelKind.EMAIL and not data.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        if channel != ChannelKind.CLOUDAPI:
            data["template"] = template = None
            data["template_params"] = []
        if template is None and not data.get("body") and "body" not in self.errors:
            self.add_error("body", _("Write the message."))
        if template is not None:
            needed = template.param_count
            given = len(data.get("template_params") or [])
            if given != needed:
                self.add_error(
                    "template_params",
                    _(
                        "The template “%(name)s” needs %(needed)s values, one per line; "
                        "you gave %(given)s."
                    )
                    % {"name": template.name, "needed": needed, "given": given},
                )
        kind = data.get("audience_kind")
        if kind == Campaign.Audience.CITY and not data.get("audience_city", "").strip():
            self.add_error("audience_city", _("Write the city."))
        if kind == Campaign.Audience.CHOSEN:
            data["audience_ids"] = self._chosen_ids(data)
        else:
            data["audience_ids"] = []
        if kind == Campaign.Audience.SEGMENT:
            if data.get("audience_segment") is None and "audience_segment" not in self.errors:
                self.add_error("audience_segment", _("Choose the segment to send it to."))
        else:
            data["audience_segment"] = None
        return data

    def _chosen_ids(self, data) -> list[int]:
        ids = list(data.get("audience_ids") or [])
        ids = list(customer_list(shop=self.shop).filter(pk__in=ids).values_list("pk", flat=True))
        problems = []
        for number, line in enumerate((data.get("audience_phones") or "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            phone = None if is_masked(line) else normalize_phone(line)
            found = customer_list(shop=self.shop, phone=phone).first() if phone else None
            if found is None:
                problems.append(str(number))
            elif found.pk not in ids:
                ids.append(found.pk)
        if problems:
            self.add_error(
                "audience_phones",
                _(
                    "No customer has the number on line %(lines)s. "
                    "Check it or add the customer first."
                )
                % {"lines": ", ".join(problems)},
            )
        elif not ids:
            self.add_error("audience_phones", _("Write at least one customer's number."))
        return ids

    def campaign_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "channel": data["channel"],
            "purpose": data["purpose"],
            "subject": data.get("subject", ""),
            "body": data.get("body", ""),
            "template": data.get("template"),
            "template_params": data.get("template_params", []),
            "audience_kind": data["audience_kind"],
            "audience_city": data.get("audience_city", "").strip(),
            "audience_ids": data.get("audience_ids", []),
            "audience_segment": data.get("audience_segment"),
        }

    @classmethod
    def initial_from(cls, campaign) -> dict:
        return {
            "name": campaign.name,
            "channel": campaign.channel,
            "purpose": campaign.purpose,
            "subject": campaign.subject,
            "body": campaign.body,
            "template": campaign.template_id,
            "template_params": "\n".join(campaign.template_params),
            "audience_kind": campaign.audience_kind,
            "audience_city": campaign.audience_city,
            "audience_ids": ",".join(str(i) for i in campaign.audience_ids),
            "audience_segment": campaign.audience_segment_id,
        }


class PreviewCustomerForm(forms.Form):
    customer = IdField(required=False)


class WhatsAppSettingsForm(forms.Form):
    phone_number_id = forms.RegexField(
        label=_("Phone number ID"),
        regex=r"^\d{5,30}$",
        max_length=30,
        error_messages={"invalid": _("The phone number ID is digits only, from Meta's app page.")},
    )
    business_account_id = forms.RegexField(
        label=_("WhatsApp Business account ID"),
        regex=r"^\d{5,30}$",
        max_length=30,
        required=False,
        error_messages={"invalid": _("The account ID is digits only.")},
    )
    access_token = forms.CharField(
        label=_("Access token"),
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the saved one."),
    )
    app_secret = forms.CharField(
        label=_("App secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Used to check that webhooks really come from Meta. Leave empty to keep it."),
    )
    base_url = forms.URLField(
        label=_("API address"),
        initial=DEFAULT_GRAPH_URL,
        max_length=200,
        assume_scheme="https",
        help_text=_("Change only for testing."),
    )
    rate_per_minute = forms.IntegerField(
        label=_("At most this many messages per minute"), min_value=1, max_value=1000, initial=60
    )

    def __init__(self, *args, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = existing

    def clean(self):
        data = super().clean()
        if self.existing is None:
            for name in ("access_token", "app_secret"):
                if not data.get(name):
                    self.add_error(name, _("Needed the first time."))
        for name in ("access_token", "app_secret"):
            if data.get(name):
                data[name] = data[name].strip()
        return data


class TemplateForm(forms.Form):
    name = forms.RegexField(
        label=_("Template name (as in WhatsApp Manager)"),
        regex=r"^[a-z0-9_]{1,512}$",
        max_length=512,
        error_messages={"invalid": _("Template names use lower-case letters, digits and _ only.")},
    )
    language = forms.RegexField(
        label=_("Language code"),
        regex=r"^[a-z]{2,3}(_[A-Z]{2})?$",
        max_length=15,
        initial="id",
        error_messages={"invalid": _("A language code looks like id or en_US.")},
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=WhatsAppTemplate.Category.choices,
        initial=WhatsAppTemplate.Category.MARKETING,
    )
    body = forms.CharField(
        label=_("Template text"),
        max_length=1024,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Copy it exactly, with {{1}}, {{2}}... where the values go."),
    )

    def clean(self):
        data = super().clean()
        body = data.get("body", "")
        numbers = template_param_numbers(body)
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            self.add_error("body", _("Number the values {{1}}, {{2}}, {{3}}... without gaps."))
        if (
            data.get("category") == WhatsAppTemplate.Category.MARKETING
            and body
            and not re.search(r"\b(berhenti|stop)\b", body, re.IGNORECASE)
        ):
            self.add_error(
                "body",
                _(
                    "A marketing template must tell the customer how to stop, e.g. "
                    "“Balas BERHENTI untuk berhenti menerima pesan.”"
                ),
            )
        return data
