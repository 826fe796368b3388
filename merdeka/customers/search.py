"""Finding customers by a part of their name or phone without plaintext in the database.

Names and phones are encrypted (AES-GCM, random nonces), so SQL cannot compare them.
Instead every customer carries a set of **search tokens**: keyed hashes (HMAC-SHA256
under the shop's *index* key, purpose ``customers.search``, first 64 bits) of

* every prefix of 3 to 12 letters of every word of the name, and the whole word
  when it is shorter (``Siti Nurhaliza`` -> ``sit``, ``siti``, ``nur``, ``nurh`` …
  ``nurhaliza``), after case folding and dropping accents and punctuation;
* for every phone number the customer is known by (the customer's own and every
  phone identity, so a merged buyer is found by either number), the national
  significant number's prefixes of 3 to 7 digits and its suffixes of 4 and 6
  digits (``+62 812-3456-7890`` -> ``812`` … ``8123456``, ``7890`` and ``567890``),
  each hashed with its kind so a prefix never matches a suffix. A longer start (up to
  the whole number) or an end of 5, 7 or 8 digits is looked up by the longest stored
  piece it holds, and the few customers found are checked against their numbers,
  decrypted in memory (``_checked_holders``): the same customers as with a token per
  length, for half the phone tokens (issue 20).

A query is cut the same way: every word must match (AND), a word matches any name
word that starts with it; a query made of digits and phone punctuation is a phone:
``0812-3456``, ``+62 812 3456``, ``62812…`` all become the national digits ``8123456``
(a prefix), so a seller typing the start she knows (``0812``, four digits: the
operator's prefix) finds those numbers; four to eight digits, with or without a
leading 0, are also tried as the end of a number (the last four digits ``0123``).

What the table reveals, to someone who holds the database but not the shop's index
key (a stolen backup, a replica, a curious DBA):

* **equality**: two customers share a token, so they share a name prefix or a piece
  of a number. The identity blind index already shows equal phones; this adds
  "these two names begin alike" and, from the three-digit prefix, "these two numbers
  are of the same operator prefix" (0812, 0857...), which a handful of prefixes
  shared by everybody makes close to worthless;
* **counts and structure**: how many tokens a customer has (roughly the length of
  their name's words and how many numbers they have), how often a token occurs, and,
  from which tokens always occur together, which token is a prefix of which. With
  a list of common Indonesian names an attacker could guess that the most frequent
  3-letter token is "sit" or "muh" — a guess about the shop's most common name
  beginnings, never a confirmed name of a given person, and nothing about any digit
  of a phone number (every phone token is keyed: brute-forcing a prefix of a number
  needs the index key, which never is in the database). The stored pieces are a
  subset of those kept before issue 20, so this reveals no more than it did; a
  shared seven-digit start together with shared last six digits still tells that
  two customers share a number, as the identities' blind index does anyway;
* nothing across shops: each shop has its own index key, so the same name in two
  shops gives unrelated tokens.

That is the trade every searchable blind index makes (CipherSweet documents the same
for its "transformations"), and it is acceptable here because the threat the
encryption answers is the leaked dump or backup, where it leaves no name, no number
and no search term readable, while the shop on a phone gets an instant search. A
compromise of the running application is not covered by any of this (it holds the
keys), as docs/decisions/search-tokens.md says. Search words are never stored, logged or
put in a URL in plaintext: the list page carries them sealed (``seal_query``).
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Iterable

from django.db import connection

from merdeka.core import bulk
from merdeka.core.phone import normalize_phone
from merdeka.customers.models import Customer, Identity, IdentityKind, SearchToken
from merdeka.privacy import crypto

PURPOSE = "customers.search"
NAME_MIN, NAME_MAX = 3, 12
PHONE_PREFIX_MIN = 3  # "0812": the operator's prefix, as a seller types it
PHONE_SUFFIX_MIN, PHONE_SUFFIX_MAX = 4, 8
# What is stored of a number, a subset of what a query asks for: prefixes up to seven
# national digits ("812 3456": a few numbers of a shop begin so, tens at a million
# customers) and suffixes of four and six digits. A longer prefix (to the whole number)
# or a suffix of five, seven or eight digits is looked up by the longest stored piece
# it begins or ends with, and the few customers holding that are checked against their
# numbers, decrypted in memory (``_checked_holders``): the same customers are found, with
# half the phone tokens written (7 instead of 14 for an 11-digit number).
PHONE_PREFIX_STORED = 7
PHONE_SUFFIX_STORED = (4, 6)
NAME, PHONE_PREFIX, PHONE_SUFFIX = "n", "p", "s"

_WORD = re.compile(r"[^\W_]+")
_PHONE_QUERY = re.compile(r"^[\d\s+\-().]+$")
_DIGITS = re.compile(r"\D")
_INT64 = struct.Struct(">q")


def normalize_words(text: str | None) -> list[str]:
    """Case-folded words without accents or punctuation: ``Dewi-Ayu Ré`` -> dewi, ayu, re."""
    if not text:
        return []
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(folded)


def name_terms(name: str | None) -> set[tuple[str, str]]:
    terms = set()
    for word in normalize_words(name):
        if word.isdigit():
            continue
        if len(word) < NAME_MIN:
            terms.add((NAME, word))
            continue
        for end in range(NAME_MIN, min(len(word), NAME_MAX) + 1):
            terms.add((NAME, word[:end]))
    return terms


def national_digits(e164: str | None) -> str | None:
    """``+6281234567890`` -> ``81234567890``; other countries keep their whole digits."""
    if not e164:
        return None
    digits = _DIGITS.sub("", e164)
    return digits[2:] if e164.startswith("+62") else digits or None


def phone_terms(e164: str | None) -> set[tuple[str, str]]:
    digits = national_digits(e164)
    if not digits:
        return set()
    top = min(len(digits), PHONE_PREFIX_STORED)
    terms = {(PHONE_PREFIX, digits[:end]) for end in range(PHONE_PREFIX_MIN, top + 1)}
    for size in PHONE_SUFFIX_STORED:
        if size <= len(digits):
            terms.add((PHONE_SUFFIX, digits[-size:]))
    return terms


def stored_term(term: tuple[str, str]) -> tuple[str, str]:
    """The stored token that every number matching a query's phone ``term`` holds:
    the term itself, or the longest stored prefix it begins with (suffix it ends with).
    A name's term is stored as it is."""
    kind, text = term
    if kind == PHONE_PREFIX and len(text) > PHONE_PREFIX_STORED:
        return (kind, text[:PHONE_PREFIX_STORED])
    if kind == PHONE_SUFFIX and len(text) not in PHONE_SUFFIX_STORED:
        size = max((n for n in PHONE_SUFFIX_STORED if n <= len(text)), default=len(text))
        return (kind, text[-size:])
    return term


