"""The books: a double-entry journal in integer rupiah, per shop.

* ``Account`` - where money sits or comes from: a small default chart a seller
  understands (``merdeka.books.chart``), editable. ``key`` names the accounts postings
  look up (``cash``, ``receivable``, ``marketplace:shopee``...).
* ``JournalEntry`` with its ``JournalLine`` rows - written once, never edited: a
  correction is a reversal or an adjusting entry. ``key`` makes posting idempotent (a
  retried or re-run posting finds its entry).
* ``AccountDay`` - each account's debits and credits per calendar day of the shop,
  kept as entries post, so a report over any period sums days, not journal lines.
* ``ProfitDay`` - gross profit per day, channel and product, kept as entries post.
* ``JournalMonth`` - the lines per month, account and source (sums, counts, chain
  positions), kept as entries post: what the evidence pack's sources table reads.
* ``ClosedMonth`` - a month that cannot change any more; a change that belongs to it
  posts in the first open month, with a reference to the date it belongs to.
* ``Debt`` with its ``DebtPayment`` rows and ``DebtReminder`` log - what a customer owes
  the seller (*piutang*) or the seller owes a creditor (*utang*), recorded by hand; each
  debt and each payment posts one entry (``merdeka.books.debts``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.outreach.models import ChannelKind
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
    DEBT = "debt", _("Debt recorded")
    DEBT_PAYMENT = "debt_payment", _("Debt payment")
    SETTLEMENT = "settlement", _("Marketplace settlement")


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
    # its place in the shop's hash chain and the chain's hash after it
    # (merdeka.books.chain): set as it is written, never changed
    chain_seq = models.BigIntegerField(null=True, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="books_entry_once"),
            # two writers cannot both extend the chain from the same head
            models.UniqueConstraint(fields=["shop", "chain_seq"], name="books_entry_chain_seq"),
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


class ProfitDay(ShopOwnedModel):
    """Gross profit per shop, day, channel and product, kept as entries post
    (``merdeka.books.profit``): what the orders' entries of the day moved on sales
    (net of discounts) and cost of goods, shared over the order's lines, the units, and
    the part sold without a known cost. The gross-profit page sums days, not lines."""

    date = models.DateField()
    channel = models.CharField(max_length=20)
    # the catalog product sold (no foreign key: a row outlives a deleted product);
    # 0 for a line not sold from the catalog, then named by ``name``
    product_id = models.BigIntegerField(default=0)
    name = models.CharField(max_length=300, blank=True)
    sales = models.BigIntegerField(default=0)
    cost = models.BigIntegerField(default=0)
    units = models.BigIntegerField(default=0)
    units_without_cost = models.BigIntegerField(default=0)
    sales_without_cost = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "date", "channel", "product_id", "name"], name="books_profit_day"
            ),
        ]


class JournalMonth(ShopOwnedModel):
    """The journal's lines summed per shop, month, account and source, kept as entries
    post (``merdeka.books.totals``): debits, credits, how many lines and entries, and
    the first and last of those entries in the hash chain. The evidence pack's
    "where the figures come from" reads months, not lines."""

    month = models.DateField()  # its first day
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices)
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)
    lines = models.BigIntegerField(default=0)
    entries = models.BigIntegerField(default=0)
    first_seq = models.BigIntegerField(null=True, blank=True)
    last_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "month", "account", "source"], name="books_journal_month"
            ),
        ]


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
    # the reports (profit, the balance sheet...) are the owners'; an owner may open them
    # to the staff role too (merdeka.books.statements.may_see_reports)
    staff_see_reports = models.BooleanField(_("staff may see the reports"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop"], name="books_settings_once")]


class DebtKind(models.TextChoices):
    RECEIVABLE = "receivable", _("Owed to you")  # piutang
    PAYABLE = "payable", _("You owe")  # utang


class Debt(ShopOwnedModel, EncryptedModel):
    """A debt recorded by hand: a customer owes the seller (*piutang*, ``customer``) or
    the seller owes a creditor (*utang*, ``creditor``: a name for now, encrypted, since
    it may be a person's). Its entry and its payments' entries are the books; ``amount``
    and the payments are what the pages read. Never edited: a mistaken debt without
    payments is voided (its entry reversed)."""

    kind = models.CharField(max_length=12, choices=DebtKind.choices)
    # kept without anyone attached when the customer is erased (the books stay)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    creditor = EncryptedTextField(_("creditor"), null=True, blank=True)
    note = models.CharField(_("what it is for"), max_length=200, blank=True)
    amount = models.BigIntegerField()
    date = models.DateField()  # the shop's day the debt arose
    due_date = models.DateField()
    # piutang: the revenue credited or the money account a loan left; utang: the expense,
    # stock or money account debited
    counter_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=80, editable=False)  # the form's: a double tap is one
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="books_debt_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="books_debt_amount"),
        ]
        indexes = [
            models.Index(fields=["shop", "kind", "due_date"], name="books_debt_due"),
            models.Index(fields=["shop", "customer"], name="books_debt_customer"),
        ]


class DebtPayment(ShopOwnedModel):
    """Part or all of a debt paid, into (piutang) or out of (utang) a money account."""

    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField()
    date = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=80, editable=False)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="books_debt_payment_once"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="books_debt_payment_amount"
            ),
        ]


class DebtReminder(ShopOwnedModel):
    """One reminder sent to a customer about what she owes: a recorded debt, or a
    delivered order not fully paid. The message itself is outreach's ``Delivery``."""

    debt = models.ForeignKey(
        Debt, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    delivery = models.ForeignKey(
        "outreach.Delivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debt__isnull=False) | models.Q(order__isnull=False),
                name="books_reminder_about",
            )
        ]
        indexes = [
            models.Index(fields=["shop", "debt"], name="books_reminder_debt"),
            models.Index(fields=["shop", "order"], name="books_reminder_order"),
        ]


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


# -- the journal's hash chain and the lender's evidence pack ---------------------------


class JournalChain(ShopOwnedModel):
    """The head of a shop's journal hash chain (``merdeka.books.chain``): the row that
    every posting locks while it extends the chain, so that two cannot fork it."""

    seq = models.BigIntegerField(default=0)  # entries chained so far
    head = models.CharField(max_length=64)
    genesis = models.CharField(max_length=64)  # where the chain starts (a restore: the old head)
    month = models.DateField(null=True, blank=True)  # the shop's month of the last extension
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop"], name="books_chain_once")]


class ChainMonthHead(ShopOwnedModel):
    """The chain's head as a month ended: what the owner is told and every pack shows."""

    month = models.DateField()  # its first day
    seq = models.BigIntegerField()
    head = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "month"], name="books_chain_month_once")
        ]


