"""An account's own numbers, weighed over all of its orders (issue 20).

A marketplace order carries the *recipient's* name and phone. The resolver decides on
each order as it comes (``resolution.Resolver``): a known account's order to a new
number under a name unlike the account's is a gift, and its number stays out. But the
account's name is the one of its *first* order: when that first order was a gift, the
account took the recipient's number, that number joined it to the recipient's own
account or WhatsApp number, and the account's own later orders looked like gifts
(bench/RESULTS.md, 2026-12-06: most of the wrong automatic merges at 100k lines).

``accounts_weigh`` looks at every order of the accounts an import run touched, once the
run's files are in (``imports.runs.run_finish``: the CLI, the upload task and a file
mapped later all close their run there). A number is an account's own when one of its
orders carries a name that a strict majority of the account's named orders agree with
(``own_numbers``); a number seen only under names the majority does not share is a
gift recipient's, and when the majority is split (one order to Siti's number as "Siti",
one to Agus's as "Agus") neither number says who the account is. An account tied to its
customer by such numbers only, in a customer that holds another account or member, is
taken out into a customer of its own with its orders: its own numbers join it to
whoever already has them (an exact-identifier merge, recorded and undoable like any);
its match keys go with it, so that the review pass can still suggest it to a person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from rapidfuzz import fuzz

from merdeka.core import bulk
from merdeka.core.phone import name_key, normalize_name
from merdeka.customers import workspace
from merdeka.customers.models import Customer, Identity, IdentityKind, MatchKey, Merge
from merdeka.customers.resolution import (
    NAMES_DIFFER,
    BuyerInput,
    Keys,
    buyer_evidence,
    customers_merge_many,
    phone_claim,
)
from merdeka.customers.selectors import (
    accounts_and_phones_sealed,
    identity_owners,
    identity_sources,
    orders_personal_sealed,
)
from merdeka.orders.models import Order, personal_opener
from merdeka.privacy import crypto

WHOLE_SHOP = 20_000  # from this many customers on, one streamed query beats many IN lists


def _agree(a: str, b: str) -> bool:
    return a == b or fuzz.token_set_ratio(a, b) >= NAMES_DIFFER


def own_numbers(orders: list[tuple[str | None, str | None]]) -> tuple[set[str], set[str]]:
    """Which numbers on an account's orders are its own. ``orders``: (name key, phone)
    of each order, either None when masked or missing. Returns (own, not own).

    A number is the account's own when one of its orders is named by a strict majority
    of the account's named orders (names that agree as the gift rule's do: typos, "Bu
    ...", "Siti R."), or when no order under it shows a name to weigh. With fewer than
    two named orders there is nothing to weigh: every number is the account's."""
    phones = {phone for _name, phone in orders if phone}
    named = [(name, phone) for name, phone in orders if name]
    if len(named) < 2:
        return phones, set()
    support = [sum(1 for other, _ in named if _agree(name, other)) for name, _ in named]
    half = len(named) / 2
    best: dict[str, int] = {}
    for (_name, phone), count in zip(named, support, strict=True):
        if phone:
            best[phone] = max(best.get(phone, 0), count)
    own = {phone for phone in phones if best.get(phone, len(named)) > half}
    return own, phones - own


@dataclass
class _Account:
    identity: int  # the username identity's id
    channel: str
    username: str
    orders: list[tuple] = field(default_factory=list)  # (ordered at, pk, name, phone)


@dataclass
class _Holder:
    """What weighing needs of a customer: its phone identities and its accounts."""

    phones: set[str] = field(default_factory=set)  # blind indexes
    accounts: list[_Account] = field(default_factory=list)
    others: int = 0  # identities that are not an account's username nor its orders' numbers


def _rows(queryset, ids: list[int]):
    """``queryset`` (``values_list`` led by ``customer_id``) restricted to ``ids``."""
    if len(ids) < WHOLE_SHOP:
        for part in bulk.chunks(ids):
            yield from queryset.filter(customer_id__in=part)
        return
    wanted = set(ids)
    for row in queryset.iterator(chunk_size=WHOLE_SHOP):
        if row[0] in wanted:
            yield row


