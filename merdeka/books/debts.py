"""Debts: what customers owe the seller (*piutang*) and what she owes (*utang*).

Writes (each in one transaction, audited, idempotent by the form's key):

* ``debt_record`` - a debt arose: *piutang* debits the receivables and credits sales,
  other income (as she chooses) or the money account a loan left; *utang* credits the
  payables and debits an expense, the stock or the money account a loan reached;
* ``debt_payment_record`` - part or all of it paid, into or out of a money account; more
  than what is left is refused (the debt's row is locked while the payments are summed);
* ``debt_void`` - a debt recorded by mistake, without payments: its entry is reversed
  (posted entries are never edited) and it leaves the lists;
* ``reminder_send`` - a payment reminder to the customer through outreach: a service
  message about a transaction that exists (its words say so), so outreach's consent
  rule for service messages applies (a restricted or erased customer gets nothing),
  and every reminder is logged (``DebtReminder``).

Reads: ``owed_list`` gives every open item of one side: the debts recorded here and, for
*piutang*, the delivered orders not fully paid, read from the receivable their postings
made (``merdeka.books.orders``; an order's payment goes through the order lifecycle and
its postings clear the receivable, so nothing here posts for orders). ``ageing`` sorts
them into buckets by days past the due date; ``customer_owes`` is the customer page's.

Dates are the shop's calendar days; a debt or payment dated in a closed month posts in
the first open month, naming the date it belongs to (``merdeka.books.posting``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import (
    Account,
    Debt,
    DebtKind,
    DebtPayment,
    DebtReminder,
    JournalLine,
    Kind,
    Source,
)
from merdeka.books.posting import Line, entry_post, entry_reverse, today
from merdeka.books.services import _amount, _day, _note
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.customers.selectors import customer_get, customer_list
from merdeka.orders.models import Order
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import _merged_group

MAX_CREDITOR = 120
MAX_TERM = dt.timedelta(days=3660)  # a due date more than ten years out is a typo
# the keys of the asset accounts that are not money: never paid into or out of
NOT_MONEY = frozenset({"receivable", "inventory"})
# what a Cloud API template's {{1}}, {{2}}... of a reminder stand for, in this order
TEMPLATE_PARAMS = 5

# days past the due date -> bucket; "not due" first
BUCKETS: list[tuple[str, object]] = [
    ("not_due", gettext_lazy("Not due yet")),
    ("0_30", gettext_lazy("0-30 days")),
    ("31_60", gettext_lazy("31-60 days")),
    ("61_90", gettext_lazy("61-90 days")),
    ("over_90", gettext_lazy("Over 90 days")),
]


def bucket_of(days_overdue: int) -> str:
    if days_overdue < 0:
        return "not_due"
    if days_overdue <= 30:
        return "0_30"
    if days_overdue <= 60:
        return "31_60"
    if days_overdue <= 90:
        return "61_90"
    return "over_90"


# -- what may be chosen ------------------------------------------------------------------


def _is_money(account: Account) -> bool:
    return account.kind == Kind.ASSET and account.key not in NOT_MONEY


def money_accounts(*, shop) -> list[Account]:
    """Where money can come into or leave from: cash, bank, e-wallets, marketplace
    balances and the asset accounts the seller added (not receivables, not stock)."""
    with shop_scope(shop):
        accounts = Account.objects.filter(shop=shop, kind=Kind.ASSET, is_active=True)
        return [a for a in accounts.order_by("code", "pk") if _is_money(a)]


def counter_accounts(*, shop, kind: str) -> list[Account]:
    """What a debt of ``kind`` may be recorded against: *piutang* - a revenue account
    (sales, other income) or the money account a loan left; *utang* - an expense, the
    stock, or the money account a loan reached."""
    accounts_by_key(shop=shop, keys=["sales", "other_income", "inventory", "cash", "bank"])
    with shop_scope(shop):
        rows = list(Account.objects.filter(shop=shop, is_active=True).order_by("code", "pk"))
    if kind == DebtKind.RECEIVABLE:
        return [a for a in rows if a.kind == Kind.REVENUE and a.key != "discounts"] + [
            a for a in rows if _is_money(a)
        ]
    return (
        [a for a in rows if a.kind in (Kind.EXPENSE, Kind.COST_OF_GOODS)]
        + [a for a in rows if a.key == "inventory"]
        + [a for a in rows if _is_money(a)]
    )


# -- writes ------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in DebtKind.values:
        raise ValueError(f"unknown debt kind {kind!r}")
    return kind


def _debt_checked(shop, key: str, amount, note: str, day, due_date: dt.date):
    """What recording a debt and a bill share: the form's key (a debt already recorded
    under it comes back as it is), the amount, the note, the day and the due date."""
    if not key or len(key) > 80:
        raise ValueError("a form key of 1-80 characters is needed")
    with shop_scope(shop):
        existing = Debt.objects.filter(shop=shop, key=key).first()
    if existing is not None:
        return existing, None, None, None
    amount, note = _amount(amount), _note(note)
    day = _day(shop, day)
    if due_date < day:
        raise ServiceError(_("The due date cannot be before the date of the debt."))
    if due_date - day > MAX_TERM:
        raise ServiceError(_("Choose a due date within ten years."))
    return None, amount, note, day


def debt_record(
    *,
    shop,
    kind: str,
    key: str,
    amount: int,
    counter_account_id: int,
    due_date: dt.date,
    day: dt.date | None = None,
    customer_id: int | None = None,
    creditor: str = "",
    note: str = "",
    actor=None,
    request=None,
) -> Debt:
    """Record a debt and post it (see the module). A form sent twice records once."""
    kind = _kind(kind)
    existing, amount, note, day = _debt_checked(shop, key, amount, note, day, due_date)
    if existing is not None:
        return existing
    customer, creditor = None, " ".join((creditor or "").split())
    if kind == DebtKind.RECEIVABLE:
        try:
            customer = customer_get(shop=shop, customer_id=customer_id or 0)
        except Customer.DoesNotExist:
            raise ServiceError(_("Choose the customer who owes it.")) from None
        creditor = ""
    else:
        if not creditor:
            raise ServiceError(_("Write who you owe it to."))
        if len(creditor) > MAX_CREDITOR:
            raise ServiceError(_("The name can have at most 120 characters."))
    allowed = {a.pk: a for a in counter_accounts(shop=shop, kind=kind)}
    counter = allowed.get(counter_account_id)
    if counter is None:
        raise ServiceError(_("Choose what the debt is for from the list."))
    side = accounts_by_key(shop=shop, keys=["receivable", "payable"])
    with transaction.atomic(), shop_scope(shop):
        debt = Debt(
            shop=shop,
            kind=kind,
            customer=customer,
            creditor=creditor or None,
            note=note,
            amount=amount,
            date=day,
            due_date=due_date,
            counter_account=counter,
            key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        debt.save()
        if kind == DebtKind.RECEIVABLE:
            lines = [Line(side["receivable"], debit=amount), Line(counter.pk, credit=amount)]
            memo = _("Receivable #%(id)s") % {"id": debt.pk}
        else:
            lines = [Line(counter.pk, debit=amount), Line(side["payable"], credit=amount)]
            memo = _("Payable #%(id)s") % {"id": debt.pk}
        debt.entry = entry_post(
            shop=shop,
            date=day,
            source=Source.DEBT,
            key=f"debt:{debt.pk}",
            lines=lines,
            memo=f"{memo}: {note}" if note else memo,
            actor=actor,
        )
        Debt.objects.filter(shop=shop, pk=debt.pk).update(entry=debt.entry)
        audit_record(
            action="books.debt_recorded",
            shop=shop,
            actor=actor,
            target=debt,
            request=request,
            detail={
                "kind": kind,
                "amount": amount,
                "customer": customer.pk if customer else None,
                "entry": debt.entry.pk,
            },
        )
    return debt


def bill_record(
    *,
    shop,
    key: str,
    amount: int,
    due_date: dt.date,
    creditor: str,
    day: dt.date | None = None,
    note: str = "",
    actor=None,
    request=None,
) -> Debt:
    """A supplier's bill for goods already in the books: their stock purchases credited
    the payables when they came in unpaid (``books.costs``), so the *utang* is recorded
    without an entry of its own (posting it again would count the goods twice); its
    payments post as any debt's do."""
    existing, amount, note, day = _debt_checked(shop, key, amount, note, day, due_date)
    if existing is not None:
        return existing
    creditor = " ".join((creditor or "").split())[:MAX_CREDITOR]
    if not creditor:
        raise ServiceError(_("Write who you owe it to."))
    inventory = accounts_by_key(shop=shop, keys=["inventory"])["inventory"]
    with transaction.atomic(), shop_scope(shop):
        debt = Debt(
            shop=shop,
            kind=DebtKind.PAYABLE,
            creditor=creditor,
            note=note,
            amount=amount,
            date=day,
            due_date=due_date,
            counter_account_id=inventory,
            key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        debt.save()
        audit_record(
            action="books.debt_recorded",
            shop=shop,
            actor=actor,
            target=debt,
            request=request,
            detail={"kind": DebtKind.PAYABLE, "amount": amount, "bill": True},
        )
    return debt


def _paid(shop, debt_id: int, at: dt.date | None = None) -> int:
    payments = DebtPayment.objects.filter(shop=shop, debt_id=debt_id)
    if at is not None:
        payments = payments.filter(date__lte=at)
    return payments.aggregate(total=Sum("amount"))["total"] or 0


def debt_payment_record(
    *,
    shop,
    debt_id: int,
    key: str,
    amount: int,
    account_id: int,
    day: dt.date | None = None,
    note: str = "",
    actor=None,
    request=None,
) -> DebtPayment:
    """Part or all of a debt paid. Locks the debt's row while its payments are summed,
    so two payments at once cannot pay more than it is."""
    if not key or len(key) > 80:
        raise ValueError("a form key of 1-80 characters is needed")
    with shop_scope(shop):
        existing = DebtPayment.objects.filter(shop=shop, key=key).first()
    if existing is not None:
        return existing
    amount, note = _amount(amount), _note(note)
    day = _day(shop, day)
    with transaction.atomic(), shop_scope(shop):
        debt = Debt.objects.select_for_update().get(shop=shop, pk=debt_id)
        if debt.voided_at is not None:
            raise ServiceError(_("This debt was cancelled; it cannot be paid."))
        if day < debt.date:
            raise ServiceError(_("A payment cannot be dated before the debt itself."))
        account = Account.objects.filter(shop=shop, pk=account_id, is_active=True).first()
        if account is None or not _is_money(account):
            raise ServiceError(_("Choose the account the money went into or left from."))
        left = debt.amount - _paid(shop, debt.pk)
        if left <= 0:
            raise ServiceError(_("This debt is paid in full already."))
        if amount > left:
            raise ServiceError(
                _(
                    "The payment of %(amount)s is more than what is left to pay "
                    "(%(left)s). Write %(left)s or less."
                )
                % {"amount": format_rupiah(amount), "left": format_rupiah(left)}
            )
        payment = DebtPayment(
            shop=shop,
            debt=debt,
            amount=amount,
            date=day,
            account=account,
            key=key,
            note=note,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        payment.save()
        side = accounts_by_key(shop=shop, keys=["receivable", "payable"])
        if debt.kind == DebtKind.RECEIVABLE:
            lines = [Line(account.pk, debit=amount), Line(side["receivable"], credit=amount)]
            memo = _("Payment of receivable #%(id)s") % {"id": debt.pk}
        else:
            lines = [Line(side["payable"], debit=amount), Line(account.pk, credit=amount)]
            memo = _("Payment of payable #%(id)s") % {"id": debt.pk}
        payment.entry = entry_post(
            shop=shop,
            date=day,
            source=Source.DEBT_PAYMENT,
            key=f"debt_payment:{payment.pk}",
            lines=lines,
            memo=f"{memo}: {note}" if note else memo,
            actor=actor,
        )
        DebtPayment.objects.filter(shop=shop, pk=payment.pk).update(entry=payment.entry)
        audit_record(
            action="books.debt_paid",
            shop=shop,
            actor=actor,
            target=debt,
            request=request,
            detail={
                "amount": amount,
                "left": left - amount,
                "account": account.pk,
                "entry": payment.entry.pk,
            },
        )
    return payment


def debt_void(*, shop, debt_id: int, actor=None, request=None) -> Debt:
    """Cancel a debt recorded by mistake: its entry is reversed today. Only a debt
    without payments (a paid debt is a real one: its payments are what happened)."""
    with transaction.atomic(), shop_scope(shop):
        debt = Debt.objects.select_for_update().get(shop=shop, pk=debt_id)
        if debt.voided_at is not None:
            return debt
        if DebtPayment.objects.filter(shop=shop, debt=debt).exists():
            raise ServiceError(_("A debt with payments cannot be cancelled."))
        reversal = None
        if debt.entry_id is not None:  # a supplier's bill has none (``bill_record``)
            reversal = entry_reverse(
                shop=shop,
                entry_id=debt.entry_id,
                actor=actor,
                memo=_("Cancelled debt #%(id)s") % {"id": debt.pk},
            )
        debt.voided_at = timezone.now()
        debt.voided_by = actor if getattr(actor, "pk", None) else None
        Debt.objects.filter(shop=shop, pk=debt.pk).update(
            voided_at=debt.voided_at, voided_by=debt.voided_by
        )
        audit_record(
            action="books.debt_voided",
            shop=shop,
            actor=actor,
            target=debt,
            request=request,
            detail={"amount": debt.amount, "reversal": reversal.pk if reversal else None},
        )
    return debt


# -- reads -------------------------------------------------------------------------------


@dataclass
class Owed:
    """One open item: a recorded debt (``debt_id``) or an unpaid delivered order
    (``order_id``)."""

    kind: str
    amount: int
    paid: int
    date: dt.date
    due_date: dt.date
    debt_id: int | None = None
    order_id: int | None = None
    order_number: str = ""
    customer_id: int | None = None
    name: str = ""  # the customer's or the creditor's
    note: str = ""
    days_overdue: int = 0
    bucket: str = ""
    reminders: list = field(default_factory=list)
    stopped: list = field(default_factory=list)  # channels she said STOP on (the list's)

    @property
    def left(self) -> int:
        return self.amount - self.paid

    @property
    def days_to_due(self) -> int:
        return -self.days_overdue


def _roots(shop, customer_ids) -> dict[int, int]:
    """customer id -> the customer it was merged into in the end (itself if none)."""
    ids = {cid for cid in customer_ids if cid}
    parent = {}
    frontier = ids
    while frontier:
        found = dict(
            Customer.objects.filter(shop=shop, pk__in=frontier).values_list("pk", "merged_into_id")
        )
        parent.update(found)
        frontier = {into for into in found.values() if into and into not in parent}

    def root(cid):
        seen = set()
        while parent.get(cid) and cid not in seen:
            seen.add(cid)
            cid = parent[cid]
        return cid

    return {cid: root(cid) for cid in ids}


def _names(shop, customer_ids) -> dict[int, str]:
    """The customers' names, opened through the customers' selector."""
    ids = sorted({cid for cid in customer_ids if cid})
    if not ids:
        return {}
    return {c.pk: c.name or "" for c in customer_list(shop=shop).filter(pk__in=ids)}


def _order_receivables(shop, at: dt.date, order_ids=None) -> list[Owed]:
    """The delivered orders not fully paid at the end of ``at``: what the receivable
    their postings made still holds, dated from the day it arose."""
    receivable = accounts_by_key(shop=shop, keys=["receivable"])["receivable"]
    lines = JournalLine.objects.filter(
        shop=shop, account_id=receivable, entry__order_id__isnull=False, date__lte=at
    )
    if order_ids is not None:
        lines = lines.filter(entry__order_id__in=order_ids)
    rows = list(
        lines.values("entry__order_id")
        .annotate(d=Sum("debit"), c=Sum("credit"), first=Min("date"))
        .filter(d__gt=F("c"))
        .values_list("entry__order_id", "d", "c", "first")
    )
    orders = {
        row["pk"]: row
        for row in Order.objects.filter(shop=shop, pk__in=[r[0] for r in rows]).values(
            "pk", "external_id", "customer_id"
        )
    }
    return [
        Owed(
            kind=DebtKind.RECEIVABLE,
            amount=debit,
            paid=credit,
            date=first,
            due_date=first,  # due when delivered
            order_id=order_id,
            order_number=orders[order_id]["external_id"],
            customer_id=orders[order_id]["customer_id"],
        )
        for order_id, debit, credit, first in rows
        if order_id in orders
    ]


def _debts(shop, kind: str, at: dt.date, debt_ids=None, customer_ids=None) -> list[Owed]:
    debts = Debt.objects.filter(shop=shop, kind=kind, voided_at__isnull=True, date__lte=at)
    if debt_ids is not None:
        debts = debts.filter(pk__in=debt_ids)
    if customer_ids is not None:
        debts = debts.filter(customer_id__in=customer_ids)
    debts = list(debts)
    paid = defaultdict(int)
    for debt_id, amount in (
        DebtPayment.objects.filter(shop=shop, debt_id__in=[d.pk for d in debts], date__lte=at)
        .values("debt_id")
        .annotate(total=Sum("amount"))
        .values_list("debt_id", "total")
    ):
        paid[debt_id] = amount
    return [
        Owed(
            kind=kind,
            amount=d.amount,
            paid=paid[d.pk],
            date=d.date,
            due_date=d.due_date,
            debt_id=d.pk,
            customer_id=d.customer_id,
            name=(d.creditor or "") if kind == DebtKind.PAYABLE else "",
            note=d.note,
        )
        for d in debts
    ]


def _finish(shop, items: list[Owed], at: dt.date, *, names: bool = True) -> list[Owed]:
    items = [item for item in items if item.left > 0]
    if not names:
        return items
    roots = _roots(shop, [item.customer_id for item in items])
    for item in items:
        if item.customer_id:
            item.customer_id = roots.get(item.customer_id, item.customer_id)
    names = _names(shop, [item.customer_id for item in items])
    for item in items:
        if item.customer_id:
            item.name = names.get(item.customer_id, "")
        item.days_overdue = (at - item.due_date).days
        item.bucket = bucket_of(item.days_overdue)
    items.sort(key=lambda i: (-i.days_overdue, i.debt_id or 0, i.order_id or 0))
    return items


def debts_left(*, shop, kind: str, at: dt.date, due_after: dt.date) -> int:
    """What the debts of ``kind`` recorded by hand and due after ``due_after`` still
    leave owed at the end of ``at``: two aggregate queries, no journal lines (the
    dashboard's figure of what falls due soon)."""
    kind = _kind(kind)
    with shop_scope(shop):
        debts = Debt.objects.filter(
            shop=shop, kind=kind, voided_at__isnull=True, date__lte=at, due_date__gt=due_after
        )
        amount = debts.aggregate(total=Sum("amount"))["total"] or 0
        paid = (
            DebtPayment.objects.filter(shop=shop, debt__in=debts, date__lte=at).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
    return amount - paid


def owed_list(*, shop, kind: str, at: dt.date | None = None, names: bool = True) -> list[Owed]:
    """Every open item of ``kind`` at the end of ``at`` (today), most overdue first;
    ``names=False`` leaves the customers' names closed (and the order unsorted)."""
    kind = _kind(kind)
    at = at or today(shop)
    with shop_scope(shop):
        items = _debts(shop, kind, at)
        if kind == DebtKind.RECEIVABLE:
            items += _order_receivables(shop, at)
        return _finish(shop, items, at, names=names)


@dataclass
class Bucket:
    key: str
    label: str
    total: int = 0
    count: int = 0


def ageing(*, items: list[Owed]) -> tuple[list[Bucket], int]:
    """The open items' amounts left, by days past their due date; and their total."""
    buckets = {key: Bucket(key, str(label)) for key, label in BUCKETS}
    for item in items:
        bucket = buckets[item.bucket]
        bucket.total += item.left
        bucket.count += 1
    return list(buckets.values()), sum(item.left for item in items)


def debt_get(*, shop, debt_id: int) -> Debt:
    """One debt of the shop (``Debt.DoesNotExist`` for another shop's)."""
    with shop_scope(shop):
        return Debt.objects.select_related("counter_account", "customer").get(shop=shop, pk=debt_id)


def debt_state(*, shop, debt: Debt, at: dt.date | None = None) -> dict:
    """A debt's page: what is left, its payments and reminders, who it is."""
    at = at or today(shop)
    with shop_scope(shop):
        payments = list(
            DebtPayment.objects.filter(shop=shop, debt=debt).select_related("account", "created_by")
        )
        reminders = list(
            DebtReminder.objects.filter(shop=shop, debt=debt).select_related("sent_by", "delivery")
        )
        customer_id = _roots(shop, [debt.customer_id]).get(debt.customer_id)
    paid = sum(p.amount for p in payments)
    name = debt.creditor or ""
    if debt.kind == DebtKind.RECEIVABLE:
        name = _names(shop, [customer_id]).get(customer_id, "")
    days = (at - debt.due_date).days
    return {
        "payments": payments,
        "reminders": reminders,
        "paid": paid,
        "left": debt.amount - paid if debt.voided_at is None else 0,
        "name": name,
        "customer_id": customer_id,
        "days_overdue": days,
        "days_to_due": -days,
        "bucket": bucket_of(days),
    }


def order_owed(*, shop, order_id: int, at: dt.date | None = None) -> Owed | None:
    """What an order still owes on its receivable (None when nothing)."""
    at = at or today(shop)
    with shop_scope(shop):
        items = _finish(shop, _order_receivables(shop, at, order_ids=[order_id]), at)
        if items:
            items[0].reminders = list(
                DebtReminder.objects.filter(shop=shop, order_id=order_id).select_related(
                    "sent_by", "delivery"
                )
            )
    return items[0] if items else None


def customer_owes(*, shop, customer, at: dt.date | None = None) -> dict:
    """The customer page's "what she owes": her open debts and unpaid delivered orders
    (and those of the customers merged into her)."""
    at = at or today(shop)
    with shop_scope(shop):
        group = _merged_group(shop, [customer.pk])[customer.pk]
        items = _debts(shop, DebtKind.RECEIVABLE, at, customer_ids=group)
        order_ids = list(
            Order.objects.filter(shop=shop, customer_id__in=group).values_list("pk", flat=True)
        )
        if order_ids:
            items += _order_receivables(shop, at, order_ids=order_ids)
        items = _finish(shop, items, at)
    return {"items": items, "total": sum(item.left for item in items)}


def totals(*, shop, at: dt.date | None = None) -> dict[str, int]:
    """What is still owed each way (the books' home page)."""
    return {
        kind: sum(item.left for item in owed_list(shop=shop, kind=kind, at=at, names=False))
        for kind in DebtKind.values
    }


# -- reminders ---------------------------------------------------------------------------


def debt_owed(*, shop, debt_id: int, at: dt.date | None = None) -> Owed | None:
    """A receivable debt as an open item (None when nothing is left)."""
    at = at or today(shop)
    with shop_scope(shop):
        items = _finish(shop, _debts(shop, DebtKind.RECEIVABLE, at, debt_ids=[debt_id]), at)
    return items[0] if items else None
