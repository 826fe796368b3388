"""Identity resolution: every buyer once, however many channels they came through.

Exact matches on a normalised phone (E.164), email or per-marketplace username merge
automatically, and every merge is recorded so that it can be undone. Likely matches
(similar names in the same city, a WhatsApp display name like a buyer's name) become
``MatchSuggestion`` rows for a person to review. All matching goes through blind
indexes; plaintext exists only in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz

from merdeka.core import bulk
from merdeka.core.events import Event, emit_events
from merdeka.core.phone import (
    address_key,
    name_initials,
    name_key,
    normalize_email,
    normalize_name,
    normalize_phone,
    phone_mask_key,
)
from merdeka.customers.imported_keys import KEYS_IMPORTED, keys_lock, merge_mark, pack
from merdeka.customers.models import (
    Customer,
    Identity,
    IdentityKind,
    MatchKey,
    MatchSuggestion,
    Merge,
)
from merdeka.customers.selectors import customer_rows, identity_owners, match_keys_of
from merdeka.customers.workspace import customers_resolving
from merdeka.orders.models import Order
from merdeka.privacy import crypto
from merdeka.privacy.consent import consent_recompute

# Below this token similarity (0-100) a recipient's name is not the account holder's:
# "Siti Rahmawati" ships to "Agus Salim". Typos, "Bu ...", "Siti R." stay above it.
NAMES_DIFFER = 60.0
EXACT_KINDS = (IdentityKind.PHONE, IdentityKind.EMAIL, IdentityKind.USERNAME)
MERGE_REASON = {
    IdentityKind.PHONE: Merge.Reason.SAME_PHONE,
    IdentityKind.EMAIL: Merge.Reason.SAME_EMAIL,
    IdentityKind.USERNAME: Merge.Reason.SAME_USERNAME,
}


class Claim(NamedTuple):
    """Something an input says about a buyer: kind, channel and normalised value.

    A named tuple, not a dataclass: an import makes one per claim of every order."""

    kind: str
    value: str
    channel: str = ""


def phone_claim(value: str | None) -> Claim | None:
    phone = normalize_phone(value)
    return Claim(IdentityKind.PHONE, phone) if phone else None


def email_claim(value: str | None) -> Claim | None:
    email = normalize_email(value)
    return Claim(IdentityKind.EMAIL, email) if email else None


def username_claim(value: str | None, channel: str) -> Claim | None:
    username = normalize_name(value)
    return Claim(IdentityKind.USERNAME, username, channel) if username else None


def wa_name_claim(value: str | None) -> Claim | None:
    name = normalize_name(value)
    return Claim(IdentityKind.WHATSAPP_NAME, name, "whatsapp") if name else None


def _identity_text(claim: Claim) -> str:
    return f"{claim.kind}|{claim.channel}|{claim.value}"


def identity_index(shop_id: int, claim: Claim) -> str:
    return crypto.blind_index(_identity_text(claim), shop_id=shop_id, purpose="identity")


@dataclass
class Outcome:
    customers_new: int = 0
    customers_merged: int = 0
    identities_new: int = 0


@dataclass(slots=True)
class BuyerInput:
    """One buyer to resolve: what the input claims, and what it says about them."""

    claims: list[Claim | None]
    name: str | None = None
    city: str = ""
    province: str = ""
    address: str | None = None
    seen_at: datetime | None = None
    phone_hint: str | None = None  # visible digits of a masked phone, for the review queue
    name_hint: str | None = None  # the letters a masked name shows ("a|i"), likewise
    # Filled by ``Keys.prepare`` (in the resolver, or ahead in the import's read-ahead
    # worker): the distinct claims with their blind indexes, and the match keys.
    indexed: list[tuple[Claim, str]] | None = None
    keys: frozenset[tuple[str, str]] | None = None

    def __reduce__(self):
        """Pickled flat: an import's read-ahead worker sends the writer tens of thousands
        of prepared buyers, and a ``Claim`` pickled as itself costs a Python call each
        way (its ``__getnewargs__``, its ``__new__``): half the time of the default."""
        fields = (self.name, self.city, self.province, self.address, self.seen_at,
                  self.phone_hint, self.name_hint)  # fmt: skip
        if self.indexed is None or self.keys is None:
            return BuyerInput, (self.claims, *fields, self.indexed, self.keys)
        at: dict[Claim, int] = {}
        flat: list = []  # kind, value, channel, blind index of each claim indexed
        for claim, index in self.indexed:
            at.setdefault(claim, len(at))
            flat += claim
            flat.append(index)
        if len(at) != len(self.indexed) or any(c not in at for c in self.claims if c):
            return BuyerInput, (self.claims, *fields, self.indexed, self.keys)
        picks = tuple(-1 if c is None else at[c] for c in self.claims)
        keys = [part for key in self.keys for part in key]
        return _buyer_unflattened, (tuple(flat), picks, *fields, tuple(keys))


def _buyer_unflattened(
    flat, picks, name, city, province, address, seen_at, phone_hint, name_hint, keys
) -> BuyerInput:
    """A prepared ``BuyerInput`` from ``BuyerInput.__reduce__``'s flat form."""
    made = tuple.__new__
    claims = [made(Claim, flat[at : at + 3]) for at in range(0, len(flat), 4)]
    indexed = [(claim, flat[4 * i + 3]) for i, claim in enumerate(claims)]
    parts = iter(keys)
    return BuyerInput(
        [None if at < 0 else claims[at] for at in picks],
        name,
        city,
        province,
        address,
        seen_at,
        phone_hint,
        name_hint,
        indexed,
        frozenset(zip(parts, parts, strict=True)),
    )


