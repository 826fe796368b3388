"""The books: a double-entry journal in integer rupiah, per shop.

* ``Account`` - where money sits or comes from: a small default chart a seller
  understands (``merdeka.books.chart``), editable. ``key`` names the accounts postings
  look up (``cash``, ``receivable``, ``marketplace:shopee``...).
* ``JournalEntry`` with its ``JournalLine`` rows - written once, never edited: a
  correction is a reversal or an adjusting entry. ``key`` makes posting idempotent (a
  retried or re-run posting finds its entry).
* ``AccountDay`` - each account's debits and credits per calendar day of the shop,
  kept as entries post, so a report over any period sums days, not journal lines.
* ``ClosedMonth`` - a month that cannot change any more; a change that belongs to it
  posts in the first open month, with a reference to the date it belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField


class Kind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    REVENUE = "revenue", _("Revenue")
    COST_OF_GOODS = "cost_of_goods", _("Cost of goods sold")
    EXPENSE = "expense", _("Expense")


# the kinds whose balance is a debit (the others' is a credit)
DEBIT_NORMAL = frozenset({Kind.ASSET, Kind.COST_OF_GOODS, Kind.EXPENSE})


class Account(ShopOwnedModel):
    code = models.CharField(_("code"), max_length=12)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # what postings look the account up by (None: an account the seller added)
    key = models.CharField(max_length=40, null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="books_account_code"),
            models.UniqueConstraint(
                fields=["shop", "key"],
                condition=models.Q(key__isnull=False),
                name="books_account_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Source(models.TextChoices):
    ORDER = "order", _("Order")
    PAYMENT = "payment", _("Payment")
    EXPENSE = "expense", _("Expense")
    RECEIPT = "receipt", _("Receipt")
    TRANSFER = "transfer", _("Transfer")
    OPENING = "opening", _("Opening balance")
    CAPITAL = "capital", _("Owner's capital or drawings")
    MANUAL = "manual", _("Manual entry")
    REVERSAL = "reversal", _("Reversal")
    STOCK = "stock", _("Stock")


class JournalEntry(ShopOwnedModel):
    date = models.DateField(db_index=True)  # the shop's calendar day it belongs to
    source = models.CharField(max_length=12, choices=Source.choices)
    key = models.CharField(max_length=120, editable=False)
    memo = models.CharField(max_length=200, blank=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # posted in an open month for a change that belongs to a closed one: its date
    belongs_to = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="books_entry_once"),
        ]
        # her expenses, newest first, among the orders' many entries
        indexes = [models.Index(fields=["shop", "source", "date"], name="books_entry_source")]


class JournalLine(ShopOwnedModel):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()  # the entry's, for the ledger page of one account
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["shop", "account", "date"], name="books_line_ledger")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debit__gte=0, credit__gte=0)
                & (models.Q(debit=0) | models.Q(credit=0)),
                name="books_line_one_side",
            )
        ]


class AccountDay(ShopOwnedModel):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="books_account_day"),
        ]
        indexes = [models.Index(fields=["shop", "date"], name="books_day_shop_date")]


class ClosedMonth(ShopOwnedModel):
    month = models.DateField()  # its first day
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "month"], name="books_month_closed_once"),
        ]


class RevenueOn(models.TextChoices):
    COMPLETED = "completed", _("When the order is completed")
    SHIPPED = "shipped", _("When the order is shipped")


class BooksSettings(ShopOwnedModel):
    """A shop's choices for its books (one row per shop, made on first use)."""

    revenue_on = models.CharField(
        _("revenue is earned"), max_length=12, choices=RevenueOn.choices, default="completed"
    )
    # the profit, the expenses and the statements are the owners' unless they open them
    staff_see_reports = models.BooleanField(_("staff may see profit and reports"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop"], name="books_settings_once")]


# -- expenses: the receipt's photo, the monthly ones, the account she pays from -------


class ExpenseReceipt(ShopOwnedModel, EncryptedModel):
    """The photo of an expense's receipt, kept like a payment proof
    (``merdeka.orders.proofs``): re-encoded as WebP without its metadata and stored
    encrypted in the database (base64), served only to the shop's team."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="receipts")
    photo = EncryptedTextField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "entry"], name="books_receipt_once"),
        ]


class RecurringExpense(ShopOwnedModel):
    """An expense that comes back every month (the stall's rent, a helper's wage): it
    posts itself on its day (``merdeka.books.recurring``), once per month."""

    name = models.CharField(_("name"), max_length=80)
    amount = models.BigIntegerField(_("amount"))
    category = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    paid_from = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    # 1-31; in a shorter month, its last day
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # the day the next month's expense posts on (moved on as each month posts)
    next_due = models.DateField()
    # why it stopped by itself (its category or account was switched off)
    stopped_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day_of_month", "name", "id"]
        indexes = [models.Index(fields=["is_active", "next_due"], name="books_recurring_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=31),
                name="books_recurring_day",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="books_recurring_amount"),
        ]


class ExpenseHabit(ShopOwnedModel):
    """The account a member paid her last expense from: the quick form's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    paid_from = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="books_expense_habit_once"),
        ]
