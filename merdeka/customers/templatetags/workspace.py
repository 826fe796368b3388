"""Cheap rendering of the filter form: the list page draws it on every request, and
Django's template-based widgets cost ~30 ms for its ~100 options on a small server."""

from __future__ import annotations

from django import forms, template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from merdeka.customers.selectors import display_name

register = template.Library()


@register.simple_tag
def filter_field(field):
    """A bound field of ``CustomerFilterForm`` as a plain input or select."""
    value = field.value()
    value = "" if value is None else str(value)
    attrs = format_html('name="{}" id="{}"', field.html_name, field.auto_id)
    if field.errors:
        attrs += format_html(' aria-invalid="true" aria-describedby="{}_error"', field.auto_id)
    widget = field.field.widget
    if isinstance(widget, forms.Select):
        options = "".join(
            f'<option value="{conditional_escape(key)}"'
            f"{' selected' if str(key) == value else ''}>{conditional_escape(label)}</option>"
            for key, label in field.field.choices
        )
        return format_html("<select {}>{}</select>", attrs, mark_safe(options))  # noqa: S308
    kind = {"DateInput": "date", "NumberInput": "number"}.get(type(widget).__name__, "text")
    extra = ' min="0" inputmode="numeric"' if kind == "number" else ""
    return format_html(
        '<input type="{}" {} value="{}"{}>',
        kind,
        attrs,
        value,
        mark_safe(extra),  # noqa: S308
    )


@register.filter
def customer_name(customer):
    """A customer as the pages name them: the name, else the marketplace username they
    are known by (``selectors.with_known_as``), else "(no name)"."""
    return display_name(customer) or gettext("(no name)")