def number_matches(term: tuple[str, str], e164: str | None) -> bool:
    """Whether a number is one a query's phone ``term`` asks for (its national digits
    begin, or end, with the term's)."""
    digits = national_digits(e164)
    if not digits:
        return False
    kind, text = term
    return digits.startswith(text) if kind == PHONE_PREFIX else digits.endswith(text)


def customer_terms(name: str | None, phones: Iterable[str | None]) -> set[tuple[str, str]]:
    terms = name_terms(name)
    for phone in phones:
        terms |= phone_terms(phone)
    return terms


class Hasher:
    """``(kind, text) -> signed 64-bit token`` with the shop's index key looked up once."""

    def __init__(self, shop_id: int):
        self._base = crypto._mac(shop_id)  # the shop's index key, as blind_index uses it
        self._prefix = f"{PURPOSE}:v1:".encode()
        self._memo: dict[tuple[str, str], int] = {}

    def __call__(self, term: tuple[str, str]) -> int:
        token = self._memo.get(term)
        if token is None:
            digest = self._base.copy()
            digest.update(self._prefix + f"{term[0]}|{term[1]}".encode())
            token = _INT64.unpack(digest.digest()[:8])[0]
            if len(self._memo) < 500_000:
                self._memo[term] = token
        return token


# -- queries -----------------------------------------------------------------------


