"""Likely matches for review: customers that exact identities did not join.

Names are encrypted, so candidates are found through ``MatchKey`` rows (keyed hashes
of a name, its words, the visible digits of a phone, an address) and only the pairs
that share a key are decrypted and compared, inside one shop. A key shared by many
customers ("siti", a common full name) tells nobody apart and is skipped, which keeps
the work proportional to the shop, not to its square (docs/decisions/match-keys.md).

Each pair is judged on its evidence, strongest first:

* the same street address in the same city, with names that do not contradict it;
* the same visible phone digits (``0812****7801`` on one export, the full number on
  another) in the same city, with names that agree or, for a masked name, the same
  first and last letter (``D***i`` and Dewi Lestari);
* the same full name that nobody else in the shop has, in the same city or from a
  WhatsApp contact that only has a name;
* very similar names sharing a rare word, in the same city;
* a WhatsApp member shown only by number, and the one buyer under its visible digits
  whose phone was always masked (``_only_number``).

What speaks against a pair: two different full numbers (one number would have merged
them, but for the same street and a name nobody else has), two different streets in one
city for name- or digit-only evidence, or visible digits that two full numbers of the
city share as well (``_ambiguous_digits``). A name
held by several customers counts as "nobody else's" when strong evidence already ties
those customers into one person (``_one_person_names``).

What is as strong as an exact identifier merges at once (``STRONG``, below; recorded
and undoable like any merge). The rest becomes a ``MatchSuggestion`` for a person to
decide, when she has something to decide on (``_decidable``); ``review.py`` ranks and
groups them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.utils import timezone
from rapidfuzz import fuzz

from merdeka.core import bulk
from merdeka.core.phone import name_key
from merdeka.customers import search, workspace
from merdeka.customers.models import (
    Customer,
    IdentityKind,
    MatchKey,
    MatchSuggestion,
    Merge,
)
from merdeka.customers.resolution import customers_merge_many
from merdeka.customers.selectors import (
    customer_cities,
    identity_kinds,
    live_profiles_sealed,
    match_key_holders,
    shared_match_keys,
)
from merdeka.privacy import crypto

COMMON_KEY_CAP = 25  # a key shared by more customers than this tells nobody apart
SIMILAR_NAMES = 88.0  # token similarity (0-100) for name-only evidence
Kind = MatchKey.Kind
ONLY = ":only"  # marks a key that exactly these two customers share


# A pair's evidence as bits of one small int instead of a set of codes: the review pass
# holds every candidate pair of the shop (millions for a year of orders), and a set
# per pair was most of its memory.
ONLY_NUMBER = "pm:number"  # visible digits a lone phone-only contact shares (_only_number)
_CODES = (
    *(code for kind in (Kind.NAME, Kind.NAME_WORD, Kind.PHONE_MASK, Kind.ADDRESS,
                        Kind.PHONE_NAME)
      for code in (str(kind), str(kind) + ONLY)),
    ONLY_NUMBER,
)  # fmt: skip
_BIT = {code: 1 << i for i, code in enumerate(_CODES)}
_KINDS = [
    frozenset(code for code, bit in _BIT.items() if mask & bit) for mask in range(1 << len(_CODES))
]

# A pair of customer ids (a < b, both below 2**32) as one int, ``a << 32 | b``: a dict
# of a million pairs keyed by tuples held two more objects per pair (a tuple, an int).
_SHIFT = 32
_LOW = (1 << _SHIFT) - 1


def _pair(a: int, b: int) -> int:
    return (a << _SHIFT | b) if a < b else (b << _SHIFT | a)


def _ids(pair: int) -> tuple[int, int]:
    return pair >> _SHIFT, pair & _LOW


def _candidate_pairs(
    shop, wanted: set[int] | None = None, groups: dict[str, list[tuple[int, ...]]] | None = None
) -> dict[int, int]:
    """Pairs of customers sharing a key that is rare enough to mean something (with at
    least one of them in ``wanted``, if given), each with its evidence as bits, keyed by
    ``_pair``. The
    members of each shared phone-digits and name key go into ``groups`` (by kind), if
    given: some evidence is about who *else* shares a key."""
    pairs: dict[int, int] = {}
    city_of = _cities(shop)
    group: list[int] = []
    current = None
    for kind, key, customer_id in shared_match_keys(shop=shop, cap=COMMON_KEY_CAP):
        if (kind, key) != current:
            _pair_up(pairs, group, current, wanted, groups, city_of)
            group, current = [], (kind, key)
        group.append(customer_id)
    _pair_up(pairs, group, current, wanted, groups, city_of)
    return pairs


def _cities(shop) -> dict[int, str]:
    """Each customer's city as its blind index (equal for the same city in any case),
    one shared string per city."""
    shared: dict[str, str] = {}
    return {pk: shared.setdefault(city, city) for pk, city in customer_cities(shop_id=shop.pk)}


_GROUPED = (str(Kind.PHONE_MASK), str(Kind.NAME))
_ADDRESS = str(Kind.ADDRESS)


def _pair_up(pairs, group: list[int], current, wanted, groups=None, city_of=None) -> None:
    if current is None or len(group) < 2:
        return
    kind = current[0]
    if kind == _ADDRESS and city_of is not None:
        # a street is evidence only within one city (``_judge``): "Jl. Mawar No. 3" is in
        # every town, and its pairs across towns were most of a large shop's candidates
        by_city: dict[str, list[int]] = defaultdict(list)
        for c in group:
            city = city_of.get(c)
            if city:
                by_city[city].append(c)
        for members in by_city.values():
            _pair_up(pairs, members, current, wanted, groups)
        return
    if groups is not None and kind in _GROUPED:
        members = sorted(set(group))
        # two members are the pair itself, with its ":only" bit: only larger groups are
        # kept (as tuples), a year of orders has hundreds of thousands of keys
        if len(members) >= 3 and (wanted is None or any(c in wanted for c in members)):
            groups.setdefault(kind, []).append(tuple(members))
    bit = _BIT.get(kind, 0)
    members = sorted(set(group))
    if len(members) == 2:  # nobody else in the shop has this key
        a, b = members
        if wanted is None or a in wanted or b in wanted:
            pair = a << _SHIFT | b
            pairs[pair] = pairs.get(pair, 0) | bit | _BIT.get(kind + ONLY, 0)
        return
    for i, a in enumerate(members):
        a_wanted = wanted is None or a in wanted
        high = a << _SHIFT
        for b in members[i + 1 :]:
            if a_wanted or b in wanted:
                pair = high | b
                pairs[pair] = pairs.get(pair, 0) | bit


WHOLE_SHOP = 20_000  # from this many customers on, one streamed query beats many IN lists


class Profile(NamedTuple):
    """What the review pass knows of a customer beyond its match keys."""

    name: str | None  # name key (``name_key``)
    city: str  # its blind index: equal for the same city, whatever its case
    wa_only: bool  # known only by a WhatsApp display name
    phone: bool = False  # has a full phone number (a phone identity)
    phone_only: bool = False  # known by nothing but full phone numbers
    address: bool = False  # has a street address
    initials: bool = False  # its name's first and last letter are known (a PHONE_NAME key)


_WA_NAME, _PHONE, _OTHER = 1, 2, 4
_IDENTITY_BIT = {IdentityKind.WHATSAPP_NAME: _WA_NAME, IdentityKind.PHONE: _PHONE}


def _profiles(shop, ids: list[int]) -> dict[int, Profile]:
    """The ``Profile`` of each live customer in ``ids``: raw rows (a run's pass reads
    tens of thousands: no queryset, no ``Sealed`` nor ``UUID`` per row), the names
    opened with the shop's cipher once (``crypto.Opener``)."""
    shop_id = shop.pk
    # the kinds of identity each customer has, as bits (a set per customer was most of
    # this pass's memory in a large shop)
    kinds_of: dict[int, int] = {}
    for customer_id, kind in identity_kinds(shop_id=shop_id, customer_ids=ids):
        kinds_of[customer_id] = kinds_of.get(customer_id, 0) | _IDENTITY_BIT.get(kind, _OTHER)
    with_initials = {
        customer_id
        for (customer_id,) in match_key_holders(
            shop_id=shop_id, kind=Kind.PHONE_NAME.value, customer_ids=ids
        )
    }
    open_name = crypto.Opener(shop_id=shop_id, label=Customer._meta.label_lower).column("name")
    profiles = {}
    names: dict[str | None, str | None] = {}
    cities: dict[str, str] = {}
    for customer_id, uid, sealed, city, address in live_profiles_sealed(
        shop_id=shop_id, customer_ids=ids
    ):
        # an empty sealed value is none, as the field reads it
        name = name_key(open_name(sealed, bulk.uid_text(uid).encode())) if sealed else None
        kinds = kinds_of.get(customer_id, 0)
        profiles[customer_id] = Profile(
            name=names.setdefault(name, name),  # one string per name: common names repeat
            city=cities.setdefault(city, city) if city else "",
            wa_only=kinds == _WA_NAME,
            phone=bool(kinds & _PHONE),
            phone_only=kinds == _PHONE,
            address=bool(address),  # sealed: only told present or not
            initials=customer_id in with_initials,
        )
    return profiles


