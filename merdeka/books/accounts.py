"""Her own chart: the expense categories and the money accounts a seller adds, renames
and switches off.

The defaults (``merdeka.books.chart``) map onto the lines of SAK EMKM's statements;
an expense category she adds is one more *beban* line, a money account she adds (a
second bank, another e-wallet) one more *kas dan setara kas* line (key ``money:<n>``,
so that the books know it holds money). An account that has postings is never deleted:
switched off, it leaves the forms and stays in the reports. The last category and the
last money account stay on, so that an expense can always be recorded.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from merdeka.books import services
from merdeka.books.chart import chart_ensure, is_money_key
from merdeka.books.models import Account, BooksSettings, Kind
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record

EXPENSE = "expense"
MONEY = "money"
GROUPS = (EXPENSE, MONEY)
MAX_NAME = 80
# the codes of what she adds: categories after the defaults' 6-1xx, money after cash,
# the bank and the e-wallet (1-10x..1-12x), before the marketplaces (1-15x)
CODES = {EXPENSE: ("6-2", 0, 999), MONEY: ("1-1", 30, 49)}


def group_of(account: Account) -> str | None:
    # an expense account the books post by themselves (the stock count's differences)
    # is not a category she pays into
    if account.kind == Kind.EXPENSE and (account.key is None or account.key.startswith("expense:")):
        return EXPENSE
    if account.kind == Kind.ASSET and is_money_key(account.key):
        return MONEY
    return None


def chart_accounts(*, shop, group: str, active_only: bool = False) -> list[Account]:
    """The shop's expense categories or money accounts, in the chart's order."""
    chart_ensure(shop=shop)
    with shop_scope(shop):
        rows = Account.objects.filter(shop=shop, kind=Kind.EXPENSE if group == EXPENSE else "asset")
        if active_only:
            rows = rows.filter(is_active=True)
        return [a for a in rows.order_by("code", "pk") if group_of(a) == group]


def _name(shop, group: str, name: str, *, other_than: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Write a name."))
    if len(name) > MAX_NAME:
        raise ServiceError(_("A name can have at most 80 characters."))
    for account in chart_accounts(shop=shop, group=group):
        if account.pk != other_than and account.name.casefold() == name.casefold():
            raise ServiceError(_("There is already one named %(name)s.") % {"name": account.name})
    return name


def _code(shop, group: str) -> str:
    prefix, first, last = CODES[group]
    taken = set(Account.objects.filter(shop=shop).values_list("code", flat=True))
    for number in range(first, last + 1):
        code = f"{prefix}{number:02d}"
        if code not in taken:
            return code
    raise ServiceError(_("The chart has no free code left for a new account."))


def account_add(*, shop, group: str, name: str, actor=None, request=None) -> Account:
    if group not in GROUPS:
        raise ValueError(group)
    with transaction.atomic(), shop_scope(shop):
        name = _name(shop, group, name)
        kind = Kind.EXPENSE if group == EXPENSE else Kind.ASSET
        for _attempt in range(3):
            code = _code(shop, group)
            key = f"money:{code}" if group == MONEY else None
            try:
                with transaction.atomic():
                    account = Account.objects.create(
                        shop=shop, code=code, name=name, kind=kind, key=key
                    )
                break
            except IntegrityError:  # the code was taken a moment ago
                continue
        else:
            raise ServiceError(_("Someone changed the chart just now. Try again."))
        audit_record(
            action="books.account_added",
            shop=shop,
            actor=actor,
            target=account,
            request=request,
            detail={"group": group, "code": account.code},
        )
    return account


def _editable(shop, account_id: int) -> tuple[Account, str]:
    account = Account.objects.select_for_update().filter(shop=shop, pk=account_id).first()
    group = group_of(account) if account is not None else None
    if group is None:
        raise ServiceError(_("Only expense categories and money accounts are edited here."))
    return account, group


def account_change(
    *, shop, account_id: int, name: str, is_active: bool, actor=None, request=None
) -> Account:
    """Rename an account or switch it off (or on again)."""
    with transaction.atomic(), shop_scope(shop):
        account, group = _editable(shop, account_id)
        name = _name(shop, group, name, other_than=account.pk)
        if account.is_active and not is_active:
            others = [
                a
                for a in chart_accounts(shop=shop, group=group, active_only=True)
                if a.pk != account.pk
            ]
            if not others:
                raise ServiceError(
                    _("Keep at least one category on.")
                    if group == EXPENSE
                    else _("Keep at least one money account on.")
                )
        before = {"name": account.name, "is_active": account.is_active}
        account.name, account.is_active = name, is_active
        account.save(update_fields=["name", "is_active"])
        audit_record(
            action="books.account_changed",
            shop=shop,
            actor=actor,
            target=account,
            request=request,
            detail={"renamed": before["name"] != name, "active": is_active},
        )
    return account


def books_settings_get(*, shop) -> BooksSettings:
    with shop_scope(shop):
        found = BooksSettings.objects.filter(shop=shop).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return BooksSettings.objects.create(shop=shop)
        except IntegrityError:
            return BooksSettings.objects.get(shop=shop)


def staff_see_reports_set(*, shop, allowed: bool, actor=None, request=None) -> None:
    """The owners open the profit and the statements to the staff role, or close them:
    the reports page's switch (``services.reports_access_set``), offered here too."""
    services.reports_access_set(shop=shop, staff_see_reports=allowed, actor=actor, request=request)
