"""Retention: erase the personal data of customers who have been inactive longer than
the shop chose to keep them (UU PDP art. 16(2)(g), 42, 43).

A customer is inactive when neither they nor anyone merged into them was added, ordered,
signed up, was seen in an import or made a consent choice within the period. Customers
whose processing is restricted are left alone: a restriction means "hold it as it is".
Erasure goes through ``customer_erase``, exactly as an erasure on request does.

``retention_enqueue_due`` is what the scheduler (``merdeka scheduler``, started by
``merdeka run``) calls every few minutes: it queues one sweep a day per shop that has a
retention period, and is safe to call from several processes at once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from merdeka.core import bulk
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import _merged_group
from merdeka.privacy.models import PrivacySettings, ProcessingRestriction
from merdeka.privacy.rights import customer_erase
from merdeka.privacy.tasks import retention_sweep

SWEEP_EVERY = timedelta(days=1)

# (model, its link to the customer, the time that counts as activity); models of parts
# of Merdeka that are not installed are skipped.
ACTIVITY = (
    ("customers.Customer", "pk", "created_at"),
    ("orders.Order", "customer_id", "ordered_at"),
    ("customers.Identity", "customer_id", "last_seen_at"),
    ("privacy.ConsentEvent", "customer_id", "created_at"),
    ("cards.SignUp", "customer_id", "created_at"),
)


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (31 March - 1 = 28/29 Feb)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _active_ids(shop, cutoff, among=None):
    """A subquery per activity source of the customers active since ``cutoff``."""
    for label, link, when in ACTIVITY:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        rows = model._base_manager.filter(shop_id=shop.pk, **{f"{when}__gte": cutoff})
        if among is not None:
            rows = rows.filter(**{f"{link}__in": among})
        yield rows.values(link)


def _inactive(shop, cutoff, queryset):
    for active in _active_ids(shop, cutoff):
        queryset = queryset.exclude(pk__in=active)
    return queryset


def retention_candidates(*, shop, months: int, now=None) -> list[int]:
    """The customers (survivors of merges) that retention would erase now."""
    now = now or timezone.now()
    cutoff = months_before(now, months)
    with shop_scope(shop):
        restricted = ProcessingRestriction.objects.filter(shop=shop, lifted_at__isnull=True).values(
            "customer_id"
        )
        survivors = Customer.objects.filter(shop=shop, merged_into__isnull=True).exclude(
            pk__in=restricted
        )
        candidates = list(_inactive(shop, cutoff, survivors).values_list("pk", flat=True))
        if not candidates:
            return []
        groups = _merged_group(shop, candidates)
        absorbed = [pk for root, group in groups.items() for pk in group if pk != root]
        if absorbed:
            # someone merged into the candidate was active (or is restricted): keep them
            quiet = set()
            for part in bulk.chunks(absorbed):
                members = Customer.objects.filter(shop=shop, pk__in=part).exclude(pk__in=restricted)
                quiet.update(_inactive(shop, cutoff, members).values_list("pk", flat=True))
            candidates = [
                root for root in candidates if all(pk in quiet or pk == root for pk in groups[root])
            ]
    return candidates


@dataclass
class RetentionReport:
    shop_id: int
    months: int | None
    erased: int


def retention_run(*, shop, now=None) -> RetentionReport:
    """Erase this shop's inactive customers, if it set a retention period."""
    now = now or timezone.now()
    with shop_scope(shop):
        settings = PrivacySettings.objects.filter(shop=shop).first()
    months = settings.retention_months if settings else None
    erased = 0
    if months:
        for customer_id in retention_candidates(shop=shop, months=months, now=now):
            customer_erase(shop=shop, customer_id=customer_id, reason="retention")
            erased += 1
        audit_record(
            action="privacy.retention_run",
            shop=shop,
            detail={"months": months, "erased": erased},
        )
    if settings is not None:
        with shop_scope(shop):
            PrivacySettings.objects.filter(pk=settings.pk).update(retention_checked_at=now)
    return RetentionReport(shop_id=shop.pk, months=months, erased=erased)


def retention_enqueue_due(*, now=None) -> list[int]:
    """Queue today's retention sweep of every shop that is due; returns their ids.

    The row lock and the "checked" time written in the same transaction make a second
    scheduler (or a second call) find nothing due.
    """
    now = now or timezone.now()
    with transaction.atomic(), scopes_disabled():
        due = list(
            PrivacySettings.objects.select_for_update()
            .filter(retention_months__isnull=False)
            .exclude(retention_checked_at__gt=now - SWEEP_EVERY)
            .values_list("pk", "shop_id")
        )
        if due:
            PrivacySettings.objects.filter(pk__in=[pk for pk, _ in due]).update(
                retention_checked_at=now
            )
        for _, shop_id in due:
            transaction.on_commit(
                partial(retention_sweep.enqueue, shop_id=shop_id, now=now.isoformat())
            )
    return [shop_id for _, shop_id in due]