_NAME, _NAME_WORD = str(MatchKey.Kind.NAME), str(MatchKey.Kind.NAME_WORD)
_PHONE_MASK, _ADDRESS = str(MatchKey.Kind.PHONE_MASK), str(MatchKey.Kind.ADDRESS)
_PHONE_NAME = str(MatchKey.Kind.PHONE_NAME)
_PHONE = str(IdentityKind.PHONE)


def buyer_evidence(buyer: BuyerInput, claims) -> set[tuple[str, str]]:
    """What may tie this buyer to another customer for the review queue, in plaintext
    (``Keys.key`` hashes each): the name and its words, visible phone digits, street,
    and the visible digits with the name's first and last letter (what a masked order
    still shows of both)."""
    keys = set()
    name = name_key(buyer.name)
    if name:
        keys.add((_NAME, name))
        keys.update((_NAME_WORD, w) for w in name.split() if len(w) >= 3)
    digits = set()
    for claim in claims:
        if claim.kind == _PHONE:
            hint = phone_mask_key(claim.value)
            if hint:
                digits.add(hint)
    if buyer.phone_hint:
        digits.add(buyer.phone_hint)
    if digits:
        keys.update((_PHONE_MASK, hint) for hint in digits)
        initials = {buyer.name_hint} if buyer.name_hint else name_initials(buyer.name)
        keys.update((_PHONE_NAME, f"{hint}|{i}") for hint in digits for i in initials)
    address = address_key(buyer.address)
    if address:
        keys.add((_ADDRESS, address))
    return keys


class Keys:
    """The keyed hashes resolution needs for one shop, each distinct value hashed once:
    identity blind indexes and match keys."""

    MEMO = 1_000_000

    def __init__(self, shop_id: int):
        self._indexer = crypto.blind_indexer(shop_id=shop_id, purpose="identity")
        self._index_memo: dict[Claim, str] = {}
        self._key_indexer = crypto.blind_indexer(shop_id=shop_id, purpose="matchkey")
        self._key_memo: dict[tuple[str, str], str] = {}

    def index(self, claim: Claim) -> str:
        index = self._index_memo.get(claim)
        if index is None:
            index = self._indexer(_identity_text(claim))
            if len(self._index_memo) < self.MEMO:
                self._index_memo[claim] = index
        return index

    def key(self, kind: str, value: str) -> str:
        memo = self._key_memo.get((kind, value))
        if memo is None:
            memo = self._key_indexer(f"{kind}|{value}")[:16]
            if len(self._key_memo) < self.MEMO:
                self._key_memo[(kind, value)] = memo
        return memo

    def prepare(self, buyer: BuyerInput) -> BuyerInput:
        claims = [c for c in dict.fromkeys(buyer.claims) if c is not None]
        buyer.indexed = [(claim, self.index(claim)) for claim in claims]
        key = self.key
        buyer.keys = frozenset(
            (kind, key(kind, value)) for kind, value in buyer_evidence(buyer, claims)
        )
        return buyer


_PERSONAL = ("name", "phone", "email", "address", "city")
_PLAIN = ("province",)


