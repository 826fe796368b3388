"""Likely matches for review: similar names that exact identities did not join.

Names are encrypted, so candidates are compared in memory after decryption, inside
one shop. Blocking keeps it small: a pair is only compared when both share a name
token and either live in the same city or one of them is only known by a WhatsApp
display name (which carries no city).
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz

from merdeka.core.phone import normalize_name
from merdeka.customers.models import Customer, Identity, IdentityKind, MatchSuggestion

REVIEW_THRESHOLD = 88.0  # token-sort similarity (0-100) that is worth a person's look
COMMON_TOKENS_CAP = 200  # a token shared by more customers than this is too common to block on


def _profiles(shop):
    wa_only = set(
        Identity.objects.filter(shop=shop, kind=IdentityKind.WHATSAPP_NAME).values_list(
            "customer_id", flat=True
        )
    ) - set(
        Identity.objects.filter(shop=shop)
        .exclude(kind=IdentityKind.WHATSAPP_NAME)
        .values_list("customer_id", flat=True)
    )
    profiles = {}
    for customer in Customer.objects.filter(shop=shop, merged_into__isnull=True).only(
        "id", "uid", "key_version", "shop_id", "name", "city"
    ):
        name = normalize_name(customer.name)
        if name:
            profiles[customer.pk] = (name, customer.city.casefold(), customer.pk in wa_only)
    return profiles


def suggest_matches(*, shop, customer_ids: set[int] | None = None) -> int:
    """Record review suggestions for ``customer_ids`` (or everyone); returns how many are new."""
    profiles = _profiles(shop)
    by_token: dict[str, list[int]] = defaultdict(list)
    for customer_id, (name, _, _) in profiles.items():
        for token in set(name.split()):
            if len(token) >= 3:
                by_token[token].append(customer_id)
    wanted = set(profiles) if customer_ids is None else (set(customer_ids) & set(profiles))
    existing = set(
        MatchSuggestion.objects.filter(shop=shop).values_list("customer_a_id", "customer_b_id")
    )
    new = []
    for customer_id in wanted:
        name, city, wa_only = profiles[customer_id]
        candidates = set()
        for token in set(name.split()):
            members = by_token.get(token, ())
            if 1 < len(members) <= COMMON_TOKENS_CAP:
                candidates.update(members)
        candidates.discard(customer_id)
        for other_id in candidates:
            other_name, other_city, other_wa_only = profiles[other_id]
            if not (wa_only or other_wa_only) and not (city and city == other_city):
                continue
            if wa_only and other_wa_only:
                continue  # two chat names alone are too weak
            score = fuzz.token_sort_ratio(name, other_name)
            if score < REVIEW_THRESHOLD:
                continue
            pair = (min(customer_id, other_id), max(customer_id, other_id))
            if pair in existing:
                continue
            existing.add(pair)
            evidence = [{"code": "similar_name", "score": round(score, 1)}]
            if city and city == other_city:
                evidence.append({"code": "same_city"})
            if wa_only or other_wa_only:
                evidence.append({"code": "whatsapp_name"})
            new.append(
                MatchSuggestion(
                    shop=shop,
                    customer_a_id=pair[0],
                    customer_b_id=pair[1],
                    score=score / 100,
                    evidence=evidence,
                )
            )
    MatchSuggestion.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