class PackKey(ShopOwnedModel):
    """The shop's Ed25519 key that signs its packs' manifests: the private half wrapped
    by the master key (``privacy.keys``), the public half published."""

    public_key = models.CharField(max_length=64)  # base64 of the 32 raw bytes
    wrapped = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class EvidencePack(ShopOwnedModel):
    """A pack made for a lender: the signed zip as it was handed out."""

    start = models.DateField()
    end = models.DateField()
    head = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_at", "-id"]


class PackShare(ShopOwnedModel):
    """A read-only link to one pack for a lender: its token is kept only as a hash;
    it stops at ``expires_at`` or when revoked."""

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="shares")
    label = models.CharField(_("for whom"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


# -- the marketplaces' income and settlement reports ---------------------------------


class SettlementKind(models.TextChoices):
    ORDER = "order", _("Order released")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class MarketplaceSettlement(ShopOwnedModel):
    """One row of a marketplace's income or settlement report (``merdeka.books.
    settlements``): an order's money released into the seller balance with the fees
    taken from it, an adjustment, or a withdrawal of the balance to the bank. Written
    once per (marketplace, kind, reference): a report imported again adds nothing.
    Amounts in whole rupiah; the order is found by its number when it is shown, so an
    order export imported later matches too."""

    marketplace = models.CharField(max_length=20)
    kind = models.CharField(max_length=12, choices=SettlementKind.choices)
    reference = models.CharField(max_length=80)
    order_number = models.CharField(max_length=80, blank=True)
    date = models.DateField()  # released, settled or withdrawn, the shop's day
    fees = models.BigIntegerField(default=0)  # the platform's fees (biaya marketplace)
    shipping = models.BigIntegerField(default=0)  # shipping passed on to the courier
    subsidies = models.BigIntegerField(default=0)  # borne by the platform (vouchers...)
    released = models.BigIntegerField(default=0)  # what the report says was paid (signed)
    note = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "marketplace", "kind", "reference"], name="books_settlement_once"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "marketplace", "date"], name="books_settlement_day"),
            models.Index(fields=["shop", "order_number"], name="books_settlement_order"),
        ]


# -- imported order lines and the catalog: which variant, what it cost ---------------


class SkuMapping(ShopOwnedModel):
    """Which catalog variant an imported line's SKU (or, without one, its product and
    variation name) is, learned once from the seller (``merdeka.books.skus``) and used
    for every later import. ``key``: ``sku:<SKU>`` or ``name:<product>|<variation>``
    as the exports write them."""

    key = models.CharField(max_length=250)
    label = models.CharField(max_length=300)
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "id"]
        constraints = [models.UniqueConstraint(fields=["shop", "key"], name="books_sku_once")]


class ImportedLineCost(ShopOwnedModel):
    """The cost of goods of one imported order line, once it maps to a variant: its
    units at the variant's moving average cost when the line was first costed
    (imported sales move no stock, so the stock ledger has no cost for them). ``cost``
    None: the variant has no known cost yet (revenue without HPP, not guessed)."""

    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    # None once the variant is deleted, or in a shop restored from an export (which
    # carries no catalog): the cost stays as it was posted
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cost = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "order"], name="books_line_cost_order")]
