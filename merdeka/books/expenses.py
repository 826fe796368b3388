"""An expense from the dashboard in three taps, with the photo of its receipt.

* ``expense_quick_record`` - the amount, the category and the account that paid
  (``services.expense_record`` posts it), and an optional photo of the receipt:
  checked and re-encoded *before* anything is written (a bad file records nothing),
  stored encrypted in the database like a payment proof (``ExpenseReceipt``). The
  account she paid from is remembered per member (``ExpenseHabit``): the next form
  starts there.
* ``expense_cancel`` - the owner cancels an expense: the books never delete, so it is
  reversed (``posting.entry_reverse``), audited; its receipt photo stays beside it.
* ``expense_receipt_delete`` - the photo of a *cancelled* expense's receipt, deleted by
  the owner (audited): the row goes and, on SQLite, its bytes are zeroed in the file.
  While the expense stands its photo is its evidence and stays.
* ``expense_list`` / ``expense_get`` / ``receipt_photo`` - what the expense pages read,
  always within the shop.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from merdeka.books import services
from merdeka.books.accounts import EXPENSE, MONEY, chart_accounts
from merdeka.books.models import (
    Account,
    ExpenseHabit,
    ExpenseReceipt,
    JournalEntry,
    JournalLine,
    Source,
)
from merdeka.books.posting import entry_reverse
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import proofs
from merdeka.privacy.audit import audit_record

MAX_RECEIPT_BYTES = proofs.MAX_BYTES


class ReceiptError(ServiceError):
    """The photo of the receipt cannot be kept (what is wrong, in her language)."""


def receipt_encode(upload) -> proofs.Encoded:
    """The cleaned photo of a receipt; ``ReceiptError`` (Indonesian) for a bad file."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_RECEIPT_BYTES:
        raise ReceiptError(_("The receipt photo is larger than 5 MB. Send a smaller one."))
    try:
        return proofs.encode(upload)
    except ServiceError as exc:
        raise ReceiptError(str(exc)) from None


def expense_quick_record(*, shop, receipt=None, actor=None, **expense) -> JournalEntry:
    """``services.expense_record`` (the same arguments, checked there) with the photo of
    its receipt kept beside the entry, and the account that paid remembered for her."""
    encoded = receipt_encode(receipt) if receipt is not None else None
    with transaction.atomic(), shop_scope(shop):
        entry = services.expense_record(shop=shop, actor=actor, **expense)
        if (
            encoded is not None
            and not ExpenseReceipt.objects.filter(shop=shop, entry=entry).exists()
        ):
            ExpenseReceipt.objects.create(
                shop=shop,
                entry=entry,
                photo=encoded.base64,
                width=encoded.width,
                height=encoded.height,
            )
        if getattr(actor, "pk", None):
            _habit_remember(shop, actor, expense["paid_from_id"])
    return entry


def _habit_remember(shop, user, paid_from_id: int) -> None:
    updated = ExpenseHabit.objects.filter(shop=shop, user=user).update(paid_from_id=paid_from_id)
    if updated:
        return
    try:
        with transaction.atomic():
            ExpenseHabit.objects.create(shop=shop, user=user, paid_from_id=paid_from_id)
    except IntegrityError:  # her other tab remembered it a moment ago
        ExpenseHabit.objects.filter(shop=shop, user=user).update(paid_from_id=paid_from_id)


@dataclass(frozen=True)
class QuickChoices:
    categories: list[Account]
    accounts: list[Account]
    paid_from_id: int | None  # the one her last expense came from, else cash


def quick_choices(*, shop, user) -> QuickChoices:
    categories = chart_accounts(shop=shop, group=EXPENSE, active_only=True)
    # a marketplace pays its fees out of its seller balance by itself (its income report)
    accounts = [
        a
        for a in chart_accounts(shop=shop, group=MONEY, active_only=True)
        if not a.key.startswith("marketplace:")
    ]
    ids = {a.pk for a in accounts}
    with shop_scope(shop):
        last = (
            ExpenseHabit.objects.filter(shop=shop, user=user)
            .values_list("paid_from_id", flat=True)
            .first()
        )
    if last not in ids:
        cash = [a.pk for a in accounts if a.key == "cash"]
        last = cash[0] if cash else (accounts[0].pk if accounts else None)
    return QuickChoices(categories, accounts, last)


