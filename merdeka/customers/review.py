"""The review queue as work for a person: ranked, and grouped so that alike suggestions
are decided together (docs/decisions/review-queue.md).

* **Rank.** A suggestion's ``priority`` is what the decision is worth: the two
  customers' spend, each weighted by how recently they bought (a buyer of last week
  counts fully, one of a year ago about a fifth). The queue shows the heaviest first.
* **Group.** Suggestions with the same kind of evidence (the same codes, names alike
  to the same degree: "same visible phone digits, same city, the same name") share a
  ``group`` of at most ``GROUP_SIZE``: one page shows every member, and one tap
  decides them all. A group is the id of its heaviest member at the time it was
  formed; a suggestion on its own is a group of one.

Nothing here decides: deciding is ``services.suggestion_decide`` and
``services.suggestions_decide_group``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import BigIntegerField, Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import CustomerStats, MatchSuggestion

GROUP_SIZE = 25  # members of one group: a page a person reads whole on a phone
RECENCY_DAYS = 90  # a buyer silent this long weighs half as much as one of today
Pending = MatchSuggestion.State.PENDING


def evidence_kind(evidence: list[dict]) -> str:
    """The kind of a suggestion's evidence, as a short stable text: its codes in order,
    and how alike the names are ("=" the same, else the tens of the similarity).
    Suggestions of one kind look alike to a person and are grouped."""
    parts = []
    for item in evidence:
        code = item.get("code", "")
        if code == "similar_name":
            score = float(item.get("score") or 0)
            parts.append("name=" if score >= 100 else f"name{int(score) // 10 * 10}")
        else:
            parts.append(code)
    return "+".join(parts)


def customer_weight(spend: int, last_order_at: datetime | None, now: datetime) -> int:
    """A customer's spend (whole rupiah), weighted by the recency of the last order."""
    if not spend or last_order_at is None:
        return 0
    days = max((now - last_order_at).total_seconds() / 86400, 0)
    return int(spend * RECENCY_DAYS / (RECENCY_DAYS + days))


def _weights(shop, ids: list[int], now: datetime) -> dict[int, int]:
    weights = {}
    for part in bulk.chunks(ids):
        rows = CustomerStats.objects.filter(shop=shop, customer_id__in=part).values_list(
            "customer_id", "total_spend", "last_order_at"
        )
        for customer_id, spend, last in rows:
            weights[customer_id] = customer_weight(spend, last, now)
    return weights


def review_queue_arrange(*, shop, now: datetime | None = None) -> int:
    """Weigh every pending suggestion again (figures move with orders) and put the ones
    without a group into groups. Returns how many groups were formed."""
    now = now or timezone.now()
    with shop_scope(shop):
        rows = list(
            MatchSuggestion.objects.filter(shop=shop, state=Pending).values_list(
                "pk", "customer_a_id", "customer_b_id", "evidence", "group", "priority"
            )
        )
        if not rows:
            return 0
        weights = _weights(shop, sorted({c for r in rows for c in r[1:3]}), now)
        priority = {pk: weights.get(a, 0) + weights.get(b, 0) for pk, a, b, *_ in rows}
        changed = [(p, pk) for pk, *_, old in rows if (p := priority[pk]) != old]
        by_kind: dict[str, list[int]] = defaultdict(list)
        for pk, _a, _b, evidence, group, _old in rows:
            if group is None:
                by_kind[evidence_kind(evidence)].append(pk)
        grouped = []
        for members in by_kind.values():
            members.sort(key=lambda pk: (-priority[pk], pk))
            for start in range(0, len(members), GROUP_SIZE):
                chunk = members[start : start + GROUP_SIZE]
                grouped.extend((chunk[0], pk) for pk in chunk)
        bulk.update(MatchSuggestion, ("priority",), changed, shop_id=shop.pk)
        bulk.update(MatchSuggestion, ("group",), grouped, shop_id=shop.pk)
    return len({group for group, _ in grouped})


def _group_of(group: int) -> Q:
    """The members of ``group``; a suggestion not grouped yet is a group of one."""
    return Q(group=group) | Q(pk=group, group__isnull=True)


def queue_entries(*, shop):
    """The queue as a person works it: one entry per group (``group``, its id; ``size``,
    ``weight``, ``lead``), heaviest first. A queryset of dicts, for a paginator."""
    with shop_scope(shop):
        return (
            MatchSuggestion.objects.filter(shop=shop, state=Pending)
            .annotate(
                key=Coalesce("group", "id", output_field=BigIntegerField())
            )  # a suggestion not grouped: its own
            .values("key")
            .annotate(size=Count("id"), weight=Sum("priority"), lead=Min("id"), top=Max("score"))
            .order_by("-weight", "-top", "lead")
        )


def group_members(*, shop, group: int) -> list[MatchSuggestion]:
    """Every pending member of a group, heaviest first (the group page shows them all)."""
    with shop_scope(shop):
        return list(
            MatchSuggestion.objects.filter(shop=shop, state=Pending)
            .filter(_group_of(group))
            .select_related("customer_a", "customer_b")
            .order_by("-priority", "-score", "id")
        )


def entries_members(*, shop, entries) -> dict[int, list[MatchSuggestion]]:
    """The pending members of the groups on one page of ``queue_entries``, by group id."""
    keys = [e["key"] for e in entries]
    found: dict[int, list[MatchSuggestion]] = defaultdict(list)
    with shop_scope(shop):
        rows = (
            MatchSuggestion.objects.filter(shop=shop, state=Pending)
            .filter(Q(group__in=keys) | Q(pk__in=keys, group__isnull=True))
            .select_related("customer_a", "customer_b")
            .order_by("-priority", "-score", "id")
        )
        for suggestion in rows:
            found[suggestion.group or suggestion.pk].append(suggestion)
    return found
