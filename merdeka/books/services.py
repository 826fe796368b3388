"""What a seller records by hand in her books: what no order knows.

* ``expense_record`` - money out for a cost (bahan baku, sewa...), from the account
  that paid;
* ``transfer_record`` - money moved between her own accounts (a marketplace balance
  withdrawn to the bank, cash paid into the bank);
* ``owner_money_record`` - the owner putting money in (*modal*) or taking it out
  (*prive*);
* ``opening_balance_record`` - what an account held on the day the books start.

Each is one balanced entry through ``merdeka.books.posting`` (idempotent by the form's
key, so a double tap records once), audited. Staff may record; owners correct by
reversing (``posting.entry_reverse``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, BooksSettings, JournalEntry, Kind, Source
from merdeka.books.posting import MAX_AMOUNT, Line, entry_post, today
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record

MONEY_KINDS = frozenset({Kind.ASSET})
MAX_NOTE = 200


def _amount(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(_("Write the amount in whole rupiah, such as 125.000."))
    if not 0 < value < MAX_AMOUNT:
        raise ServiceError(_("An amount must be a whole number of rupiah above 0."))
    return value


def _account(shop, account_id: int, *, kinds: frozenset[str], what: str) -> Account:
    account = Account.objects.filter(shop=shop, pk=account_id, is_active=True).first()
    if account is None or account.kind not in kinds:
        raise ServiceError(_("Choose %(what)s from the list.") % {"what": what})
    return account


def _day(shop, day: dt.date | None) -> dt.date:
    day = day or today(shop)
    if day > today(shop):
        raise ServiceError(_("The date cannot be in the future."))
    return day


def _note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise ServiceError(_("The note can have at most 200 characters."))
    return note


def _post(shop, *, source, key, day, lines, memo, actor, request, action, detail):
    if not key or len(key) > 80:
        raise ValueError("a form key of 1-80 characters is needed")
    with transaction.atomic(), shop_scope(shop):
        existing = JournalEntry.objects.filter(shop=shop, key=f"{source}:{key}").first()
        if existing is not None:
            return existing
        entry = entry_post(
            shop=shop,
            date=day,
            source=source,
            key=f"{source}:{key}",
            lines=lines,
            memo=memo,
            actor=actor,
        )
        audit_record(
            action=action,
            shop=shop,
            actor=actor,
            target=entry,
            request=request,
            detail=detail,
        )
    return entry


def expense_record(
    *,
    shop,
    key: str,
    amount: int,
    category_id: int,
    paid_from_id: int,
    day: dt.date | None = None,
    note: str = "",
    actor=None,
    request=None,
) -> JournalEntry:
    """An expense paid from one of her accounts: Dr the category, Cr where it came from."""
    amount, note = _amount(amount), _note(note)
    with shop_scope(shop):
        category = _account(
            shop, category_id, kinds=frozenset({Kind.EXPENSE}), what=_("a category")
        )
        source = _account(shop, paid_from_id, kinds=MONEY_KINDS, what=_("the account that paid"))
        day = _day(shop, day)
    return _post(
        shop,
        source=Source.EXPENSE,
        key=key,
        day=day,
        lines=[Line(category.pk, debit=amount), Line(source.pk, credit=amount)],
        memo=note or category.name,
        actor=actor,
        request=request,
        action="books.expense_recorded",
        detail={"amount": amount, "category": category.pk, "paid_from": source.pk},
    )


def transfer_record(
    *,
    shop,
    key: str,
    amount: int,
    from_id: int,
    to_id: int,
    day: dt.date | None = None,
    note: str = "",
    actor=None,
    request=None,
) -> JournalEntry:
    """Money moved between two of her own accounts."""
    amount, note = _amount(amount), _note(note)
    if from_id == to_id:
        raise ServiceError(_("Choose two different accounts."))
    with shop_scope(shop):
        origin = _account(shop, from_id, kinds=MONEY_KINDS, what=_("the account it leaves"))
        target = _account(shop, to_id, kinds=MONEY_KINDS, what=_("the account it reaches"))
        day = _day(shop, day)
    return _post(
        shop,
        source=Source.TRANSFER,
        key=key,
        day=day,
        lines=[Line(target.pk, debit=amount), Line(origin.pk, credit=amount)],
        memo=note or f"{origin.name} → {target.name}",
        actor=actor,
        request=request,
        action="books.transfer_recorded",
        detail={"amount": amount, "from": origin.pk, "to": target.pk},
    )


def owner_money_record(
    *,
    shop,
    key: str,
    amount: int,
    account_id: int,
    putting_in: bool,
    day: dt.date | None = None,
    note: str = "",
    actor=None,
    request=None,
) -> JournalEntry:
    """The owner puts money into the business (modal) or takes it out (prive)."""
    amount, note = _amount(amount), _note(note)
    with shop_scope(shop):
        money = _account(shop, account_id, kinds=MONEY_KINDS, what=_("an account"))
        day = _day(shop, day)
    equity = accounts_by_key(shop=shop, keys=["capital", "drawings"])
    if putting_in:
        lines = [Line(money.pk, debit=amount), Line(equity["capital"], credit=amount)]
    else:
        lines = [Line(equity["drawings"], debit=amount), Line(money.pk, credit=amount)]
    return _post(
        shop,
        source=Source.CAPITAL,
        key=key,
        day=day,
        lines=lines,
        memo=note or (_("Owner's capital") if putting_in else _("Owner's drawings")),
        actor=actor,
        request=request,
        action="books.owner_money_recorded",
        detail={"amount": amount, "account": money.pk, "in": putting_in},
    )


def opening_balance_record(
    *, shop, account_id: int, amount: int, day: dt.date, actor=None, request=None
) -> JournalEntry:
    """What an asset or liability account held when the books start, against the
    owner's capital (a business's opening position is her money in it). Once per
    account: a correction is a reversal and a new opening."""
    amount = _amount(amount)
    with shop_scope(shop):
        account = _account(
            shop,
            account_id,
            kinds=frozenset({Kind.ASSET, Kind.LIABILITY}),
            what=_("an account"),
        )
        day = _day(shop, day)
    capital = accounts_by_key(shop=shop, keys=["capital"])["capital"]
    if account.kind == Kind.ASSET:
        lines = [Line(account.pk, debit=amount), Line(capital, credit=amount)]
    else:
        lines = [Line(capital, debit=amount), Line(account.pk, credit=amount)]
    return _post(
        shop,
        source=Source.OPENING,
        key=f"account-{account.pk}",
        day=day,
        lines=lines,
        memo=_("Opening balance"),
        actor=actor,
        request=request,
        action="books.opening_recorded",
        detail={"amount": amount, "account": account.pk},
    )


def reports_access_set(*, shop, staff_see_reports: bool, actor=None, request=None) -> bool:
    """An owner opens the reports (profit included) to the staff role, or closes them
    again (audited). False when nothing changed."""
    with transaction.atomic(), shop_scope(shop):
        settings, _made = BooksSettings.objects.select_for_update().get_or_create(shop=shop)
        if settings.staff_see_reports == staff_see_reports:
            return False
        settings.staff_see_reports = staff_see_reports
        settings.save(update_fields=["staff_see_reports"])
        audit_record(
            action="books.reports_access_set",
            shop=shop,
            actor=actor,
            request=request,
            detail={"staff_see_reports": staff_see_reports},
        )
    return True
