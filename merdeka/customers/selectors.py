from __future__ import annotations

from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy import crypto


def customer_list(*, shop, phone: str | None = None):
    """The shop's customers, newest first; ``phone`` in any format narrows by blind index."""
    with shop_scope(shop):
        customers = Customer.objects.filter(shop=shop)
        if phone:
            normalized = normalize_phone(phone)
            if normalized is None:
                return customers.none()
            index = crypto.blind_index(
                normalized, shop_id=shop.pk, purpose=Customer._meta.get_field("phone_index").purpose
            )
            customers = customers.filter(phone_index=index)
        return customers


def customer_get(*, shop, customer_id: int) -> Customer:
    with shop_scope(shop):
        return Customer.objects.get(shop=shop, pk=customer_id)