@dataclass(frozen=True)
class Expense:
    entry: JournalEntry
    amount: int
    category: Account
    paid_from: Account
    has_receipt: bool
    receipt_width: int | None = None
    receipt_height: int | None = None


def _expenses(shop, entries: list[JournalEntry]) -> list[Expense]:
    ids = [e.pk for e in entries]
    lines: dict[int, list[JournalLine]] = {}
    for line in JournalLine.objects.filter(shop=shop, entry_id__in=ids).select_related("account"):
        lines.setdefault(line.entry_id, []).append(line)
    receipts = {
        entry_id: (width, height)
        for entry_id, width, height in ExpenseReceipt.objects.filter(
            shop=shop, entry_id__in=ids
        ).values_list("entry_id", "width", "height")
    }
    found = []
    for entry in entries:
        debit = next((line for line in lines.get(entry.pk, []) if line.debit), None)
        credit = next((line for line in lines.get(entry.pk, []) if line.credit), None)
        if debit is None or credit is None:
            continue
        size = receipts.get(entry.pk)
        found.append(
            Expense(
                entry=entry,
                amount=debit.debit,
                category=debit.account,
                paid_from=credit.account,
                has_receipt=size is not None,
                receipt_width=size[0] if size else None,
                receipt_height=size[1] if size else None,
            )
        )
    return found


def expense_list(*, shop, limit: int = 50) -> list[Expense]:
    """Her latest expenses, newest first (one query for the entries, one for their
    lines, one for which have a receipt)."""
    with shop_scope(shop):
        entries = list(
            JournalEntry.objects.filter(shop=shop, source=Source.EXPENSE)
            .select_related("created_by")
            .order_by("-date", "-pk")[:limit]
        )
        return _expenses(shop, entries)


def expense_get(*, shop, entry_id: int) -> Expense:
    """One expense of the shop; ``JournalEntry.DoesNotExist`` for anything else."""
    with shop_scope(shop):
        entry = (
            JournalEntry.objects.select_related("created_by", "reversed_by")
            .filter(shop=shop, source=Source.EXPENSE)
            .get(pk=entry_id)
        )
        found = _expenses(shop, [entry])
    if not found:
        raise JournalEntry.DoesNotExist
    return found[0]


def receipt_photo(*, shop, entry_id: int) -> bytes:
    """The receipt's WebP bytes; ``ExpenseReceipt.DoesNotExist`` when there is none."""
    with shop_scope(shop):
        receipt = ExpenseReceipt.objects.get(shop=shop, entry_id=entry_id)
        return proofs.decode(receipt.photo)


def _expense_locked(shop, entry_id: int) -> JournalEntry:
    return (
        JournalEntry.objects.select_for_update()
        .filter(shop=shop, source=Source.EXPENSE)
        .get(pk=entry_id)
    )


def expense_cancel(*, shop, entry_id: int, actor=None, request=None) -> JournalEntry:
    """Reverse an expense (see the module); its reversal. Cancelled already: that one.
    ``JournalEntry.DoesNotExist`` for anything that is not one of the shop's expenses."""
    with transaction.atomic(), shop_scope(shop):
        entry = _expense_locked(shop, entry_id)
        existing = JournalEntry.objects.filter(shop=shop, reverses=entry).first()
        if existing is not None:
            return existing
        reversal = entry_reverse(
            shop=shop,
            entry_id=entry.pk,
            memo=_("Expense cancelled: %(memo)s") % {"memo": entry.memo},
            actor=actor,
        )
        audit_record(
            action="books.expense_cancelled",
            shop=shop,
            actor=actor,
            target=entry,
            request=request,
            detail={"reversal": reversal.pk},
        )
    return reversal


def expense_receipt_delete(*, shop, entry_id: int, actor=None, request=None) -> bool:
    """Delete the receipt photo of a cancelled expense (see the module). False when it
    has none; ``ServiceError`` while the expense stands."""
    with transaction.atomic(), shop_scope(shop):
        entry = _expense_locked(shop, entry_id)
        if not JournalEntry.objects.filter(shop=shop, reverses=entry).exists():
            raise ServiceError(
                _("The photo is the evidence of this expense. Cancel the expense first.")
            )
        bulk.freed_space_zeroed()
        deleted, _by_model = ExpenseReceipt.objects.filter(shop=shop, entry=entry).delete()
        if deleted:
            audit_record(
                action="books.expense_receipt_deleted",
                shop=shop,
                actor=actor,
                target=entry,
                request=request,
            )
    return bool(deleted)