def query_terms(query: str) -> list[list[tuple[str, str]]]:
    """What a query asks for: a list of alternatives per required part (all must hold).

    ``[[n:sit], [n:nur]]`` for "Sit Nur"; ``[[p:8123456]]`` for "0812-3456";
    ``[[p:812, s:0812]]`` for "0812" (the start of a number, or its last four digits);
    ``[[s:7890, p:7890]]`` for "7890". Returns [] when nothing in the query can be
    searched for (fewer than four digits, or a start shorter than "0812").
    """
    text = (query or "").strip()
    if not text:
        return []
    if _PHONE_QUERY.match(text):
        digits = _DIGITS.sub("", text)
        if len(digits) >= PHONE_SUFFIX_MIN:
            full = normalize_phone(text)
            if full is not None:  # a whole number, in any format
                return [[(PHONE_PREFIX, national_digits(full))]]
            options = []
            if text.startswith("+") or (digits.startswith("62") and len(digits) >= 7):
                national = digits[2:] if digits.startswith("62") else digits
            else:  # "0812…" or bare digits: the start of a number, or the end of one
                national = digits[1:] if digits.startswith("0") else digits
                if len(digits) <= PHONE_SUFFIX_MAX:
                    options.append((PHONE_SUFFIX, digits))
            if len(national) >= PHONE_PREFIX_MIN:
                options.append((PHONE_PREFIX, national))
            return [options] if options else []
    parts = []
    for word in dict.fromkeys(normalize_words(text)):
        if word.isdigit():
            continue
        parts.append([(NAME, word[:NAME_MAX])])
    return parts


def whole_number(query: str) -> str | None:
    """The E.164 form of a query that is a whole phone number (in any format), else None."""
    text = (query or "").strip()
    if not _PHONE_QUERY.match(text) or len(_DIGITS.sub("", text)) < PHONE_SUFFIX_MIN:
        return None
    return normalize_phone(text)


def phone_owners(shop, e164: str) -> set[int]:
    """The customers holding this number as a phone identity (its blind index)."""
    from merdeka.customers.resolution import (  # it imports this module (via workspace)
        identity_index,
        phone_claim,
    )

    index = identity_index(shop.pk, phone_claim(e164))
    return set(
        Identity.objects.filter(shop=shop, kind=IdentityKind.PHONE, value_index=index).values_list(
            "customer_id", flat=True
        )
    )


def _checked_holders(shop, hasher, terms: list[tuple[str, str]]) -> set[int]:
    """The customers holding the stored token of each of these phone terms
    (``stored_term``) whose numbers (their own and every phone identity, decrypted in
    memory) really match one of them: a prefix longer than the stored ones is held by
    a few numbers beginning alike, a suffix of five, seven or eight digits by the
    numbers ending in its last four or six."""
    wanted = {}
    for term in terms:
        wanted.setdefault(hasher(stored_term(term)), []).append(term)
    holders = SearchToken.objects.filter(shop=shop, token__in=list(wanted))
    candidates: dict[int, list[tuple[str, str]]] = {}
    for customer_id, token in holders.values_list("customer_id", "token"):
        candidates.setdefault(customer_id, []).extend(wanted[token])
    if not candidates:
        return set()
    numbers = _phones_of(shop, candidates)
    for pk, number in customer_numbers(shop=shop, customer_ids=candidates):
        numbers.setdefault(pk, set()).add(number)
    return {
        pk
        for pk, asked in candidates.items()
        if any(number_matches(term, n) for term in asked for n in numbers.get(pk, ()))
    }


MATERIALIZE_MAX = 5000  # PostgreSQL: matches of a query of several parts listed by id
PROBE_FIRST = 1000  # tokens counted per part at first when ordering parts by rarity
PROBE_GROWTH = 4
PROBE_MAX = 1 << 20


