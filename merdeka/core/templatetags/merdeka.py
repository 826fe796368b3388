from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from merdeka.core.money import format_rupiah
from merdeka.core.phone import format_phone

register = template.Library()


@register.filter
def rupiah(value):
    """``{{ 12500|rupiah }}`` -> ``<span class="money">Rp12.500</span>``: an amount that
    never breaks across lines on a narrow phone (app.css, storefront.css)."""
    text = format_rupiah(value)
    return format_html('<span class="money">{}</span>', text) if text else ""


@register.filter
def rupiah_text(value):
    """``{{ 12500|rupiah_text }}`` -> ``Rp12.500``, for attributes (a page's og:title)."""
    return format_rupiah(value)


@register.filter
def phone(value):
    return format_phone(value)


@register.filter
def with_state(field):
    """Render a form field, marked invalid (and tied to its message) when it has errors."""
    if field.errors:
        return field.as_widget(
            attrs={"aria-invalid": "true", "aria-describedby": f"{field.auto_id}_error"}
        )
    return field.as_widget()


@register.simple_tag(takes_context=True)
def shop_time(context, value):
    """A time in the shop's zone with its WIB/WITA/WIT label: ``24 Nov 2026 08.15 WIB``."""
    if value is None:
        return ""
    from django.utils.formats import date_format

    local = timezone.localtime(value)
    shop = context.get("current_shop")
    label = shop.time_zone_label if shop else local.tzname()
    return f"{date_format(local, 'DATETIME_FORMAT')} {label}"
