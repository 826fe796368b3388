from __future__ import annotations

from django.db import transaction

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy.audit import audit_record


@transaction.atomic
def customer_create(
    *,
    shop,
    actor=None,
    name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    city: str = "",
    province: str = "",
    request=None,
) -> Customer:
    with shop_scope(shop):
        customer = Customer(
            shop=shop,
            name=name.strip(),
            phone=phone or None,
            email=(email or "").strip().lower() or None,
            address=address.strip() or None,
            city=city.strip(),
            province=province.strip(),
        )
        customer.save()
    audit_record(
        action="customer.created", shop=shop, actor=actor, target=customer, request=request
    )
    return customer
