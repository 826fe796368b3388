from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from merdeka.core.phone import normalize_email, normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.text import clean_text
from merdeka.customers import workspace
from merdeka.customers.models import (
    Customer,
    CustomerNote,
    CustomerTag,
    Identity,
    IdentityKind,
    MatchSuggestion,
    Merge,
    Segment,
    Tag,
)
from merdeka.customers.resolution import (
    Claim,
    customer_merge,
    customers_merge_many,
    identity_index,
)
from merdeka.customers.resolution import merge_undo as undo
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import _merged_group, consent_record
from merdeka.privacy.models import ConsentSource


@transaction.atomic
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
    """Add a customer by hand. The number and email are stored normalised and become
    the customer's identities, so that the next import or checkout with that number (in
    any format) finds her; one that belongs to another customer is refused
    (``CustomerConflict``: merge the two instead)."""
    normalized_phone = normalize_phone(phone) if phone else None
    if phone and normalized_phone is None:
        raise ValueError("not a phone number Merdeka can reach (the form checks this)")
    values = {
        "phone": normalized_phone,
        "email": normalize_email(email) if email else None,
    }
    with shop_scope(shop):
        customer = Customer(
            shop=shop,
            name=clean_text(name).strip(),
            address=clean_text(address).strip() or None,
            city=clean_text(city).strip(),
            province=clean_text(province).strip(),
        )
        customer.save()
        changed = [attr for attr, value in values.items() if value]
        _identities_follow(shop, customer, values, changed, source="manual")
        for attr in changed:
            setattr(customer, attr, values[attr])
        if changed:
            customer.save(update_fields=changed)
        workspace.customer_changed(shop=shop, customer=customer)
    audit_record(
        action="customer.created", shop=shop, actor=actor, target=customer, request=request
    )
    return customer