def _holders(shop, ids: list[int]) -> dict[int, _Holder]:
    """The customers among ``ids`` that hold an account with two orders or more and
    somebody else (another account, a WhatsApp member, a contact): only they can hold
    two people. Read in two passes: plain columns for all, sealed ones for those."""
    channels_of: dict[int, set[str]] = defaultdict(set)
    accounts: Counter = Counter()
    plain: list[tuple[int, str, str]] = []
    for customer_id, kind, channel, source in identity_sources(shop_id=shop.pk, customer_ids=ids):
        if kind == IdentityKind.USERNAME:
            channels_of[customer_id].add(channel)
            accounts[customer_id] += 1
        else:
            plain.append((customer_id, kind, source))
    others: Counter = Counter()
    for customer_id, kind, source in plain:
        # a number or an email an order of the customer's accounts brought is theirs; a
        # WhatsApp member, a contact card or a number typed in is somebody in its own right
        if customer_id in channels_of and (
            kind == IdentityKind.WHATSAPP_NAME or source not in channels_of[customer_id]
        ):
            others[customer_id] += 1
    shared = [c for c in channels_of if accounts[c] + others[c] >= 2]
    # an account with one order has nothing to weigh (counted by the database)
    orders = (
        Order.objects.filter(shop=shop)
        .values("customer_id", "channel")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values_list("customer_id", "channel")
    )
    weighed = sorted(
        {
            customer_id
            for customer_id, channel in _rows(orders, sorted(shared))
            if channel in channels_of[customer_id]
        }
    )
    holders = {c: _Holder(others=others[c]) for c in weighed}
    # raw rows, the usernames opened with the shop's cipher once (a run reads thousands)
    open_ = crypto.Opener(shop_id=shop.pk, label=Identity._meta.label_lower).column("value")
    rows = accounts_and_phones_sealed(shop_id=shop.pk, customer_ids=weighed)
    for customer_id, pk, kind, channel, index, uid, value in rows:
        holder = holders[customer_id]
        if kind == IdentityKind.PHONE:
            holder.phones.add(index)
            continue
        username = open_(value, bulk.uid_text(uid).encode()) if value else None
        holder.accounts.append(_Account(pk, channel, normalize_name(username) or ""))
    return holders


def _orders_of(shop, holders: dict[int, _Holder]) -> None:
    """Each account's orders, with the recipient's name and number opened (and the
    buyer's username, when the customer has two accounts on the order's channel)."""
    by_key: dict[tuple[int, str], list[_Account]] = defaultdict(list)
    for customer_id, holder in holders.items():
        for account in holder.accounts:
            by_key[(customer_id, account.channel)].append(account)
    # raw rows (ordered here: ``ordered_at`` as SQLite's text sorts as the time does)
    rows = orders_personal_sealed(shop_id=shop.pk, customer_ids=sorted(holders))
    open_ = personal_opener(shop.pk)  # the order's values, opened at once
    for customer_id, channel, pk, uid, personal, at in rows:
        accounts = by_key.get((customer_id, channel))
        if not accounts:
            continue
        username, name, phone, _street, _city = open_(personal, bulk.uid_text(uid))
        account = accounts[0]
        if len(accounts) > 1:
            username = normalize_name(username)
            account = next((a for a in accounts if a.username == username), None)
            if account is None:
                continue
        account.orders.append((at, pk, name, phone))
    for accounts in by_key.values():
        for account in accounts:
            account.orders.sort()


def _decided_by_person(shop, customer_ids: list[int]) -> set[int]:
    """Identities a person (or strong evidence) brought into these customers: whatever
    the numbers say, such an account stays."""
    kept: set[int] = set()
    for part in bulk.chunks(customer_ids):
        rows = Merge.objects.filter(
            shop=shop,
            survivor_id__in=part,
            undone_at__isnull=True,
            reason__in=(Merge.Reason.REVIEWED, Merge.Reason.STRONG),
        ).values_list("moved_identities", flat=True)
        for moved in rows:
            kept.update(moved or ())
    return kept


@dataclass
class _Leaving:
    customer: int
    account: _Account
    own: set[str]  # its own numbers, E.164
    other: set[str]  # the numbers that are not


def accounts_weigh(*, shop, customer_ids, figures: bool = True) -> set[int]:
    """Take every account whose customer it shares only through numbers that are not its
    own (``own_numbers``) out into a customer of its own, with its orders. Returns the
    customers that changed (left, new, or merged into); their search tokens are written
    here, their list numbers too unless ``figures`` is False (the end of an import run
    refreshes them with the rest)."""
    holders = _holders(shop, sorted(set(customer_ids)))
    if not holders:
        return set()
    _orders_of(shop, holders)
    keys = Keys(shop.pk)
    leaving: list[_Leaving] = []
    for customer_id, holder in holders.items():
        for account in holder.accounts:
            weighed = [(name_key(name), phone) for _at, _pk, name, phone in account.orders]
            own, other = own_numbers(weighed)
            if not other:
                continue
            index = {phone: keys.index(phone_claim(phone)) for phone in own | other}
            tied = {phone for phone in own | other if index[phone] in holder.phones}
            if not tied or tied & own:
                continue  # an own number ties it, or nothing does (a merge a person made)
            rest = len(holder.accounts) - 1 + holder.others
            if rest < 1:
                continue  # nobody else is in that customer
            leaving.append(_Leaving(customer_id, account, own, other))
    if not leaving:
        return set()
    kept = _decided_by_person(shop, sorted({item.customer for item in leaving}))
    leaving = [item for item in leaving if item.account.identity not in kept]
    changed = _take_out(shop, leaving, keys)
    workspace.customers_regrouped(shop=shop, customer_ids=sorted(changed), figures=figures)
    return changed


