"""Likely matches for review: customers that exact identities did not join.

Names are encrypted, so candidates are found through ``MatchKey`` rows (keyed hashes
of a name, its words, the visible digits of a phone, an address) and only the pairs
that share a key are decrypted and compared, inside one shop. A key shared by many
customers ("siti", a common full name) tells nobody apart and is skipped, which keeps
the work proportional to the shop, not to its square (research/architecture.md §3b).

Each pair is judged on its evidence, strongest first:

* the same street address in the same city, with names that do not contradict it;
* the same visible phone digits (``0812****7801`` on one export, the full number on
  another) in the same city, or with clearly similar names;
* the same full name that nobody else in the shop has, in the same city or from a
  WhatsApp contact that only has a name;
* very similar names sharing a rare word, in the same city.

Nothing here merges: every pair becomes a ``MatchSuggestion`` for a person to decide.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from rapidfuzz import fuzz

from merdeka.core import bulk
from merdeka.core.phone import name_key
from merdeka.customers.models import Customer, Identity, IdentityKind, MatchKey, MatchSuggestion
from merdeka.privacy import crypto

COMMON_KEY_CAP = 25  # a key shared by more customers than this tells nobody apart
SIMILAR_NAMES = 88.0  # token similarity (0-100) for name-only evidence
Kind = MatchKey.Kind
ONLY = ":only"  # marks a key that exactly these two customers share


# A pair's evidence as bits of one small int instead of a set of codes: the review pass
# holds every candidate pair of the shop (millions for a year of orders), and a set
# per pair was most of its memory.
_CODES = tuple(
    code for kind in (Kind.NAME, Kind.NAME_WORD, Kind.PHONE_MASK, Kind.ADDRESS)
    for code in (str(kind), str(kind) + ONLY)
)  # fmt: skip
_BIT = {code: 1 << i for i, code in enumerate(_CODES)}
_KINDS = [
    frozenset(code for code, bit in _BIT.items() if mask & bit) for mask in range(1 << len(_CODES))
]


def _candidate_pairs(shop, wanted: set[int] | None = None) -> dict[tuple[int, int], int]:
    """Pairs of customers sharing a key that is rare enough to mean something (with at
    least one of them in ``wanted``, if given), each with its evidence as bits."""
    table = MatchKey._meta.db_table
    sql = f"""
        SELECT m.kind, m.key, m.customer_id
        FROM {table} m
        JOIN (SELECT kind, key FROM {table} WHERE shop_id = %s
              GROUP BY kind, key HAVING COUNT(*) BETWEEN 2 AND %s) useful
          ON useful.kind = m.kind AND useful.key = m.key
        WHERE m.shop_id = %s
        ORDER BY m.kind, m.key
    """  # noqa: S608 - the table name is ours, the values are parameters
    pairs: dict[tuple[int, int], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [shop.pk, COMMON_KEY_CAP, shop.pk])
        group: list[int] = []
        current = None
        for kind, key, customer_id in cursor:  # streamed: a shop has millions of keys
            if (kind, key) != current:
                _pair_up(pairs, group, current, wanted)
                group, current = [], (kind, key)
            group.append(customer_id)
        _pair_up(pairs, group, current, wanted)
    return pairs


def _pair_up(pairs, group: list[int], current, wanted) -> None:
    if current is None or len(group) < 2:
        return
    kind = current[0]
    bit = _BIT.get(kind, 0)
    members = sorted(set(group))
    if len(members) == 2:  # nobody else in the shop has this key
        pair = (members[0], members[1])
        if wanted is None or pair[0] in wanted or pair[1] in wanted:
            pairs[pair] = pairs.get(pair, 0) | bit | _BIT.get(kind + ONLY, 0)
        return
    for i, a in enumerate(members):
        a_wanted = wanted is None or a in wanted
        for b in members[i + 1 :]:
            if a_wanted or b in wanted:
                pairs[(a, b)] = pairs.get((a, b), 0) | bit


WHOLE_SHOP = 20_000  # from this many customers on, one streamed query beats many IN lists


def _rows(queryset, field: str, ids: list[int]):
    """``queryset`` restricted to ``field in ids``: in chunks for a few ids, or streamed
    whole and filtered here when they are most of the shop (one round trip, not hundreds)."""
    if len(ids) < WHOLE_SHOP:
        for part in bulk.chunks(ids):
            yield from queryset.filter(**{f"{field}__in": part})
        return
    wanted = set(ids)
    for row in queryset.iterator(chunk_size=WHOLE_SHOP):
        if row[0] in wanted:
            yield row


def _profiles(shop, ids: list[int]) -> dict[int, tuple[str | None, str, bool]]:
    """(name key, city, known only by a WhatsApp name) of each live customer in ``ids``."""
    label = Customer._meta.label_lower
    other_kinds: dict[int, bool] = {}
    identities = Identity.objects.filter(shop=shop).values_list("customer_id", "kind")
    for customer_id, kind in _rows(identities, "customer_id", ids):
        if kind != IdentityKind.WHATSAPP_NAME:
            other_kinds[customer_id] = True
        else:
            other_kinds.setdefault(customer_id, False)
    profiles = {}
    customers = Customer.objects.filter(shop=shop, merged_into__isnull=True).values_list(
        "pk", "uid", "name", "city"
    )
    for customer_id, uid, sealed, city in _rows(customers, "pk", ids):
        name = None
        if sealed is not None:
            name = name_key(
                crypto.decrypt(
                    sealed.token, shop_id=shop.pk, label=label, column="name", row=str(uid)
                )
            )
        wa_only = other_kinds.get(customer_id) is False
        profiles[customer_id] = (name, city.casefold(), wa_only)
    return profiles


def _judge(kinds: set[str], a, b) -> tuple[float, list[dict]] | None:
    """Is this pair worth a person's look? Returns (score, evidence) or None."""
    name_a, city_a, wa_a = a
    name_b, city_b, wa_b = b
    similarity = fuzz.token_set_ratio(name_a, name_b) if name_a and name_b else None
    same_city = bool(city_a) and city_a == city_b
    evidence: list[dict] = []
    if similarity is not None:
        evidence.append({"code": "similar_name", "score": round(similarity, 1)})
    if same_city:
        evidence.append({"code": "same_city"})
    if wa_a or wa_b:
        evidence.append({"code": "whatsapp_name"})
    names_agree = similarity is None or similarity >= 60
    if Kind.ADDRESS in kinds and same_city and names_agree:
        return 0.95, [{"code": "same_address"}, *evidence]
    if Kind.PHONE_MASK in kinds and (
        (same_city and (similarity is None or similarity >= 50))
        or (similarity is not None and similarity >= 85)
    ):
        return 0.9, [{"code": "same_phone_digits"}, *evidence]
    if Kind.NAME + ONLY in kinds and (same_city or wa_a or wa_b) and not (wa_a and wa_b):
        # the same name, and nobody else in the shop is called so
        return 0.85, [{"code": "same_name"}, *evidence]
    if (
        Kind.NAME_WORD in kinds
        and similarity is not None
        and similarity >= SIMILAR_NAMES
        and (same_city or ((wa_a or wa_b) and not (wa_a and wa_b) and similarity >= 92))
    ):
        return 0.6 + similarity / 500, evidence
    return None