def _judge(kinds: set[str], a: Profile, b: Profile) -> tuple[float, list[dict]] | None:
    """Is this pair worth a person's look? Returns (score, evidence) or None."""
    name_a, city_a, wa_a = a.name, a.city, a.wa_only
    name_b, city_b, wa_b = b.name, b.city, b.wa_only
    similarity = fuzz.token_set_ratio(name_a, name_b) if name_a and name_b else None
    same_city = bool(city_a) and city_a == city_b
    evidence: list[dict] = []
    if similarity is not None:
        evidence.append({"code": "similar_name", "score": round(similarity, 1)})
    if same_city:
        evidence.append({"code": "same_city"})
    if wa_a or wa_b:
        evidence.append({"code": "whatsapp_name"})
    if a.phone and b.phone:
        # Each has a full number and they differ (one number would have merged them):
        # two people, as a rule, who happen to share a street, visible digits or a name.
        # Only the same street and the very same name, held by nobody else in the shop,
        # in one city still asks a person (someone with a second SIM card at home).
        if Kind.ADDRESS in kinds and same_city and Kind.NAME + ONLY in kinds:
            return 0.8, [{"code": "same_address"}, *evidence]
        return None
    if Kind.ADDRESS in kinds and same_city and (similarity is None or similarity >= 80):
        return 0.95, [{"code": "same_address"}, *evidence]
    # Both have a street in the same city and it is not the same one: one person would
    # have given one street, so a name or the visible digits alone do not say it is.
    other_streets = same_city and a.address and b.address
    if (
        Kind.PHONE_MASK in kinds
        and same_city
        and not other_streets
        # seven visible digits are shared by chance in a large shop: the names must
        # agree too, or what a masked name still shows (its first and last letter)
        and (
            similarity >= 50
            if similarity is not None
            else Kind.PHONE_NAME in kinds or not (a.initials and b.initials)
        )
    ):
        return 0.9, [{"code": "same_phone_digits"}, *evidence]
    if ONLY_NUMBER in kinds:
        return 0.85, [{"code": "same_phone_digits"}, {"code": "only_number"}, *evidence]
    if other_streets:
        return None
    if Kind.NAME + ONLY in kinds and (same_city or wa_a or wa_b) and not (wa_a and wa_b):
        # the same name, and nobody else in the shop is called so
        return 0.85, [{"code": "same_name"}, *evidence]
    if (
        Kind.NAME_WORD in kinds
        and similarity is not None
        and similarity >= SIMILAR_NAMES
        and same_city
    ):
        return 0.6 + similarity / 500, evidence
    return None


