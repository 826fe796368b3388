from __future__ import annotations

from merdeka.core import rawsql
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy.audit import action_label
from merdeka.privacy.consent import _merged_group
from merdeka.privacy.fields import BlindIndexField
from merdeka.privacy.models import AuditEvent, Consent, ConsentEvent, ProcessingRestriction, ShopKey
from merdeka.privacy.rights import customer_relations


def audit_events(*, shop, target=None):
    with shop_scope(shop):
        events = AuditEvent.objects.filter(shop=shop).select_related("actor")
        if target is not None:
            events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        return events


def _plain(value):
    from decimal import Decimal

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _row(instance, *, skip: tuple[str, ...] = ()) -> dict:
    """A row's own values, decrypted; blind indexes and key bookkeeping left out."""

    row = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, BlindIndexField) or field.name in ("uid", "key_version", "shop"):
            continue
        if field.name in skip:
            continue
        row[field.attname] = _plain(getattr(instance, field.attname))
    return row


# Relations of a customer that customer_data() writes out in their own section, or that
# are the shop's internal bookkeeping of matching (keyed hashes, not data about the person).
_OWN_SECTIONS = {
    "customers.identity",
    "orders.order",
    "privacy.consentevent",
    "privacy.consent",
    "privacy.processingrestriction",
    "customers.matchkey",
    "customers.merge",
    "customers.matchsuggestion",
    "customers.customer",
}


def customer_data(*, shop, customer) -> dict:
    """Everything the shop holds about one customer, in a structured, machine-readable
    form (UU PDP art. 7, 13 and 32: the data and its processing trail)."""
    from django.utils import timezone

    person = ("name", "phone", "email", "address", "city", "province", "created_at")
    with shop_scope(shop):
        group = sorted(_merged_group(shop, [customer.pk])[customer.pk])
        merged = Customer.objects.filter(shop=shop, pk__in=group).exclude(pk=customer.pk)
        orders = list(Order.objects.filter(shop=shop, customer_id__in=group).order_by("ordered_at"))
        lines: dict[int, list] = {}
        for line in OrderLine.objects.filter(shop=shop, order__in=orders).order_by("position"):
            lines.setdefault(line.order_id, []).append(_row(line, skip=("id", "order", "position")))
        data = {
            "format": "merdeka-customer-data",
            "version": 1,
            "exported_at": timezone.now().isoformat(),
            "shop": {"name": shop.name, "slug": shop.slug},
            "customer": {"id": customer.pk} | {f: _plain(getattr(customer, f)) for f in person},
            "merged_records": [
                {"id": m.pk} | {f: _plain(getattr(m, f)) for f in person} for m in merged
            ],
            "identities": [
                {
                    "kind": i.kind,
                    "channel": i.channel,
                    "value": i.value,
                    "source": i.source,
                    "first_seen_at": _plain(i.first_seen_at),
                    "last_seen_at": _plain(i.last_seen_at),
                }
                for i in Identity.objects.filter(shop=shop, customer_id__in=group).order_by("pk")
            ],
            "orders": [
                _row(o, skip=("customer", "import_file")) | {"lines": lines.get(o.pk, [])}
                for o in orders
            ],
            "consent": {
                "current": {
                    c.channel: {
                        "granted": c.granted,
                        "source": c.source,
                        "updated_at": _plain(c.updated_at),
                    }
                    for c in Consent.objects.filter(shop=shop, customer=customer)
                },
                "ledger": [
                    {
                        "channel": e.channel,
                        "granted": e.granted,
                        "source": e.source,
                        "evidence": e.evidence,
                        "recorded_by": e.actor.get_username() if e.actor else None,
                        "created_at": _plain(e.created_at),
                    }
                    for e in ConsentEvent.objects.filter(
                        shop=shop, customer_id__in=group
                    ).select_related("actor")
                ],
            },
            "restrictions": [
                {
                    "reason": r.reason,
                    "created_at": _plain(r.created_at),
                    "lifted_at": _plain(r.lifted_at),
                }
                for r in ProcessingRestriction.objects.filter(shop=shop, customer_id__in=group)
            ],
            "processing_trail": [
                {
                    "action": e.action,
                    "label": action_label(e.action),
                    "by": e.actor_username or None,
                    "at": _plain(e.created_at),
                }
                for e in AuditEvent.objects.filter(
                    shop=shop,
                    target_type=Customer._meta.label_lower,
                    target_id__in=[str(pk) for pk in group],
                ).order_by("created_at", "id")
            ],
            "other": {},
        }
        # Whatever else other parts of Merdeka keep about the customer (sign-ups, notes...)
        for relation in customer_relations():
            model = relation.related_model
            label = model._meta.label_lower
            if label in _OWN_SECTIONS:
                continue
            rows = model._base_manager.filter(
                shop_id=shop.pk, **{f"{relation.field.name}_id__in": group}
            ).order_by("pk")
            found = [_row(row, skip=(relation.field.name,)) for row in rows]
            if found:
                data["other"].setdefault(label, []).extend(found)
    return data


def newest_data_key_version(shop_id: int) -> int | None:
    """The shop's newest data key version, None before its first: asked by every write
    that seals (each checkout), so one raw indexed query rather than an ORM one."""
    with rawsql.cursor() as cursor:
        [version] = rawsql.fetchone(
            cursor,
            f'SELECT MAX("version") FROM "{ShopKey._meta.db_table}" '  # noqa: S608 - our names
            'WHERE "shop_id" = %s AND "purpose" = %s',
            [shop_id, ShopKey.DATA],
            shop_id=shop_id,
        )
    return version