def _customer_indexers(shop_id: int) -> dict:
    """The customer's blind indexes by source field, as ``Customer.save`` computes them."""
    return {field.source: field.indexer(shop_id) for field in Customer.blind_index_fields()}


def _fields_of(customer_id: int, pending: dict, gaps: dict) -> dict:
    """What a batch knows of a customer: all of a new one, the gaps of an existing one."""
    target = pending.get(customer_id)
    return gaps.setdefault(customer_id, {}) if target is None else target


def _fill(target: dict, values: dict) -> None:
    """Take the values ``target`` lacks; never overwrite one it has."""
    for attr, value in values.items():
        if value and not target.get(attr):
            target[attr] = value


class Resolver:
    """Resolves buyers to customers inside one shop, many at a time.

    ``resolve_many`` works set-wise: one blind-index lookup per chunk of claims, then
    a pass in memory that joins claims into customers (union-find), then bulk inserts
    of the new customers and identities, encrypted in bulk. Merges of customers that
    already exist go through ``customers_merge_many`` so that they are recorded and can
    be undone. Call it inside the caller's transaction: it writes nothing partial.
    """

    def __init__(self, *, shop, source: str, import_file=None, outcome: Outcome | None = None):
        self.shop = shop
        self.source = source
        self.import_file = import_file
        # an import's match keys follow its commit (imported_keys); the storefront's,
        # cards' and group buys' resolvers write theirs in their transaction (_write_keys)
        self.keys_later = import_file is not None
        if self.keys_later:
            # made first in the file's transaction: no delivery beside it (its merges),
            # taken before it locks any row, so that a delivery never waits in a cycle
            keys_lock(shop.pk, shared=True)
        self.outcome = outcome or Outcome()
        self._known: dict[str, int] = {}  # identity index -> customer id
        self._parent: dict[int, int] = {}  # union-find over customer ids merged in this run
        self._keys = Keys(shop.pk)
        self._names: dict[int, str] = {}  # name keys decrypted to tell gifts (_name_of)
        self._nameless: set[int] = set()  # customers without a name, as of this batch

    # -- union-find -------------------------------------------------------------
    def find(self, customer_id: int) -> int:
        parent = self._parent
        root = customer_id
        while root in parent:
            root = parent[root]
        while customer_id != root:  # path compression
            following = parent[customer_id]
            parent[customer_id] = root
            customer_id = following
        return root

    def _lookup(self, indexes: set[str]) -> None:
        known = self._known
        missing = [i for i in indexes if i not in known]
        for index, customer_id in identity_owners(shop=self.shop, indexes=missing):
            known[index] = customer_id

    # -- resolution ----------------------------------------------------------------
    def resolve(
        self,
        claims: list[Claim | None],
        *,
        name: str | None = None,
        city: str = "",
        province: str = "",
        address: str | None = None,
        seen_at: datetime | None = None,
    ) -> Customer | None:
        """Find or create the one customer these claims describe."""
        [customer_id] = self.resolve_many(
            [BuyerInput(claims, name, city, province, address, seen_at)]
        )
        return None if customer_id is None else Customer.objects.get(pk=customer_id)

    def resolve_many(self, buyers: list[BuyerInput]) -> list[int | None]:
        """The customer id of every buyer (None for a buyer with no usable claim)."""
        prepared = []
        wanted: set[str] = set()
        prepare = self._keys.prepare
        for buyer in buyers:
            if buyer.indexed is None or buyer.keys is None:
                prepare(buyer)
            indexed = buyer.indexed
            wanted.update(index for _, index in indexed)
            prepared.append(indexed)
        self._lookup(wanted)
        self._prefetch_names(buyers, prepared)

        existing_before = set(self._known.values())
        new_ids: list[int] = []
        pending: dict[int, dict] = {}  # new customer id -> its fields
        gaps: dict[int, dict] = {}  # existing customer id -> values for empty fields
        merges: list[tuple[int, int, str]] = []  # (survivor, absorbed, reason)
        identities: list[tuple] = []
        evidence: dict[int, set[tuple[str, str]]] = {}  # customer id -> hashed match keys
        results: list[int | None] = []
        known, find = self._known, self.find

        for buyer, indexed in zip(buyers, prepared, strict=True):
            if not indexed:
                results.append(None)
                continue
            exact: dict[int, str] = {}
            weak: set[int] = set()
            account = None  # the customer this buyer's marketplace username already is
            for claim, index in indexed:
                hit = known.get(index)
                if hit is None:
                    continue
                hit = find(hit)
                if claim.kind in EXACT_KINDS:
                    exact.setdefault(hit, claim.kind)
                    if claim.kind == IdentityKind.USERNAME:
                        account = hit
                else:
                    weak.add(hit)
            gift = account is not None and self._shipped_elsewhere(
                account, indexed, buyer.name, pending, gaps
            )
            if gift:
                # The recipient's phone is not the account holder's: it must not merge
                # them, nor become the holder's number, name, address or evidence.
                exact = {account: IdentityKind.USERNAME}
                indexed = [(c, i) for c, i in indexed if c.kind != IdentityKind.PHONE]
            if exact:
                survivor = min(exact)
                bridge = exact[survivor]
                for other in sorted(exact):
                    if other == survivor:
                        continue
                    self._parent[other] = survivor
                    self.outcome.customers_merged += 1
                    if other in pending:  # never written: its fields fill the survivor's gaps
                        _fill(_fields_of(survivor, pending, gaps), pending.pop(other))
                        self.outcome.customers_new -= 1
                    else:
                        merges.append((survivor, other, MERGE_REASON[bridge]))
                customer_id = survivor
            elif weak and len(indexed) == 1:
                # only a display name, already known: the same WhatsApp contact again
                customer_id = min(weak)
            else:
                if not new_ids:
                    # the buyers left are the most that can still be new
                    new_ids = bulk.reserve_ids(Customer, len(buyers) - len(results))
                    new_ids.reverse()
                customer_id = new_ids.pop()
                pending[customer_id] = {}
                self.outcome.customers_new += 1
            if not gift:
                self._remember(customer_id, buyer, indexed, pending, gaps)
                evidence.setdefault(customer_id, set()).update(buyer.keys)
            for claim, index in indexed:
                if index in known:
                    # Already known: it belongs to this customer (merges moved it here), or
                    # it is a display name shared with someone else, which never moves.
                    continue
                known[index] = customer_id
                identities.append((claim, index, customer_id, buyer.seen_at))
            results.append(customer_id)

        self._write(pending, gaps, merges, identities, existing_before)
        if self.keys_later:  # an import's: after its commit
            self._emit_keys(evidence)
        else:
            self._write_keys(evidence, existing_before)
        return [None if c is None else find(c) for c in results]

    def _shipped_elsewhere(self, account: int, indexed, name, pending, gaps) -> bool:
        """Was this order of a known account shipped to somebody else (a gift)?

        Marketplaces give the *recipient's* name and phone. When the phone is not one
        the account already has (a number new to it, or another customer's) and the
        recipient's name does not fit the account's name, the phone is the recipient's:
        merging on it would join two people (bench/dataset.py: 0.3 % of orders are gifts)."""
        new_number = False
        for claim, index in indexed:
            if claim.kind == IdentityKind.PHONE:
                hit = self._known.get(index)
                if hit is None or self.find(hit) != account:
                    new_number = True
        if not new_number:
            return False
        theirs = name_key(name)
        if not theirs:
            return False  # a masked recipient tells nothing: trust the number
        ours = self._name_of(account, pending, gaps)
        if not ours:
            return False
        return fuzz.token_set_ratio(theirs, ours) < NAMES_DIFFER

    def _prefetch_names(self, buyers, prepared) -> None:
        """Decrypt, in one query per chunk, the names ``_shipped_elsewhere`` may need:
        those of the known accounts that this batch's named orders come from with a
        number the account does not have (most repeat orders bring the number it has)."""
        self._nameless = set()  # a name may have been given since the last batch
        known, find = self._known, self.find
        accounts = set()
        for buyer, indexed in zip(buyers, prepared, strict=True):
            if not buyer.name:
                continue  # a recipient without a name tells nothing (_shipped_elsewhere)
            phones = [index for claim, index in indexed if claim.kind == IdentityKind.PHONE]
            if not phones:
                continue
            for claim, index in indexed:
                if claim.kind == IdentityKind.USERNAME and index in known:
                    account = find(known[index])
                    # only a number new to the account asks for its name; the batch's
                    # merges only join, so a number its own now stays its own
                    if any(p not in known or find(known[p]) != account for p in phones):
                        accounts.add(account)
        self._load_names([c for c in accounts if c not in self._names])

    def _load_names(self, ids: list[int]) -> None:
        label = Customer._meta.label_lower
        nameless = set(ids)
        for part in bulk.chunks(ids):
            rows = Customer.objects.filter(shop=self.shop, pk__in=part).values_list(
                "pk", "uid", "name"
            )
            for pk, uid, sealed in rows:
                if sealed is None:
                    continue
                text = crypto.decrypt(
                    sealed.token, shop_id=self.shop.pk, label=label, column="name", row=str(uid)
                )
                name = name_key(text)
                if name:
                    self._names[pk] = name
                    nameless.discard(pk)
        self._nameless |= nameless  # until the next batch, which may have named them

    def _name_of(self, customer_id: int, pending, gaps) -> str | None:
        """The name key of a customer: from this batch, or decrypted from its row."""
        fields = pending.get(customer_id) or gaps.get(customer_id) or {}
        if fields.get("name"):
            return name_key(fields["name"])
        if customer_id not in self._names and customer_id not in self._nameless:
            self._load_names([customer_id])
        return self._names.get(customer_id)

    @staticmethod
    def _remember(customer_id, buyer: BuyerInput, indexed, pending, gaps) -> None:
        phone = next((c.value for c, _ in indexed if c.kind == IdentityKind.PHONE), None)
        email = next((c.value for c, _ in indexed if c.kind == IdentityKind.EMAIL), None)
        values = {
            "name": buyer.name,
            "phone": phone,
            "email": email,
            "address": buyer.address,
            "city": buyer.city,
            "province": buyer.province,
        }
        _fill(_fields_of(customer_id, pending, gaps), values)

    def _wanted_keys(self, evidence: dict[int, set]) -> dict[int, set[tuple[str, str]]]:
        """The batch's match keys by customer, as the batch's merges left them."""
        wanted: dict[int, set[tuple[str, str]]] = {}
        for customer_id, keys in evidence.items():
            if keys:
                wanted.setdefault(self.find(customer_id), set()).update(keys)
        return wanted

    def _emit_keys(self, evidence: dict[int, set]) -> None:
        """An import's batch: its match keys go to the outbox (``imported_keys``), one
        event for the batch, written after the file's commit as ``_write_keys`` (the
        other resolvers' writer) would have written them now. Nothing before the review
        pass reads them."""
        wanted = self._wanted_keys(evidence)
        if not wanted:
            return
        shop_id = self.shop.pk
        keys_lock(shop_id, shared=True)  # held since __init__ in the file's transaction
        data = {"mark": merge_mark(shop_id), "keys": pack(wanted), "items": len(wanted)}
        emit_events([Event(kind=KEYS_IMPORTED, shop_id=shop_id, data=data)])

    def _write_keys(self, evidence: dict[int, set], existing_before: set[int]) -> None:
        """Store the new match keys of every customer seen (set-wise, no duplicates), in
        the caller's transaction: a resolver without an import (storefront orders,
        cards, group buys)."""
        wanted = self._wanted_keys(evidence)
        known = [c for c in wanted if c in existing_before]  # only they may have keys
        for customer_id, kind, key in match_keys_of(shop=self.shop, customer_ids=known):
            wanted.get(customer_id, set()).discard((kind, key))
        shop_id = self.shop.pk
        # In the order of the lookup index (shop, kind, key): the keys are hashes, and
        # written as they come each row lands on a random page of that index.
        rows = sorted(
            (kind, key, customer_id) for customer_id, keys in wanted.items() for kind, key in keys
        )
        bulk.insert(
            MatchKey,
            ("shop", "customer", "kind", "key"),
            ((shop_id, customer_id, kind, key) for kind, key, customer_id in rows),
            shop_id=shop_id,
        )

    def _write(self, pending, gaps, merges, identities, existing_before) -> None:
        shop = self.shop
        shop_id = shop.pk  # a property: read once, not per row
        if merges:
            customers_merge_many(
                shop=shop, merges=[(self.find(s), a, reason) for s, a, reason in merges]
            )
        now = timezone.now()
        # rows made as the backend stores them (``bulk.stored_as``): times as SQLite's
        # text there, ``now`` once; uids are text already (``new_uid``)
        (stored_time,) = bulk.stored_as(Identity, "first_seen_at")
        stored_now = stored_time(now)
        if pending:
            sealer = crypto.Sealer(shop_id=shop.pk, label=Customer._meta.label_lower)
            indexes = _customer_indexers(shop.pk)
            rows = []
            for customer_id, values in pending.items():
                uid = bulk.new_uid()
                row = bulk.dashed(uid)
                phone, email = values.get("phone"), values.get("email")
                rows.append(
                    (
                        customer_id,
                        shop_id,
                        uid,
                        sealer.version,
                        sealer.seal(values.get("name"), column="name", row=row),
                        sealer.seal(phone, column="phone", row=row),
                        sealer.seal(email, column="email", row=row),
                        sealer.seal(values.get("address"), column="address", row=row),
                        sealer.seal(values.get("city"), column="city", row=row),
                        (values.get("province") or "")[:80],
                        indexes["phone"](phone),
                        indexes["email"](email),
                        indexes["city"](values.get("city")),
                        stored_now,
                    )
                )
            bulk.insert(
                Customer,
                (
                    "id",
                    "shop",
                    "uid",
                    "key_version",
                    "name",
                    "phone",
                    "email",
                    "address",
                    "city",
                    "province",
                    "phone_index",
                    "email_index",
                    "city_index",
                    "created_at",
                ),
                rows,
                shop_id=shop_id,
                adapted=True,
            )
        if identities:
            sealer = crypto.Sealer(shop_id=shop.pk, label=Identity._meta.label_lower)
            import_file_id = self.import_file.pk if self.import_file is not None else None
            rows = []
            for claim, index, customer_id, seen_at in identities:
                uid = bulk.new_uid()
                seen_at = stored_time(seen_at)
                rows.append(
                    (
                        shop_id,
                        uid,
                        sealer.version,
                        self.find(customer_id),
                        claim.kind,
                        claim.channel,
                        sealer.seal(claim.value, column="value", row=bulk.dashed(uid)),
                        index,
                        self.source[:20],
                        import_file_id,
                        seen_at,
                        seen_at,
                        stored_now,
                    )
                )
            bulk.insert(
                Identity,
                (
                    "shop",
                    "uid",
                    "key_version",
                    "customer",
                    "kind",
                    "channel",
                    "value",
                    "value_index",
                    "source",
                    "import_file",
                    "first_seen_at",
                    "last_seen_at",
                    "created_at",
                ),
                rows,
                shop_id=shop_id,
                adapted=True,
            )
            self.outcome.identities_new += len(rows)
        survivors: dict[int, dict] = {}  # two absorbed customers may share a survivor
        for customer_id, values in gaps.items():
            _fill(survivors.setdefault(self.find(customer_id), {}), values)
        with customers_resolving(  # search tokens and list rows of what changed
            shop=shop,
            new=pending,
            phones=[(self.find(c), k.value) for k, _, c, _ in identities if k.kind == "phone"],
            merged=[(self.find(s), a) for s, a, _ in merges],
            gaps=survivors,
            tokens_later=self.import_file is not None,  # an import's: after its commit
        ):
            self._fill_gaps(survivors)

    def _fill_gaps(self, gaps: dict[int, dict]) -> None:
        """Give existing customers what they lack (a name, a phone...); never overwrite.

        Rows sealed under the active key are updated set-wise; a row still under an
        older key is saved through the model, which re-seals it whole (key rotation
        relies on one key version per row).
        """
        if not gaps:
            return
        fields = _PERSONAL + _PLAIN
        sealer = crypto.Sealer(shop_id=self.shop.pk, label=Customer._meta.label_lower)
        indexes = _customer_indexers(self.shop.pk)
        updates: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        old_key: list[int] = []
        # raw rows: a sealed column only needs to be told empty or not, never opened
        rows = customer_rows(shop=self.shop, customer_ids=list(gaps), fields=fields)
        for pk, uid, key_version, *current in rows:
            wanted = gaps[pk]
            changed = tuple(
                attr
                for attr, value in zip(fields, current, strict=True)
                if wanted.get(attr) and not value
            )
            if not changed:
                continue
            if key_version != sealer.version:
                old_key.append(pk)
                continue
            row, values, columns = bulk.uid_text(uid), [], []
            for attr in changed:
                value = wanted[attr]
                if attr in _PERSONAL:
                    columns.append(attr)
                    values.append(sealer.seal(value, column=attr, row=row))
                    if attr in indexes:
                        columns.append(f"{attr}_index")
                        values.append(indexes[attr](value))
                else:
                    columns.append(attr)
                    values.append(value[:80])
            updates[tuple(columns)].append((*values, pk))
        for columns, changes in updates.items():
            bulk.update(Customer, columns, changes, shop_id=self.shop.pk)
        for customer in Customer.objects.filter(pk__in=old_key):
            wanted = gaps[customer.pk]
            changed = [attr for attr in fields if wanted.get(attr) and not getattr(customer, attr)]
            for attr in changed:
                setattr(customer, attr, wanted[attr])
            customer.save(update_fields=changed)