def _by_name_alone(evidence: list[dict]) -> bool:
    return evidence[0]["code"] in ("same_name", "similar_name")


_STRONG = frozenset({"same_address", "same_phone_digits"})


def _only_number(pairs, groups, profiles) -> None:
    """Visible digits shared with exactly one customer known by a full number alone.

    A WhatsApp member shown by number (``+62 812-3456-7801``) carries nothing else to
    compare. Every other customer with a full number under these digits has another
    number, so they are someone else; if exactly one customer under them has no full
    number at all (a marketplace buyer whose every phone was masked), the member is
    that buyer, or a buyer the shop has never seen unmasked. Two such buyers count as
    one when they agree on city and name.
    """
    only = _BIT[str(Kind.PHONE_MASK) + ONLY]
    alone = [_ids(pair) for pair, mask in pairs.items() if mask & only]  # groups of two
    for members in [*alone, *groups.get(str(Kind.PHONE_MASK), ())]:
        known = [c for c in members if c in profiles]
        by_number = [c for c in known if profiles[c].phone_only]
        masked = [c for c in known if not profiles[c].phone]
        if len(by_number) != 1 or not 1 <= len(masked) <= 2:
            continue
        if len(masked) == 2:
            first, second = (profiles[c] for c in masked)
            if not (first.city and first.city == second.city and first.name and second.name):
                continue
            if fuzz.token_set_ratio(first.name, second.name) < SIMILAR_NAMES:
                continue
        for other in masked:
            pair = _pair(by_number[0], other)
            pairs[pair] = pairs.get(pair, 0) | _BIT[ONLY_NUMBER]


