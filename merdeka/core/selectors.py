"""Reads about shops and people. Every tenant read takes ``shop=``."""

from __future__ import annotations

from django.utils import timezone

from merdeka.core.models import Membership, Shop, User
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer


def user_memberships(*, user: User) -> list[Membership]:
    """The shops a person belongs to (the one cross-shop read, by design: by user)."""
    return list(Membership.unscoped.filter(user=user).select_related("shop").order_by("shop__name"))


def membership_for(*, user: User, shop_id: int) -> Membership | None:
    return Membership.unscoped.filter(user=user, shop_id=shop_id).select_related("shop").first()


def may_export(membership: Membership | None) -> bool:
    """May this member take the shop's data out in a file (customers, orders, the whole
    shop)? Exports carry personal data out of Merdeka: an owner's right, and staff's
    only where an owner allowed it (``Shop.staff_may_export``, on the team page)."""
    if membership is None:
        return False
    return membership.is_owner or membership.shop.staff_may_export


def staff_list(*, shop: Shop) -> list[Membership]:
    with shop_scope(shop):
        return list(
            Membership.objects.filter(shop=shop).select_related("user").order_by("role", "id")
        )


def home_figures(*, shop: Shop) -> dict:
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with shop_scope(shop):
        customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
        return {
            "customers_total": customers.count(),
            "customers_this_month": customers.filter(created_at__gte=month_start).count(),
        }