def _probe(shop, tokens: list[int], limit: int) -> int:
    """How many entries these tokens have, counted up to ``limit`` (an index range
    read that stops there)."""
    return SearchToken.objects.filter(shop=shop, token__in=tokens)[:limit].count()


def by_rarity(*, shop, parts: list[list[int]]) -> list[list[int]]:
    """The parts of a query (token alternatives each), rarest first.

    Counting every entry of a common part ("sit", 150,000 customers) costs what the
    intersection would, so the parts are counted with a limit that grows fourfold
    until one of them falls below it: that one is the rarest, and the counting cost
    a few times its size, not the size of the common ones."""
    if len(parts) < 2:
        return parts
    counts = [0] * len(parts)
    limit = PROBE_FIRST
    while True:
        for i, tokens in enumerate(parts):
            counts[i] = _probe(shop, tokens, limit)
        if min(counts) < limit or limit >= PROBE_MAX:
            break
        limit *= PROBE_GROWTH
    order = sorted(range(len(parts)), key=lambda i: counts[i])
    return [parts[i] for i in order]


def matching_customer_ids(*, shop, query: str):
    """The ids of the shop's customers matching ``query`` (every part): a queryset to
    use as a subquery, or a list of at most ``MATERIALIZE_MAX`` (see below); None when
    the query holds nothing searchable.

    Driven from the rarest part: its entries are read, and each of the other parts is
    an index probe per candidate (``EXISTS`` on (shop, token, customer)), so a common
    first name with a rarer second word reads the rarer word's list once instead of
    two long lists to intersect."""
    from django.db.models import Exists, OuterRef

    parts = query_terms(query)
    if not parts:
        return None
    hasher = Hasher(shop.pk)
    whole = whole_number(query)
    if whole is not None:
        # A whole number also finds its owners through the phone identities' blind index:
        # an import's new customers get their phone tokens after the file commits (with
        # their names'), and the number a buyer messages from must find her at once.
        return sorted(_checked_holders(shop, hasher, parts[0]) | phone_owners(shop, whole))
    if any(stored_term(term) != term for options in parts for term in options):
        # a phone query (one part) asking for more than the stored pieces: the holders
        # of the exactly stored ones, and those of the others that their numbers confirm
        [options] = parts
        exact = [hasher(term) for term in options if stored_term(term) == term]
        checked = sorted(
            _checked_holders(shop, hasher, [t for t in options if stored_term(t) != t])
        )
        if not exact or not checked:
            return checked or SearchToken.objects.filter(shop=shop, token__in=exact).values(
                "customer_id"
            )
        # a UNION, each side an index range: ``token IN … OR customer_id IN …`` in one
        # subquery scanned every token of the shop on SQLite (250 ms at 35,000 customers)
        return (
            SearchToken.objects.filter(shop=shop, token__in=exact)
            .values("customer_id")
            .union(
                SearchToken.objects.filter(shop=shop, customer_id__in=checked).values("customer_id")
            )
        )
    token_parts = [list(dict.fromkeys(hasher(term) for term in options)) for options in parts]
    rarest, *others = by_rarity(shop=shop, parts=token_parts)
    ids = SearchToken.objects.filter(shop=shop, token__in=rarest)
    for tokens in others:
        ids = ids.filter(
            Exists(
                SearchToken.objects.filter(
                    shop=shop, token__in=tokens, customer_id=OuterRef("customer_id")
                )
            )
        )
    ids = ids.values("customer_id")
    if others and connection.vendor == "postgresql":
        # Under a page's ORDER BY … LIMIT, PostgreSQL's planner walks the sort's index
        # and probes every part per row, guessing that the parts are independent: for
        # two words whose intersection is small it reads most of the shop (1.9 s at a
        # million customers). Run the rarest-driven intersection on its own (tens of
        # ms) and hand the page its ids; a huge intersection stays a subquery, where
        # the walk finds a page quickly.
        found = list(ids.values_list("customer_id", flat=True)[: MATERIALIZE_MAX + 1])
        if len(found) <= MATERIALIZE_MAX:
            return found
    return ids