def _ambiguous_digits(pairs, groups, profiles) -> None:
    """Visible digits that two full numbers in one city share leave a masked buyer of
    that city between two people: the digits say nothing about which (it is dropped
    from those pairs; a name or a street may still speak)."""
    drop = ~(_BIT[str(Kind.PHONE_MASK)] | _BIT[str(Kind.PHONE_MASK) + ONLY])
    for members in groups.get(str(Kind.PHONE_MASK), ()):
        by_city: dict[str, list[int]] = defaultdict(list)
        for c in members:
            if c in profiles and profiles[c].city:
                by_city[profiles[c].city].append(c)
        for people in by_city.values():
            full = [c for c in people if profiles[c].phone]
            if len(full) < 2:
                continue
            for masked in (c for c in people if not profiles[c].phone):
                for other in full:
                    pair = _pair(masked, other)
                    if pair in pairs:
                        pairs[pair] &= drop


def _cluster_roots(judged) -> dict[int, int]:
    """Customers joined by strong evidence (address, phone digits), as union-find roots."""
    parent: dict[int, int] = {}

    def root(c: int) -> int:
        while parent.get(c, c) != c:
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    for a, b, _score, evidence in judged:
        if evidence[0]["code"] in _STRONG:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {c: root(c) for c in list(parent)}


def _one_person_names(pairs, groups, profiles, roots) -> list[int]:
    """Name keys held by one WhatsApp-name contact and by customers that strong evidence
    already ties together (a buyer's Shopee and TikTok accounts, both "Siti Lubis"): the
    name fits one person, as if nobody else had it. Returns the pairs it makes."""
    made = []
    for members in groups.get(str(Kind.NAME), ()):  # two members: plain "nobody else"
        known = [c for c in members if c in profiles]
        chat = [c for c in known if profiles[c].wa_only]
        others = [c for c in known if not profiles[c].wa_only]
        if len(chat) != 1 or len(others) != len(members) - 1:
            continue
        if len({roots.get(c, c) for c in others}) != 1:
            continue
        for other in others:
            pair = _pair(chat[0], other)
            pairs[pair] = pairs.get(pair, 0) | _BIT[str(Kind.NAME) + ONLY]
            made.append(pair)
    return made


