"""Expenses that come back every month (the stall's rent, a helper's wage) post
themselves on their day.

* ``recurring_expense_create`` / ``recurring_expense_stop`` - the seller's side;
* ``recurring_expenses_post`` - every month of a shop that is due by ``on`` posts, each
  through ``services.expense_record`` with the key ``recurring-<id>-<YYYY-MM>``: a month
  posts once whatever runs it twice (two schedulers, a retried tick), and months missed
  while the server was off are caught up one by one on their own days;
* ``recurring_expenses_due`` - the scheduler's periodic entry (``merdeka.core.schedule``).

The row is locked while its months post, and ``next_due`` moves on in the same
transaction as the entries, so what has posted and what is next never disagree. A
category or account switched off stops the recurring expense (with the reason shown on
its page) instead of failing at every tick.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.books import services
from merdeka.books.accounts import EXPENSE, MONEY, group_of
from merdeka.books.models import Account, RecurringExpense
from merdeka.books.posting import local_date, today
from merdeka.core.models import Shop
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record

log = logging.getLogger(__name__)

# at most this many months post in one go (ten years of a forgotten server)
MAX_CATCH_UP = 120
# the latest zone of a shop (WIT, UTC+9): its day is the furthest ahead
LATEST_OFFSET = dt.timedelta(hours=9)


def due_in(month: dt.date, day_of_month: int) -> dt.date:
    """The day of ``month`` it falls on: its last day when the month is shorter."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(day_of_month, last))


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def first_due(starts_on: dt.date, day_of_month: int) -> dt.date:
    due = due_in(starts_on.replace(day=1), day_of_month)
    return due if due >= starts_on else due_in(_next_month(starts_on), day_of_month)


def _check_accounts(shop, category_id: int, paid_from_id: int) -> tuple[Account, Account]:
    category = Account.objects.filter(shop=shop, pk=category_id, is_active=True).first()
    if category is None or group_of(category) != EXPENSE:
        raise ServiceError(_("Choose %(what)s from the list.") % {"what": _("a category")})
    paid_from = Account.objects.filter(shop=shop, pk=paid_from_id, is_active=True).first()
    if paid_from is None or group_of(paid_from) != MONEY:
        raise ServiceError(
            _("Choose %(what)s from the list.") % {"what": _("the account that paid")}
        )
    return category, paid_from


def recurring_expense_create(
    *,
    shop,
    name: str,
    amount: int,
    category_id: int,
    paid_from_id: int,
    day_of_month: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    actor=None,
    request=None,
) -> RecurringExpense:
    """A new monthly expense; the months already due by today post at once."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise ServiceError(_("Give it a name of at most 80 characters, such as Sewa kios."))
    services._amount(amount)
    if not 1 <= day_of_month <= 31:
        raise ServiceError(_("The day of the month is between 1 and 31."))
    if ends_on is not None and ends_on < starts_on:
        raise ServiceError(_("The end is before the start."))
    with transaction.atomic(), shop_scope(shop):
        category, paid_from = _check_accounts(shop, category_id, paid_from_id)
        recurring = RecurringExpense.objects.create(
            shop=shop,
            name=name,
            amount=amount,
            category=category,
            paid_from=paid_from,
            day_of_month=day_of_month,
            starts_on=starts_on,
            ends_on=ends_on,
            next_due=first_due(starts_on, day_of_month),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="books.recurring_created",
            shop=shop,
            actor=actor,
            target=recurring,
            request=request,
            detail={"amount": amount, "day": day_of_month, "category": category.pk},
        )
    recurring_expenses_post(shop=shop, on=today(shop), only=[recurring.pk])
    return recurring


def recurring_expense_stop(*, shop, recurring_id: int, actor=None, request=None) -> bool:
    """No more months post (those posted stay). False if it had stopped already."""
    with transaction.atomic(), shop_scope(shop):
        stopped = RecurringExpense.objects.filter(
            shop=shop, pk=recurring_id, is_active=True
        ).update(is_active=False)
        if stopped:
            audit_record(
                action="books.recurring_stopped",
                shop=shop,
                actor=actor,
                request=request,
                detail={"recurring": recurring_id},
            )
    return bool(stopped)


def _post_one(shop, recurring_id: int, on: dt.date) -> int:
    """Post every month of one recurring expense due by ``on``; how many posted."""
    posted = 0
    with transaction.atomic(), shop_scope(shop):
        recurring = (
            RecurringExpense.objects.select_for_update()
            .filter(shop=shop, pk=recurring_id, is_active=True)
            .first()
        )
        if recurring is None:
            return 0
        due = recurring.next_due
        if due <= on:
            try:
                _check_accounts(shop, recurring.category_id, recurring.paid_from_id)
            except ServiceError:  # switched off: stop, and say why on its page
                recurring.is_active = False
                recurring.stopped_reason = _(
                    "Its category or the account it is paid from was switched off."
                )
                audit_record(
                    action="books.recurring_stopped",
                    shop=shop,
                    detail={"recurring": recurring.pk, "reason": "accounts"},
                )
                recurring.save(update_fields=["is_active", "stopped_reason"])
                return 0
        while due <= on and posted < MAX_CATCH_UP:
            if recurring.ends_on is not None and due > recurring.ends_on:
                break
            services.expense_record(
                shop=shop,
                key=f"recurring-{recurring.pk}-{due:%Y-%m}",
                amount=recurring.amount,
                category_id=recurring.category_id,
                paid_from_id=recurring.paid_from_id,
                day=due,
                note=recurring.name,
                actor=None,
            )
            posted += 1
            due = due_in(_next_month(due), recurring.day_of_month)
        recurring.next_due = due
        if recurring.ends_on is not None and due > recurring.ends_on:
            recurring.is_active = False
        recurring.save(update_fields=["next_due", "is_active", "stopped_reason"])
    return posted


def recurring_expenses_post(*, shop, on: dt.date, only=None) -> int:
    """Post what is due by ``on`` (the shop's day) of the shop's recurring expenses."""
    with shop_scope(shop):
        due = RecurringExpense.objects.filter(shop=shop, is_active=True, next_due__lte=on)
        if only is not None:
            due = due.filter(pk__in=only)
        ids = list(due.order_by("pk").values_list("pk", flat=True))
    return sum(_post_one(shop, recurring_id, on) for recurring_id in ids)


def recurring_expenses_due(*, now=None) -> int:
    """Periodic: every shop's recurring expenses that are due today in the shop's zone."""
    now = now or timezone.now()
    horizon = (now + LATEST_OFFSET).date()
    with scopes_disabled():
        shop_ids = sorted(
            set(
                RecurringExpense.objects.filter(is_active=True, next_due__lte=horizon)
                .values_list("shop_id", flat=True)
                .distinct()[:500]
            )
        )
        shops = list(Shop.objects.filter(pk__in=shop_ids))
    posted = 0
    for shop in shops:
        try:
            posted += recurring_expenses_post(shop=shop, on=local_date(shop, now))
        except Exception:  # one shop's trouble does not stop the others' rent
            log.exception("recurring expenses of shop %s failed", shop.pk)
    return posted