# -- writing -------------------------------------------------------------------------


def _opener(shop_id: int, model):
    label = model._meta.label_lower

    def open_(sealed, uid, column: str) -> str | None:
        if sealed is None:
            return None
        return crypto.decrypt(sealed.token, shop_id=shop_id, label=label, column=column,
                              row=str(uid))  # fmt: skip

    return open_


def _phones_of(shop, customer_ids) -> dict[int, set[str]]:
    """Every phone identity of these customers, decrypted in memory."""
    open_ = _opener(shop.pk, Identity)
    found: dict[int, set[str]] = {}
    for part in bulk.chunks(list(customer_ids)):
        rows = Identity.objects.filter(
            shop=shop, customer_id__in=part, kind=IdentityKind.PHONE
        ).values_list("customer_id", "uid", "value")
        for customer_id, uid, value in rows:
            found.setdefault(customer_id, set()).add(open_(value, uid, "value"))
    return found


def customer_fields(
    *, shop, customer_ids, live: bool = False
) -> list[tuple[int, str | None, str | None]]:
    """(id, name, phone) of these customers (``live``: those not merged away), decrypted
    in memory, without models."""
    open_ = _opener(shop.pk, Customer)
    found = []
    for part in bulk.chunks(list(customer_ids)):
        rows = Customer.objects.filter(shop=shop, pk__in=part)
        if live:
            rows = rows.filter(merged_into__isnull=True)
        rows = rows.values_list("pk", "uid", "name", "phone")
        found.extend(
            (pk, open_(name, uid, "name"), open_(phone, uid, "phone"))
            for pk, uid, name, phone in rows
        )
    return found


def customer_numbers(*, shop, customer_ids) -> list[tuple[int, str | None]]:
    """(id, phone) of these customers, decrypted in memory (their own number only)."""
    open_ = _opener(shop.pk, Customer)
    found = []
    for part in bulk.chunks(list(customer_ids)):
        rows = Customer.objects.filter(shop=shop, pk__in=part).values_list("pk", "uid", "phone")
        found.extend((pk, open_(phone, uid, "phone")) for pk, uid, phone in rows)
    return found


def live_customer_fields(*, shop, batch: int = 5000, phone: bool = True):
    """(id, name, phone) of every live customer of the shop, streamed in id order
    (phone None unless ``phone``)."""
    open_ = _opener(shop.pk, Customer)
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(shop=shop, merged_into__isnull=True, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "uid", "name", "phone")[:batch]
        )
        if not rows:
            return
        last = rows[-1][0]
        for pk, uid, name, number in rows:
            yield pk, open_(name, uid, "name"), open_(number, uid, "phone") if phone else None


def index_customers(
    *,
    shop,
    known: dict[int, tuple[str | None, Iterable[str | None]]] | None = None,
    customer_ids: Iterable[int] = (),
    new: bool = False,
) -> int:
    """(Re)write the search tokens of some customers; returns the tokens written.

    ``known`` maps customer id -> (name, phones) already in memory (an import's new
    customers), so nothing is decrypted for them; ``customer_ids`` are read from the
    database (name, phone and every phone identity, decrypted in memory). With
    ``new=True`` the ``known`` customers are taken to have no tokens yet (nothing to
    delete first). Set-wise: one delete and one bulk insert per chunk. Call inside the
    caller's transaction.
    """
    known = dict(known or {})
    reread = [pk for pk in dict.fromkeys(customer_ids) if pk not in known]
    if reread:
        phones = _phones_of(shop, reread)
        for pk, name, phone in customer_fields(shop=shop, customer_ids=reread):
            known[pk] = (name, [phone, *phones.get(pk, ())])
    if not known:
        return 0
    stale = reread if new else list(known)
    for part in bulk.chunks(stale):
        SearchToken.objects.filter(shop=shop, customer_id__in=part).delete()
    hasher = Hasher(shop.pk)
    shop_id = shop.pk
    # In the order of the lookup index: an import's batch brings hundreds of thousands
    # of tokens, and inserted in index order they touch each index page once instead of
    # a random page per row (the index outgrows the page cache in a large shop).
    # (Each row is packed into one int, token then customer id, to sort half the size.)
    if max(known) > _ID_BITS:
        raise ValueError("customer ids above 2**32 do not pack")
    rows = sorted(
        (token + _TOKEN_OFFSET) << 32 | customer_id
        for customer_id, (name, phones) in known.items()
        for token in {hasher(term) for term in customer_terms(name, phones)}
    )
    return bulk.insert(
        SearchToken,
        ("shop", "customer", "token"),
        ((shop_id, row & _ID_BITS, (row >> 32) - _TOKEN_OFFSET) for row in rows),
        shop_id=shop_id,
    )