# Evidence as strong as an exact identifier: a pair judged with it merges without
# asking. Each rule is a phone number's digits that the whole shop gives to these two
# customers only (a ":only" key), and nothing that speaks against them:
#
# * ``only_number``: a WhatsApp member known by a full number, and the one buyer under
#   its visible digits whose phone was always masked, nobody else in the shop showing
#   those digits (bench at 100k lines: 571 pairs, none wrong);
# * ``masked_twins``: two buyers whose phones were always masked, in the same city,
#   under the same visible digits *and* the same first and last letter of the name,
#   a combination nobody else in the shop has (678 pairs, one wrong).
#
# A full number on both sides never merges here (two numbers are two people, as a
# rule), nor does a group of such pairs that would join two full numbers.
STRONG = ("only_number", "masked_twins")
_PM_ONLY = _BIT[str(Kind.PHONE_MASK) + ONLY]
_PN_ONLY = _BIT[str(Kind.PHONE_NAME) + ONLY]


def _strong(mask: int, evidence: list[dict], a: Profile, b: Profile) -> str | None:
    """The ``STRONG`` rule this judged pair meets, or None."""
    if evidence[0]["code"] != "same_phone_digits" or (a.phone and b.phone):
        return None
    codes = {item["code"] for item in evidence}
    if "only_number" in codes:
        return "only_number" if mask & _PM_ONLY else None
    if "same_city" in codes and mask & _PN_ONLY and not a.phone and not b.phone:
        return "masked_twins"
    return None


def _decidable(a: Profile, b: Profile) -> bool:
    """Does the review page show a person anything to decide on? A name, or a full
    number she can message and ask. Two buyers who left neither show two masked numbers
    and a city, which the evidence already compared: nothing is asked until an order
    names one of them or shows a number."""
    return bool(a.name or b.name or a.phone or b.phone)


def _merge_strong(shop, strong: list[tuple[int, int, str, list]], profiles, figures=True):
    """Merge the strong pairs (union-find; the lowest id survives), except groups that
    would join two customers with full numbers. Each pair is kept as a suggestion in
    state MERGED, so that undoing the merge is never followed by the same merge again.
    Returns absorbed id -> survivor id, and the pairs left for a person."""
    parent: dict[int, int] = {}

    def root(c: int) -> int:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for a, b, _rule, _evidence in strong:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    clusters: dict[int, list[int]] = defaultdict(list)
    for c in parent:
        clusters[root(c)].append(c)
    refused = {r for r, members in clusters.items() if sum(profiles[c].phone for c in members) > 1}
    survivor_of = {c: r for r, members in clusters.items() if r not in refused
                   for c in members if c != r}  # fmt: skip
    left = [pair for pair in strong if root(pair[0]) in refused]
    if not survivor_of:
        return {}, left
    # the numbers the survivors take over, for their search tokens (read before they move)
    phones = search.phone_identities(shop=shop, customer_ids=sorted(survivor_of))
    customers_merge_many(
        shop=shop,
        merges=[(r, c, Merge.Reason.STRONG) for c, r in sorted(survivor_of.items())],
    )
    now = timezone.now()
    bulk.insert(
        MatchSuggestion,
        ("shop", "customer_a", "customer_b", "score", "evidence", "state", "decided_at"),
        [
            (shop.pk, a, b, 1.0, [*evidence, {"code": "strong", "rule": rule}],
             MatchSuggestion.State.MERGED, now)
            for a, b, rule, evidence in strong
            if root(a) not in refused
        ],
        shop_id=shop.pk,
        ignore_conflicts=True,
    )  # fmt: skip
    workspace.customers_absorbed(
        shop=shop,
        merges=[(r, c) for c, r in survivor_of.items()],
        phones=phones,
        figures=figures,
    )
    return survivor_of, left


