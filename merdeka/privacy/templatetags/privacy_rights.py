from __future__ import annotations

from django import template

from merdeka.privacy.consent import is_restricted

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_is_restricted(context, customer) -> bool:
    shop = context.get("current_shop")
    if shop is None or customer is None:
        return False
    return is_restricted(shop=shop, customer=customer)
