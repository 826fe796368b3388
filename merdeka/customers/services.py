from __future__ import annotations

from django.db import transaction

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy.audit import audit_record


@transaction.atomic
def customer_create(
    *,
    shop,
    actor=None,
    name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    city: str = "",
    province: str = "",
    request=None,
) -> Customer:
    with shop_scope(shop):
        customer = Customer(
            shop=shop,
            name=name.strip(),
            phone=phone or None,
            email=(email or "").strip().lower() or None,
            address=address.strip() or None,
            city=city.strip(),
            province=province.strip(),
        )
        customer.save()
    audit_record(
        action="customer.created", shop=shop, actor=actor, target=customer, request=request
    )
    return customer


@transaction.atomic
def suggestion_decide(*, shop, actor, suggestion_id: int, merge: bool, request=None):
    """A person decides a review suggestion: merge the two customers or keep them apart."""
    from django.utils import timezone

    from merdeka.customers.models import MatchSuggestion, Merge
    from merdeka.customers.resolution import customer_merge

    with shop_scope(shop):
        suggestion = MatchSuggestion.objects.select_for_update().get(
            pk=suggestion_id, state=MatchSuggestion.State.PENDING
        )
        if merge:
            survivor, absorbed = sorted(
                [suggestion.customer_a, suggestion.customer_b], key=lambda c: c.pk
            )
            result = customer_merge(
                shop=shop,
                survivor=survivor,
                absorbed=absorbed,
                reason=Merge.Reason.REVIEWED,
                actor=actor,
            )
            suggestion.state = MatchSuggestion.State.MERGED
        else:
            result = None
            suggestion.state = MatchSuggestion.State.KEPT_APART
        suggestion.decided_by = actor
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        action="customer.merged" if merge else "customer.kept_apart",
        shop=shop,
        actor=actor,
        target=suggestion.customer_a,
        request=request,
        detail={"other": suggestion.customer_b_id, "suggestion": suggestion.pk},
    )
    return result


@transaction.atomic
def merge_undo(*, shop, actor, merge_id: int, request=None) -> None:
    from merdeka.customers.models import Merge
    from merdeka.customers.resolution import merge_undo as undo

    with shop_scope(shop):
        merge = Merge.objects.select_for_update().get(pk=merge_id, undone_at__isnull=True)
        undo(shop=shop, merge=merge, actor=actor)
    audit_record(
        action="customer.merge_undone",
        shop=shop,
        actor=actor,
        target=merge.absorbed,
        request=request,
        detail={"survivor": merge.survivor_id, "merge": merge.pk},
    )