_TOKEN_OFFSET = 1 << 63  # a signed 64-bit token made non-negative, order kept
_ID_BITS = (1 << 32) - 1  # customer ids stay below 2**32


def phone_identities(*, shop, customer_ids) -> dict[int, set[str]]:
    """Every phone identity of these customers, decrypted in memory."""
    return _phones_of(shop, customer_ids)


def tokens_add(*, shop, phones: dict[int, set[str]]) -> int:
    """Give customers the tokens of more numbers (customer id -> E.164 numbers) that
    they do not carry yet: after a merge, the survivor is found by the numbers it took
    over, and its name and own number are as they were, so nothing is read back or
    decrypted. Returns the tokens written."""
    hasher = Hasher(shop.pk)
    wanted = {
        (hasher(term), customer_id)
        for customer_id, numbers in phones.items()
        for term in customer_terms(None, numbers)
    }
    return _tokens_missing_add(shop, wanted, sorted(phones))


def imported_tokens_add(*, shop, customer_ids: Iterable[int]) -> int:
    """Give live customers the tokens of their names and numbers that they do not carry
    yet: an import's new customers, whose tokens come after the file's commit
    (``merdeka.customers.workspace.imported_index``; the whole number finds them at once
    through the phone identities, ``phone_owners``). Reads the names and numbers now
    (decrypted in memory): a customer renamed or merged meanwhile is as it is now.
    Running it again writes nothing. Returns the tokens written."""
    hasher = Hasher(shop.pk)
    fields, phones = _imported_fields(shop.pk, sorted(set(customer_ids)))
    wanted: set[int] = set()
    found: list[int] = []
    for pk, name, phone in fields:
        found.append(pk)
        terms = customer_terms(name, [phone, *phones.get(pk, ())])
        _packed(0, pk)  # the id's range checked once, its tokens packed inline
        wanted.update((hasher(term) + _TOKEN_OFFSET) << 32 | pk for term in terms)
    return _packed_missing_add(shop, wanted, found)


def _imported_fields(shop_id: int, customer_ids: list[int]):
    """``customer_fields(live=True)`` and ``_phones_of`` of these customers, read as raw
    rows (a delivery reads tens of thousands: no queryset per chunk, no ``Sealed`` per
    value) and decrypted as those are."""
    from merdeka.customers.selectors import (  # they import this module
        live_names_and_phones,
        phone_identities_sealed,
    )

    customer = Customer._meta.label_lower
    identity = Identity._meta.label_lower

    def open_(sealed, row: str, label: str, column: str) -> str | None:
        if sealed is None or sealed == "":  # what the field reads as no value
            return None
        return crypto.decrypt(sealed, shop_id=shop_id, label=label, column=column, row=row)

    fields = []
    for pk, uid, name, phone in live_names_and_phones(shop_id=shop_id, customer_ids=customer_ids):
        row = bulk.uid_text(uid)
        fields.append(
            (pk, open_(name, row, customer, "name"), open_(phone, row, customer, "phone"))
        )
    phones: dict[int, set[str]] = {}
    found = sorted(pk for pk, _name, _phone in fields)
    for customer_id, uid, value in phone_identities_sealed(shop_id=shop_id, customer_ids=found):
        phones.setdefault(customer_id, set()).add(
            open_(value, bulk.uid_text(uid), identity, "value")
        )
    return fields, phones