def _places(shop, order_ids: list[int]) -> dict[int, tuple[str | None, str | None, str]]:
    """Street, city and province of these orders, opened: where a customer taken out
    lives, as its orders say."""
    open_ = personal_opener(shop.pk)
    places = {}
    for part in bulk.chunks(order_ids):
        rows = Order.objects.filter(shop=shop, pk__in=part).values_list(
            "pk", "uid", "personal", "province"
        )
        for pk, uid, personal, province in rows:
            *_who, street, city = open_(personal, uid)
            places[pk] = (street, city, province)
    return places


def _take_out(shop, leaving: list[_Leaving], keys: Keys) -> set[int]:
    """Give each leaving account a customer of its own: its username, its orders, its
    own numbers (or the customer that already has one), its match keys."""
    changed: set[int] = set()
    merges: list[tuple[int, int, str]] = []
    evidence: set[tuple[int, str, str]] = set()
    places = _places(shop, [o[1] for item in leaving for o in item.account.orders])
    for item in leaving:
        account = item.account
        # the orders that say who the account is: all but a gift to a number not its own
        # when the majority is clear; all of them when it is split (a person decides)
        named = [(at, pk, n, p) for at, pk, n, p in account.orders if name_key(n)]
        name, clear = _majority([(name_key(n), n) for _at, _pk, n, _p in named])
        telling = [o for o in account.orders if not (clear and o[3] in item.other)]
        own = sorted(item.own)
        street, city, province = places.get(telling[-1][1] if telling else -1, (None,) * 3)
        customer = Customer(
            shop=shop,
            name=name,
            phone=own[0] if own else None,
            address=street,
            city=city,
            province=(province or "")[:80],
        )
        customer.save()
        Identity.objects.filter(shop=shop, pk=account.identity).update(customer=customer)
        order_ids = [pk for _at, pk, _n, _p in account.orders]
        Order.objects.filter(shop=shop, pk__in=order_ids).update(customer=customer)
        changed.update((item.customer, customer.pk))
        indexes = {phone: keys.index(phone_claim(phone)) for phone in own}
        owners = dict(identity_owners(shop=shop, indexes=list(indexes.values())))
        joined = None
        for phone in own:
            holder = owners.get(indexes[phone])
            if holder is None:
                Identity(
                    shop=shop, customer=customer, kind=IdentityKind.PHONE, value=phone,
                    value_index=indexes[phone], source=account.channel[:20],
                ).save()  # fmt: skip
            elif joined is None:
                joined = holder
        if joined is not None:
            merges.append((joined, customer.pk, Merge.Reason.SAME_PHONE))
            changed.add(joined)
        for _at, pk, text, phone in telling:
            street, _city, _province = places.get(pk, (None,) * 3)
            buyer = BuyerInput(claims=[phone_claim(phone)], name=text, address=street)
            claims = [c for c in buyer.claims if c is not None]
            for kind, value in buyer_evidence(buyer, claims):
                evidence.add((customer.pk, kind, keys.key(kind, value)))
    bulk.insert(
        MatchKey,
        ("shop", "customer", "kind", "key"),
        sorted((shop.pk, *row) for row in evidence),
        shop_id=shop.pk,
    )
    if merges:
        # a customer taken out just now that another one joins stays (survivors are final)
        survivors = {s for s, _a, _r in merges}
        customers_merge_many(shop=shop, merges=[m for m in merges if m[1] not in survivors])
    return changed


def _majority(named: list[tuple[str, str]]) -> tuple[str | None, bool]:
    """The name most of the orders agree with (the latest such), and whether it is a
    strict majority; split, the latest name, for a person to recognise. ``named``:
    (name key, name as written) in order."""
    if not named:
        return None, False
    support = [sum(1 for other, _n in named if _agree(key, other)) for key, _n in named]
    top = max(support)
    if 2 * top <= len(named):
        return named[-1][1], False
    return [n for (_k, n), s in zip(named, support, strict=True) if s == top][-1], True
