from __future__ import annotations

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from merdeka.core import rawsql
from merdeka.core.scoping import shop_scope
from merdeka.core.wording import preorder_title
from merdeka.customers.models import Customer, Identity
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy.audit import action_label
from merdeka.privacy.consent import _merged_group
from merdeka.privacy.fields import BlindIndexField, EncryptedBundleField
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
        if isinstance(field, EncryptedBundleField):  # each value it seals, by its name
            row.update({m: _plain(getattr(instance, m)) for m in field.members})
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


def _audit_target_kinds():
    """target type -> (what it is, in words; the page it has, or None; how one is named,
    or None). A type missing here is named by its model's verbose name."""
    return {
        "customers.customer": (_("Customer"), "customer_detail", None),
        "orders.order": (_("Order"), "order_detail", lambda order: f"#{order.external_id}"),
        "outreach.campaign": (_("Campaign"), "outreach_campaign", str),
        "customers.segment": (_("Segment"), "segment_detail", lambda segment: segment.name),
        "groupbuy.groupbuy": (_("Group buy"), "groupbuy_detail", None),
        "groupbuy.groupoffer": (_("Group buy offer"), "groupbuy_offer_edit", None),
        "cards.cardbatch": (_("Parcel cards"), "card_print", str),
        "preorders.preorderbatch": (
            _("Pre-order"),
            "preorder_detail",
            lambda batch: preorder_title(batch.title),
        ),
        "imports.importfile": (_("Imported file"), "import_run", lambda record: record.name),
        "imports.importrun": (_("Import"), "import_run", None),
        "imports.columnmapping": (_("Column mapping"), None, None),
        "outreach.whatsapptemplate": (_("WhatsApp template"), None, str),
        "books.journalentry": (_("Entry in the books"), None, None),
        "privacy.incident": (_("Data protection incident"), "incident_detail", None),
        "core.shop": (_("Shop"), None, None),
        "core.user": (_("Team member"), None, None),
    }


# named by their words alone: "PO Hampers Lebaran" says what it is ("PO: PO ..." did not)
_NAMED_ALONE = {"preorders.preorderbatch"}


def audit_targets(*, shop, events) -> list:
    """Name what each audit event was about the way a seller would (``Pesanan #1042``,
    ``Kampanye: Promo Lebaran``), linked to its page while it exists: never the code
    words ``orders.order #16``. Reads each kind of target once; sets ``target_label``
    and ``target_url`` on the events and returns them. Customers are named
    "Pelanggan" only: the log is no place to decrypt names in bulk."""
    kinds = _audit_target_kinds()
    events = list(events)
    wanted: dict[str, set[int]] = {}
    for event in events:
        event.target_label, event.target_url = "", ""
        if event.target_type and event.target_id.isdigit():
            wanted.setdefault(event.target_type, set()).add(int(event.target_id))
    found: dict[tuple[str, str], object] = {}
    for target_type, ids in wanted.items():
        _kind, url_name, words = kinds.get(target_type, (None, None, None))
        if url_name is None and words is None:
            continue  # nothing to look up: named by its kind alone
        model = apps.get_model(target_type)
        rows = model._base_manager.filter(shop=shop, pk__in=ids)
        if target_type == "customers.customer":
            rows = rows.filter(merged_into__isnull=True)  # a merged-away page is gone
        found.update({(target_type, str(obj.pk)): obj for obj in rows})
    for event in events:
        if not event.target_type:
            continue
        kind, url_name, words = kinds.get(event.target_type, (None, None, None))
        if kind is None:
            try:
                kind = apps.get_model(event.target_type)._meta.verbose_name
            except (LookupError, ValueError):
                kind = event.target_type
        kind = str(kind)
        obj = found.get((event.target_type, event.target_id))
        event.target_label = kind[:1].upper() + kind[1:]
        if obj is not None and words is not None:
            event.target_label = f"{event.target_label} {words(obj)}"
            if event.target_type in _NAMED_ALONE:
                event.target_label = words(obj)
            elif event.target_type != "orders.order":
                event.target_label = f"{kind}: {words(obj)}"
        if obj is not None and url_name:
            event.target_url = reverse(url_name, args=[getattr(obj, "run_id", None) or obj.pk])
    return events