@transaction.atomic
def customers_merge_many(*, shop, merges: list[tuple[int, int, str]], actor=None) -> None:
    """``customer_merge`` for many pairs at once (imports): the same records, written
    set-wise. ``merges`` holds (survivor id, absorbed id, reason); survivors are final."""
    if not merges:
        return
    survivor_of = {absorbed: survivor for survivor, absorbed, _ in merges}
    if set(survivor_of) & {survivor for survivor, _, _ in merges}:
        raise ValueError("a survivor cannot be absorbed in the same batch")
    moved: dict[type, dict[int, list[int]]] = {}
    for model in (Identity, Order, MatchKey):
        found: dict[int, list[int]] = defaultdict(list)
        for part in bulk.chunks(list(survivor_of)):
            rows = model.objects.filter(shop=shop, customer_id__in=part).values_list(
                "customer_id", "pk"
            )
            for customer_id, pk in rows:
                found[customer_id].append(pk)
        moved[model] = found
    pairs = [(survivor, absorbed) for survivor, absorbed, _ in merges]
    for model in (Identity, Order, MatchKey):
        bulk.update(model, ("customer",), pairs, shop_id=shop.pk, key="customer")
    bulk.update(Customer, ("merged_into",), pairs, shop_id=shop.pk)
    now = timezone.now()
    settled = []
    for part in bulk.chunks(list(survivor_of)):
        pending = MatchSuggestion.objects.filter(
            shop=shop, state=MatchSuggestion.State.PENDING
        ).filter(Q(customer_a_id__in=part) | Q(customer_b_id__in=part))
        for pk, a, b in pending.values_list("pk", "customer_a_id", "customer_b_id"):
            if survivor_of.get(a, a) == survivor_of.get(b, b):
                settled.append(pk)
    for part in bulk.chunks(settled):
        MatchSuggestion.objects.filter(pk__in=part).update(
            state=MatchSuggestion.State.MERGED, decided_by=actor, decided_at=now
        )
    bulk.insert(
        Merge,
        ("shop", "survivor", "absorbed", "reason", "moved_identities", "moved_orders",
         "moved_keys", "decided_by", "created_at"),
        [
            (shop.pk, survivor, absorbed, reason, moved[Identity].get(absorbed, []),
             moved[Order].get(absorbed, []), moved[MatchKey].get(absorbed, []),
             getattr(actor, "pk", None), now)
            for survivor, absorbed, reason in merges
        ],
        shop_id=shop.pk,
    )  # fmt: skip
    consent_recompute(shop=shop, customer_ids=[survivor for survivor, _ in pairs])


