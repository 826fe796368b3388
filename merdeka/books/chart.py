"""The default chart of accounts: small, in the words a seller uses, editable.

Each default account has a ``key`` that postings look it up by; the seller may rename
it or change its code, never its key. Accounts are made on first use (a shop that never
sells on Lazada has no Lazada balance)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from merdeka.books.models import Account, Kind
from merdeka.core.scoping import shop_scope

# key -> (code, name, kind); names are msgids, stored in the seller's language
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "cash": ("1-100", N_("Cash on hand"), Kind.ASSET),
    "bank": ("1-110", N_("Bank account"), Kind.ASSET),
    "ewallet": ("1-120", N_("E-wallet"), Kind.ASSET),
    "receivable": ("1-200", N_("Receivables"), Kind.ASSET),
    "inventory": ("1-300", N_("Stock (inventory)"), Kind.ASSET),
    "payable": ("2-100", N_("Payables"), Kind.LIABILITY),
    "customer_deposits": ("2-200", N_("Customer deposits"), Kind.LIABILITY),
    "capital": ("3-100", N_("Owner's capital"), Kind.EQUITY),
    "drawings": ("3-200", N_("Owner's drawings"), Kind.EQUITY),
    "sales": ("4-100", N_("Sales"), Kind.REVENUE),
    "shipping_income": ("4-200", N_("Shipping charged to buyers"), Kind.REVENUE),
    "discounts": ("4-300", N_("Discounts and vouchers"), Kind.REVENUE),
    "other_income": ("4-900", N_("Other income"), Kind.REVENUE),
    "cost_of_goods": ("5-100", N_("Cost of goods sold"), Kind.COST_OF_GOODS),
    "expense:raw_materials": ("6-100", N_("Raw materials"), Kind.EXPENSE),
    "expense:packaging": ("6-110", N_("Packaging"), Kind.EXPENSE),
    "expense:wages": ("6-120", N_("Wages"), Kind.EXPENSE),
    "expense:rent": ("6-130", N_("Rent"), Kind.EXPENSE),
    "expense:utilities": ("6-140", N_("Electricity and water"), Kind.EXPENSE),
    "expense:shipping": ("6-150", N_("Shipping costs"), Kind.EXPENSE),
    "expense:advertising": ("6-160", N_("Advertising and promotion"), Kind.EXPENSE),
    "expense:marketplace_fees": ("6-170", N_("Marketplace fees"), Kind.EXPENSE),
    # stok opname: stock missing at a count (a debit) or found (a credit)
    "stock_difference": ("6-180", N_("Stock count differences"), Kind.EXPENSE),
    "expense:other": ("6-190", N_("Other expenses"), Kind.EXPENSE),
    # PPh Final UMKM paid (merdeka.tax.services): SAK EMKM's *beban pajak*, its own line
    "tax_final": ("6-900", N_("Income tax expense (PPh Final)"), Kind.EXPENSE),
}
# one seller balance per marketplace, code 1-15x
MARKETPLACES = {
    "shopee": ("1-150", "Shopee"),
    "tiktok": ("1-151", "TikTok Shop"),
    "tokopedia": ("1-152", "Tokopedia"),
    "lazada": ("1-153", "Lazada"),
    "blibli": ("1-154", "Blibli"),
    "bukalapak": ("1-155", "Bukalapak"),
}


def marketplace_key(channel: str) -> str:
    return f"marketplace:{channel}"


# where her money sits: the defaults, the marketplaces' seller balances, and the
# accounts she adds herself (another bank, another e-wallet: key ``money:<n>``)
MONEY_KEYS = ("cash", "bank", "ewallet")


def is_money_key(key: str | None) -> bool:
    return bool(key) and (
        key in MONEY_KEYS or key.startswith("marketplace:") or key.startswith("money:")
    )


def _default(key: str) -> tuple[str, str, str]:
    if key.startswith("marketplace:"):
        code, label = MARKETPLACES[key.split(":", 1)[1]]
        return code, _("Seller balance %(marketplace)s") % {"marketplace": label}, Kind.ASSET
    code, name, kind = DEFAULTS[key]
    return code, _(name), kind


def accounts_by_key(*, shop, keys) -> dict[str, int]:
    """The ids of the accounts with these keys, made (from the defaults) where missing."""
    keys = set(keys)
    with shop_scope(shop):
        found = dict(Account.objects.filter(shop=shop, key__in=keys).values_list("key", "pk"))
        for key in sorted(keys - set(found)):
            found[key] = _create(shop, key)
    return found


def _create(shop, key: str) -> int:
    with translation.override("id"):
        code, name, kind = _default(key)
    try:
        with transaction.atomic():
            return Account.objects.create(shop=shop, key=key, code=code, name=name, kind=kind).pk
    except IntegrityError:  # made meanwhile, or the seller gave its code to another account
        existing = Account.objects.filter(shop=shop, key=key).values_list("pk", flat=True).first()
        if existing is not None:
            return existing
        with transaction.atomic():
            return Account.objects.create(
                shop=shop, key=key, code=f"{code}-{key[:4]}", name=name, kind=kind
            ).pk


def chart_ensure(*, shop) -> None:
    """Every default account of the shop (not the marketplaces': those on first use)."""
    accounts_by_key(shop=shop, keys=DEFAULTS)
