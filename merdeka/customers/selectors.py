from __future__ import annotations

from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy import crypto


def customer_list(*, shop, phone: str | None = None):
    """The shop's customers, newest first; ``phone`` in any format narrows by blind index."""
    with shop_scope(shop):
        customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
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
        return Customer.objects.get(shop=shop, pk=customer_id, merged_into__isnull=True)


def customer_identities(*, shop, customer):
    from merdeka.customers.models import Identity

    with shop_scope(shop):
        return list(Identity.objects.filter(shop=shop, customer=customer).order_by("kind", "id"))


def customer_orders(*, shop, customer):
    from merdeka.orders.models import Order

    with shop_scope(shop):
        return list(
            Order.objects.filter(shop=shop, customer=customer)
            .prefetch_related("lines")
            .order_by("-ordered_at")
        )


def customer_merges(*, shop, customer):
    from django.db.models import Q

    from merdeka.customers.models import Merge

    with shop_scope(shop):
        return list(
            Merge.objects.filter(shop=shop, undone_at__isnull=True)
            .filter(Q(survivor=customer) | Q(absorbed=customer))
            .select_related("absorbed", "survivor")
        )


def pending_suggestions(*, shop):
    from merdeka.customers.models import MatchSuggestion

    with shop_scope(shop):
        return MatchSuggestion.objects.filter(
            shop=shop, state=MatchSuggestion.State.PENDING
        ).select_related("customer_a", "customer_b")