@transaction.atomic
def customer_merge(*, shop, survivor: Customer, absorbed: Customer, reason: str, actor=None):
    """Move ``absorbed``'s identities, orders and evidence to ``survivor``; recorded for
    undo. Returns the ``Merge``."""
    if survivor.pk == absorbed.pk or {survivor.shop_id, absorbed.shop_id} != {shop.pk}:
        raise ValueError("cannot merge a customer with itself or across shops")
    customers_merge_many(shop=shop, merges=[(survivor.pk, absorbed.pk, reason)], actor=actor)
    absorbed.merged_into = survivor
    return Merge.objects.filter(shop=shop, absorbed=absorbed).latest("id")


@transaction.atomic
def merge_undo(*, shop, merge: Merge, actor=None) -> None:
    """Give the absorbed customer back what the merge moved. Later merges stay."""
    if merge.undone_at is not None:
        return
    Identity.objects.filter(shop=shop, pk__in=merge.moved_identities).update(
        customer=merge.absorbed
    )
    Order.objects.filter(shop=shop, pk__in=merge.moved_orders).update(customer=merge.absorbed)
    MatchKey.objects.filter(shop=shop, pk__in=merge.moved_keys).update(customer=merge.absorbed)
    Customer.objects.filter(shop=shop, pk=merge.absorbed_id).update(merged_into=None)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    consent_recompute(shop=shop, customer_ids=[merge.survivor_id, merge.absorbed_id])