def suggest_matches(
    *, shop, customer_ids: set[int] | None = None, outcome=None, figures: bool = True
) -> int:
    """Merge what is as strong as an exact identifier (``STRONG``) and record review
    suggestions for the rest, involving ``customer_ids`` (or anyone); returns how many
    suggestions are new. ``outcome``, a dict, also gets "merged" (how many customers
    merged away) and "customers" (every customer those merges touched), whose list
    numbers are left to the caller when ``figures`` is False. Pairs decided before,
    either way, are never suggested again."""
    groups: dict[str, list[tuple[int, ...]]] = {}
    pairs = _candidate_pairs(shop, None if customer_ids is None else set(customer_ids), groups)
    decided = {
        _pair(a, b)
        for a, b in MatchSuggestion.objects.filter(shop=shop)
        .values_list("customer_a_id", "customer_b_id")
        .iterator(chunk_size=WHOLE_SHOP)
    }
    for pair in decided:
        pairs.pop(pair, None)
    if not pairs:
        return 0
    involved: set[int] = set()
    for pair in pairs:
        involved.update(_ids(pair))
    profiles = _profiles(shop, sorted(involved))
    del involved
    _only_number(pairs, groups, profiles)
    _ambiguous_digits(pairs, groups, profiles)

    def judge(items):
        result = []
        for pair, mask in items:
            a, b = _ids(pair)
            if a not in profiles or b not in profiles or pair in decided:
                continue  # merged away meanwhile, or decided before
            verdict = _judge(_KINDS[mask], profiles[a], profiles[b])
            if verdict is not None:
                result.append((a, b, *verdict))
        return result

    judged = judge(pairs.items())
    roots = _cluster_roots(judged)
    again = set(_one_person_names(pairs, groups, profiles, roots))
    if again:
        judged = [j for j in judged if _pair(j[0], j[1]) not in again]
        judged += judge((pair, pairs[pair]) for pair in again)
    # A chat name that fits several customers says nothing about which, unless strong
    # evidence already makes them one person.
    name_only: dict[int, set[int]] = defaultdict(set)
    for a, b, _score, evidence in judged:
        if _by_name_alone(evidence):
            for this, other in ((a, b), (b, a)):
                if profiles[this].wa_only:
                    name_only[this].add(roots.get(other, other))
    kept, strong = [], []
    for a, b, score, evidence in judged:
        if _by_name_alone(evidence) and max(len(name_only[a]), len(name_only[b])) > 1:
            continue
        rule = _strong(pairs[_pair(a, b)], evidence, profiles[a], profiles[b])
        if rule is not None:
            strong.append((a, b, rule, evidence))
        elif _decidable(profiles[a], profiles[b]):
            kept.append((a, b, score, evidence))
    survivor_of, left = _merge_strong(shop, strong, profiles, figures)
    kept += [(a, b, 0.9, evidence) for a, b, _rule, evidence in left]
    new: dict[int, tuple] = {}
    for a, b, score, evidence in kept:
        # a pair whose customer merged just now is the survivor's pair
        a, b = survivor_of.get(a, a), survivor_of.get(b, b)
        pair = _pair(a, b)
        if a == b or pair in decided or pair in new:
            continue
        new[pair] = (shop.pk, min(a, b), max(a, b), score, evidence)
    # written set-wise (model instances were most of this step's time); a pair another
    # run wrote meanwhile is skipped, as before
    bulk.insert(
        MatchSuggestion,
        ("shop", "customer_a", "customer_b", "score", "evidence"),
        new.values(),
        shop_id=shop.pk,
        ignore_conflicts=True,
    )
    if outcome is not None:
        outcome["merged"] = outcome.get("merged", 0) + len(survivor_of)
        outcome.setdefault("customers", set()).update(survivor_of, survivor_of.values())
    return len(new)