class CustomerConflict(ValueError):
    """A change that would give this customer another customer's number or email."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


@transaction.atomic
def customer_edit(
    *,
    shop,
    actor,
    customer: Customer,
    name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    city: str | None = None,
    province: str | None = None,
    action: str = "customer.changed",
    identity_source: str = "manual",
    request=None,
) -> list[str]:
    """Correct a customer's details; returns the fields that changed.

    The one way a person changes a customer (the customer page's form and a data-rights
    correction both come here). Blind indexes follow the fields; a new phone or email
    replaces the identity it was known by, so later imports match the right number; a
    number or email that belongs to another customer is refused (merge the two instead);
    search tokens and the list row follow. ``city``/``province`` None keep theirs. The
    audit event names the fields that changed, never their values.
    """
    if customer.shop_id != shop.pk:
        raise ValueError("the customer belongs to another shop")
    values = {
        "name": " ".join(clean_text(name or "").split()) or None,
        "phone": normalize_phone(phone) if phone else None,
        "email": normalize_email(email) if email else None,
        "address": clean_text(address or "").strip() or None,
        "city": customer.city if city is None else clean_text(city).strip(),
        "province": customer.province if province is None else clean_text(province).strip(),
    }
    with shop_scope(shop):
        customer = Customer.objects.select_for_update().get(shop=shop, pk=customer.pk)
        changed = [attr for attr, value in values.items() if getattr(customer, attr) != value]
        if not changed:
            return []
        _identities_follow(shop, customer, values, changed, source=identity_source)
        for attr in changed:
            setattr(customer, attr, values[attr])
        customer.save(update_fields=changed)
        workspace.customer_changed(shop=shop, customer=customer)
    audit_record(
        action=action,
        shop=shop,
        actor=actor,
        target=customer,
        request=request,
        detail={"fields": changed},  # which fields, never their values
    )
    return changed


def _identities_follow(shop, customer: Customer, values: dict, changed: list[str], *, source: str):
    from django.utils.translation import gettext as _

    group = _merged_group(shop, [customer.pk])[customer.pk]
    for attr, kind in (("phone", IdentityKind.PHONE), ("email", IdentityKind.EMAIL)):
        if attr not in changed:
            continue
        old, new = getattr(customer, attr), values[attr]
        holder = None
        if new:
            index = identity_index(shop.pk, Claim(kind, new))
            holder = (
                Identity.objects.filter(shop=shop, kind=kind, channel="", value_index=index)
                .values_list("customer_id", flat=True)
                .first()
            )
            if holder is not None and holder not in group:
                raise CustomerConflict(
                    _("This number belongs to another customer. Merge the two instead.")
                    if attr == "phone"
                    else _("This email belongs to another customer. Merge the two instead."),
                    field=attr,
                )
        old_value = (
            (normalize_phone(old) if attr == "phone" else normalize_email(old)) if old else None
        )
        if old_value:
            Identity.objects.filter(
                shop=shop,
                customer_id__in=group,
                kind=kind,
                channel="",
                value_index=identity_index(shop.pk, Claim(kind, old_value)),
            ).delete()
        if new and holder is None:
            now = timezone.now()
            Identity(
                shop=shop, customer=customer, kind=kind, channel="", value=new,
                value_index=index, source=source, first_seen_at=now, last_seen_at=now,
            ).save()  # fmt: skip


@transaction.atomic
def suggestion_decide(*, shop, actor, suggestion_id: int, merge: bool, request=None):
    """A person decides a review suggestion: merge the two customers or keep them apart."""

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
        if merge:
            workspace.customers_regrouped(
                shop=shop, customer_ids=[suggestion.customer_a_id, suggestion.customer_b_id]
            )
    audit_record(
        action="customer.merged" if merge else "customer.kept_apart",
        shop=shop,
        actor=actor,
        target=suggestion.customer_a,
        request=request,
        detail={"other": suggestion.customer_b_id, "suggestion": suggestion.pk},
    )
    return result


def _live(shop, ids) -> dict[int, int]:
    """The live customer each of ``ids`` is now (itself, or whom it was merged into)."""
    parent = dict(
        Customer.objects.filter(shop=shop, pk__in=list(ids)).values_list("pk", "merged_into_id")
    )
    while missing := {p for p in parent.values() if p is not None and p not in parent}:
        parent.update(
            Customer.objects.filter(shop=shop, pk__in=list(missing)).values_list(
                "pk", "merged_into_id"
            )
        )

    def live(pk: int) -> int:
        while parent.get(pk) is not None:
            pk = parent[pk]
        return pk

    return {pk: live(pk) for pk in ids}


@transaction.atomic
def suggestions_decide_group(
    *, shop, actor, group: int, suggestion_ids: list[int], merge: bool, request=None
) -> int:
    """A person decides a group of alike suggestions at once: the members she was shown
    (``suggestion_ids``) that are still waiting in ``group``. Merging joins every pair
    (each merge recorded and undoable, like one by one); returns how many were decided.
    Raises ``MatchSuggestion.DoesNotExist`` when none is left."""
    with shop_scope(shop):
        members = list(
            MatchSuggestion.objects.select_for_update()
            .filter(shop=shop, state=MatchSuggestion.State.PENDING, pk__in=suggestion_ids)
            .filter(Q(group=group) | Q(pk=group, group__isnull=True))
            .order_by("pk")
        )
        if not members:
            raise MatchSuggestion.DoesNotExist
        now = timezone.now()
        involved = sorted({c for s in members for c in (s.customer_a_id, s.customer_b_id)})
        if merge:
            live = _live(shop, involved)
            parent: dict[int, int] = {}

            def root(pk: int) -> int:
                while parent.get(pk, pk) != pk:
                    pk = parent[pk]
                return pk

            for s in members:
                a, b = root(live[s.customer_a_id]), root(live[s.customer_b_id])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            merges = [(root(c), c, Merge.Reason.REVIEWED) for c in parent if root(c) != c]
            customers_merge_many(shop=shop, merges=merges, actor=actor)
        state = MatchSuggestion.State.MERGED if merge else MatchSuggestion.State.KEPT_APART
        MatchSuggestion.objects.filter(shop=shop, pk__in=[s.pk for s in members]).update(
            state=state, decided_by=actor, decided_at=now
        )
        if merge:
            workspace.customers_regrouped(shop=shop, customer_ids=involved)
    for s in members:
        audit_record(
            action="customer.merged" if merge else "customer.kept_apart",
            shop=shop,
            actor=actor,
            target=s.customer_a,
            request=request,
            detail={"other": s.customer_b_id, "suggestion": s.pk, "group": group},
        )
    return len(members)


@transaction.atomic
def merge_undo(*, shop, actor, merge_id: int, request=None) -> None:
    with shop_scope(shop):
        merge = Merge.objects.select_for_update().get(pk=merge_id, undone_at__isnull=True)
        undo(shop=shop, merge=merge, actor=actor)
        workspace.customers_regrouped(
            shop=shop, customer_ids=[merge.survivor_id, merge.absorbed_id]
        )
    audit_record(
        action="customer.merge_undone",
        shop=shop,
        actor=actor,
        target=merge.absorbed,
        request=request,
        detail={"survivor": merge.survivor_id, "merge": merge.pk},
    )


# -- tags, notes, consent, segments ----------------------------------------------------


@transaction.atomic
def customer_tag_add(*, shop, actor, customer: Customer, name: str, request=None):
    """Tag a customer, creating the shop's tag on first use (same name = same tag)."""
    with shop_scope(shop):
        tag = Tag.objects.filter(shop=shop, name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(shop=shop, name=name)
        _, created = CustomerTag.objects.get_or_create(shop=shop, customer=customer, tag=tag)
    if created:
        audit_record(
            action="customer.tagged",
            shop=shop,
            actor=actor,
            target=customer,
            request=request,
            detail={"tag": tag.pk},
        )
    return tag


@transaction.atomic
def customer_tag_remove(*, shop, actor, customer: Customer, tag_id: int, request=None) -> bool:
    with shop_scope(shop):
        removed, _ = CustomerTag.objects.filter(
            shop=shop, customer=customer, tag_id=tag_id
        ).delete()
    if removed:
        audit_record(
            action="customer.untagged",
            shop=shop,
            actor=actor,
            target=customer,
            request=request,
            detail={"tag": tag_id},
        )
    return bool(removed)


@transaction.atomic
def customer_note_add(*, shop, actor, customer: Customer, body: str, request=None):
    with shop_scope(shop):
        note = CustomerNote(shop=shop, customer=customer, body=body, author=actor)
        note.save()
    audit_record(
        action="customer.note_added",
        shop=shop,
        actor=actor,
        target=customer,
        request=request,
        detail={"note": note.pk},
    )
    return note


def customer_consent_record(*, shop, actor, customer, channel: str, granted: bool, request=None):
    """A choice the customer told the shop (in person, by chat): recorded as "staff"."""
    return consent_record(
        shop=shop,
        customer=customer,
        channel=channel,
        granted=granted,
        source=ConsentSource.STAFF,
        actor=actor,
        evidence={"recorded_by": getattr(actor, "pk", None), "via": "customer page"},
        request=request,
    )


class SegmentError(ValueError):
    pass


@transaction.atomic
def segment_create(*, shop, actor, name: str, filters: dict, query: str = "", request=None):
    """Save the list's current filters under a name. ``filters`` is the filter form's
    ``segment_data()``; the search words go encrypted into ``query``."""
    from django.utils.translation import gettext as _

    with shop_scope(shop):
        if Segment.objects.filter(shop=shop, name__iexact=name).exists():
            raise SegmentError(_("A segment with this name already exists."))
        segment = Segment(
            shop=shop, name=name, filters=filters, query=query or None, created_by=actor
        )
        segment.save()
    audit_record(action="segment.saved", shop=shop, actor=actor, target=segment, request=request)
    return segment


@transaction.atomic
def segment_delete(*, shop, actor, segment, request=None) -> None:
    with shop_scope(shop):
        pk = segment.pk
        segment.delete()
    audit_record(
        action="segment.deleted", shop=shop, actor=actor, request=request, detail={"segment": pk}
    )
