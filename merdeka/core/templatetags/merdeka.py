from __future__ import annotations

from django import template
from django.utils.html import format_html

from merdeka.core import wording
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
    """``{{ "+6281234567890"|phone }}`` -> ``0812-3456-7890``: the one phone format."""
    return format_phone(value)


@register.filter
def shop_date(value):
    """``{{ order.ordered_at|shop_date }}`` -> ``4 Mei 2026``: the one date format."""
    return wording.format_date(value)


@register.filter
def channel_label(value):
    """``{{ "tiktok"|channel_label }}`` -> ``TikTok Shop``."""
    return wording.channel_label(value)


@register.filter
def short_name(value):
    """``{{ "Bu Ika Rahmawati"|short_name }}`` -> ``Bu Ika``."""
    return wording.short_name(value)


@register.filter
def signed(value):
    """``{{ 2|signed }}`` -> ``+2``, a loss with a real minus sign (U+2212)."""
    return wording.signed(value)


@register.filter
def preorder_title(value):
    return wording.preorder_title(value)


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
    shop = context.get("current_shop")
    return wording.format_datetime(value, shop.time_zone_label if shop else None)
