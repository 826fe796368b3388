from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merdeka.orders.models import Channel, Status


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Order number or WhatsApp number"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Order no. or 0812…")}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Status.choices], required=False
    )
    # what the dashboard's figures open: the orders that need the seller
    need = forms.ChoiceField(
        label=_("Needs"),
        choices=[
            ("", _("Anything")),
            ("process", _("To process")),
            ("payment", _("Waiting for payment")),
            ("receivable", _("Delivered, not paid")),
        ],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date. Swap them."))
        return data

    def filters(self) -> dict:
        """The cleaned filters as keyword arguments of ``selectors.order_list``."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "query": data["q"],
            "channel": data["channel"],
            "status": data["status"],
            "need": data["need"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