def _by_name_alone(evidence: list[dict]) -> bool:
    return evidence[0]["code"] in ("same_name", "similar_name")


def suggest_matches(*, shop, customer_ids: set[int] | None = None) -> int:
    """Record review suggestions involving ``customer_ids`` (or anyone); returns how many
    are new. Pairs decided before, either way, are never suggested again."""
    pairs = _candidate_pairs(shop, None if customer_ids is None else set(customer_ids))
    decided = MatchSuggestion.objects.filter(shop=shop).values_list(
        "customer_a_id", "customer_b_id"
    )
    for pair in decided.iterator(chunk_size=WHOLE_SHOP):
        pairs.pop(pair, None)
    if not pairs:
        return 0
    profiles = _profiles(shop, sorted({c for pair in pairs for c in pair}))
    judged = []
    name_only = defaultdict(int)  # WhatsApp-name customer -> how many name-only candidates
    for (a, b), mask in pairs.items():
        if a not in profiles or b not in profiles:
            continue  # merged away meanwhile
        result = _judge(_KINDS[mask], profiles[a], profiles[b])
        if result is None:
            continue
        judged.append((a, b, *result))
        if _by_name_alone(result[1]):
            for customer_id in (a, b):
                if profiles[customer_id][2]:
                    name_only[customer_id] += 1
    new = []
    for a, b, score, evidence in judged:
        if _by_name_alone(evidence) and max(name_only[a], name_only[b]) > 1:
            continue  # a chat name that fits several customers says nothing about which
        new.append(
            MatchSuggestion(
                shop=shop, customer_a_id=a, customer_b_id=b, score=score, evidence=evidence
            )
        )
    MatchSuggestion.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    return len(new)