def _tokens_missing_add(shop, wanted: set[tuple[int, int]], customer_ids: list[int]) -> int:
    """Write the ``(token, customer id)`` pairs of ``wanted`` that these customers do
    not carry yet; returns how many were written."""
    return _packed_missing_add(
        shop, {_packed(token, customer_id) for token, customer_id in wanted}, customer_ids
    )


def _packed(token: int, customer_id: int) -> int:
    """A ``(token, customer id)`` pair as one int that sorts as the pair does (the order
    of the lookup index): a delivery compares and sorts a few hundred thousand of them,
    at a fraction of the cost of tuples."""
    if not 0 < customer_id <= _ID_BITS:
        raise ValueError("customer ids above 2**32 do not pack")
    return (token + _TOKEN_OFFSET) << 32 | customer_id


def _packed_missing_add(shop, wanted: set[int], customer_ids: list[int]) -> int:
    """``_tokens_missing_add`` of packed pairs (``_packed``). Only the customers that
    carry some token already are read back: an import's new customers have none before
    their first delivery, and a probe of the customer index (a chunk a query) tells
    which do (a retry, a customer two files named, one re-tokenised meanwhile)."""
    from merdeka.customers.selectors import search_tokens_of, token_holders  # they import this

    if not wanted:
        return 0
    shop_id = shop.pk
    holding = sorted(token_holders(shop_id=shop_id, customer_ids=sorted(set(customer_ids))))
    if holding:
        wanted.difference_update(
            _packed(token, customer_id)
            for customer_id, token in search_tokens_of(shop_id=shop_id, customer_ids=holding)
        )
    return bulk.insert(
        SearchToken,
        ("shop", "customer", "token"),
        ((shop_id, row & _ID_BITS, (row >> 32) - _TOKEN_OFFSET) for row in sorted(wanted)),
        shop_id=shop_id,
        adapted=True,
    )


def forget_customers(*, shop, customer_ids: Iterable[int]) -> None:
    """Drop the tokens of customers merged away (their numbers now find the survivor)."""
    for part in bulk.chunks(list(customer_ids)):
        SearchToken.objects.filter(shop=shop, customer_id__in=part).delete()


_TOKEN_INDEXES = ("searchtoken_lookup", "searchtoken_customer")


def reindex_shop(*, shop, batch: int = 5000, progress=None) -> int:
    """Rebuild every search token of a shop (existing data; after a change of the
    tokenisation or of the index key). Streams the customers in id order."""
    from django.db import transaction

    written = 0
    with transaction.atomic():
        alone = (
            connection.vendor == "sqlite"
            and not SearchToken.unscoped.exclude(shop_id=shop.pk).exists()
        )
        if alone:
            # The only shop here (the usual self-hosted case): empty the table and
            # build its indexes once at the end, sorted, instead of row by row
            # (PostgreSQL maintains them well enough under COPY).
            bulk.empty_table(SearchToken, why="no other shop has search tokens")
            bulk.indexes_drop(SearchToken, _TOKEN_INDEXES)
        else:
            SearchToken.objects.filter(shop=shop).delete()
        pending: dict[int, tuple] = {}

        def flush():
            nonlocal written
            phones = _phones_of(shop, pending)
            known = {pk: (name, [phone, *phones.get(pk, ())])
                     for pk, (name, phone) in pending.items()}  # fmt: skip
            written += index_customers(shop=shop, known=known, new=True)
            if progress:
                progress(len(pending))
            pending.clear()

        for pk, name, phone in live_customer_fields(shop=shop, batch=batch, phone=True):
            pending[pk] = (name, phone)
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        if alone:
            bulk.indexes_create(SearchToken, _TOKEN_INDEXES)
    if connection.vendor == "postgresql":
        bulk.analyze(SearchToken)
    return written


__all__ = [
    "Hasher",
    "customer_terms",
    "forget_customers",
    "index_customers",
    "matching_customer_ids",
    "query_terms",
    "reindex_shop",
]
