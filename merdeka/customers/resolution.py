"""Identity resolution: every buyer once, however many channels they came through.

Exact matches on a normalised phone (E.164), email or per-marketplace username merge
automatically, and every merge is recorded so that it can be undone. Likely matches
(similar names in the same city, a WhatsApp display name like a buyer's name) become
``MatchSuggestion`` rows for a person to review. All matching goes through blind
indexes; plaintext exists only in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from merdeka.core.phone import normalize_email, normalize_name, normalize_phone
from merdeka.customers.models import Customer, Identity, IdentityKind, MatchSuggestion, Merge
from merdeka.orders.models import Order
from merdeka.privacy import crypto

EXACT_KINDS = (IdentityKind.PHONE, IdentityKind.EMAIL, IdentityKind.USERNAME)
MERGE_REASON = {
    IdentityKind.PHONE: Merge.Reason.SAME_PHONE,
    IdentityKind.EMAIL: Merge.Reason.SAME_EMAIL,
    IdentityKind.USERNAME: Merge.Reason.SAME_USERNAME,
}


@dataclass(frozen=True)
class Claim:
    """Something an input says about a buyer: kind, channel and normalised value."""

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


def identity_index(shop_id: int, claim: Claim) -> str:
    return crypto.blind_index(
        f"{claim.kind}|{claim.channel}|{claim.value}", shop_id=shop_id, purpose="identity"
    )


@dataclass
class Outcome:
    customers_new: int = 0
    customers_merged: int = 0
    identities_new: int = 0
    touched: set[int] = field(default_factory=set)


class Resolver:
    """Resolves buyers to customers inside one shop, remembering what it has seen."""

    def __init__(self, *, shop, source: str, import_file=None, outcome: Outcome | None = None):
        self.shop = shop
        self.source = source
        self.import_file = import_file
        self.outcome = outcome or Outcome()
        self._index_cache: dict[str, int] = {}

    def _lookup(self, indexes: list[str]) -> dict[str, int]:
        found = {i: self._index_cache[i] for i in indexes if i in self._index_cache}
        missing = [i for i in indexes if i not in found]
        if missing:
            rows = Identity.objects.filter(shop=self.shop, value_index__in=missing).values_list(
                "value_index", "customer_id"
            )
            for index, customer_id in rows:
                found[index] = customer_id
                self._index_cache[index] = customer_id
        return found

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
        """Find or create the customer these claims describe, merging on exact matches."""
        claims = [c for c in dict.fromkeys(claims) if c is not None]
        if not claims:
            return None
        indexed = [(claim, identity_index(self.shop.pk, claim)) for claim in claims]
        found = self._lookup([index for _, index in indexed])
        exact_hits = {
            found[index]: claim.kind
            for claim, index in indexed
            if index in found and claim.kind in EXACT_KINDS
        }
        weak_hits = {found[index] for claim, index in indexed if index in found} - set(exact_hits)

        if exact_hits:
            survivor_id = min(exact_hits)
            customer = Customer.objects.get(pk=survivor_id)
            # the record ties its other hits to the survivor through this identity
            bridge = exact_hits[survivor_id]
            for other_id in sorted(exact_hits):
                if other_id != survivor_id:
                    customer_merge(
                        shop=self.shop,
                        survivor=customer,
                        absorbed=Customer.objects.get(pk=other_id),
                        reason=MERGE_REASON[bridge],
                    )
                    self.outcome.customers_merged += 1
                    self._forget(other_id, survivor_id)
        elif weak_hits and len(claims) == 1:
            # only a display name, already known: the same WhatsApp contact again
            customer = Customer.objects.get(pk=min(weak_hits))
        else:
            phone = next((c.value for c in claims if c.kind == IdentityKind.PHONE), None)
            email = next((c.value for c in claims if c.kind == IdentityKind.EMAIL), None)
            customer = Customer(
                shop=self.shop,
                name=name or None,
                phone=phone,
                email=email,
                address=address or None,
                city=city or "",
                province=province or "",
            )
            customer.save()
            self.outcome.customers_new += 1

        self._fill_gaps(customer, claims, name=name, city=city, province=province)
        for claim, index in indexed:
            if index in found:
                # Already known: it belongs to this customer (merges moved it here), or
                # it is a display name shared with someone else, which never moves.
                continue
            Identity(
                shop=self.shop,
                customer=customer,
                kind=claim.kind,
                channel=claim.channel,
                value=claim.value,
                value_index=index,
                source=self.source,
                import_file=self.import_file,
                first_seen_at=seen_at,
                last_seen_at=seen_at,
            ).save()
            self._index_cache[index] = customer.pk
            self.outcome.identities_new += 1
        self.outcome.touched.add(customer.pk)
        return customer

    def _forget(self, old_id: int, new_id: int) -> None:
        for index, customer_id in self._index_cache.items():
            if customer_id == old_id:
                self._index_cache[index] = new_id

    @staticmethod
    def _fill_gaps(customer, claims, *, name, city, province) -> None:
        changed = []
        phone = next((c.value for c in claims if c.kind == IdentityKind.PHONE), None)
        email = next((c.value for c in claims if c.kind == IdentityKind.EMAIL), None)
        for attr, value in (("name", name), ("phone", phone), ("email", email)):
            if value and not getattr(customer, attr):
                setattr(customer, attr, value)
                changed.append(attr)
        for attr, value in (("city", city), ("province", province)):
            if value and not getattr(customer, attr):
                setattr(customer, attr, value)
                changed.append(attr)
        if changed:
            customer.save(update_fields=changed)


@transaction.atomic
def customer_merge(*, shop, survivor: Customer, absorbed: Customer, reason: str, actor=None):
    """Move ``absorbed``'s identities and orders to ``survivor``; recorded for undo."""
    if survivor.pk == absorbed.pk or {survivor.shop_id, absorbed.shop_id} != {shop.pk}:
        raise ValueError("cannot merge a customer with itself or across shops")
    identities = list(
        Identity.objects.filter(shop=shop, customer=absorbed).values_list("pk", flat=True)
    )
    orders = list(Order.objects.filter(shop=shop, customer=absorbed).values_list("pk", flat=True))
    Identity.objects.filter(pk__in=identities).update(customer=survivor)
    Order.objects.filter(pk__in=orders).update(customer=survivor)
    absorbed.merged_into = survivor
    absorbed.save(update_fields=["merged_into"])
    MatchSuggestion.objects.filter(shop=shop, state=MatchSuggestion.State.PENDING).filter(
        customer_a__in=[survivor, absorbed], customer_b__in=[survivor, absorbed]
    ).update(state=MatchSuggestion.State.MERGED, decided_by=actor, decided_at=timezone.now())
    return Merge.objects.create(
        shop=shop,
        survivor=survivor,
        absorbed=absorbed,
        reason=reason,
        moved_identities=identities,
        moved_orders=orders,
        decided_by=actor,
    )


@transaction.atomic
def merge_undo(*, shop, merge: Merge, actor=None) -> None:
    """Give the absorbed customer back what the merge moved. Later merges stay."""
    if merge.undone_at is not None:
        return
    Identity.objects.filter(shop=shop, pk__in=merge.moved_identities).update(
        customer=merge.absorbed
    )
    Order.objects.filter(shop=shop, pk__in=merge.moved_orders).update(customer=merge.absorbed)
    Customer.objects.filter(shop=shop, pk=merge.absorbed_id).update(merged_into=None)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
