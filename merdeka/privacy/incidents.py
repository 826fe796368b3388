"""The breach register and the 3 x 24-hour duty of UU PDP art. 46.

When personal data the shop controls leaks or is misused, the controller must tell, in
writing and within 3 x 24 hours of finding it, both the people whose data it was and
the authority: which data, when and how it was exposed, and what the shop does about
it (art. 46(1)-(2)). Here the owner records the incident (``incident_record``); Merdeka
lists who is affected — everyone, the customers she names, or whoever's data was opened
or exported in a window of time according to the audit log (``affected_from_audit``) —,
drafts the notice to each of them (``customer_notice``, always in Bahasa Indonesia),
sends it as a service message or lets her download it, drafts the letter to the
authority, and shows the deadline (``deadline``) until she marks both notices sent.

Every write is audited; every read takes ``shop=``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merdeka.core.models import TIME_ZONE_ABBREVIATIONS
from merdeka.core.scoping import shop_scope
from merdeka.core.sheets import formula_safe
from merdeka.customers.models import Customer
from merdeka.groupbuy.models import GroupBuy, GroupMember
from merdeka.orders.models import Order
from merdeka.outreach.models import ChannelKind
from merdeka.outreach.services import service_message_send
from merdeka.preorders.models import PreorderEntry
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import AuditEvent, Incident, IncidentCustomer

NOTICE_HOURS = 72  # "3 x 24 (tiga kali dua puluh empat) jam"

CATEGORIES = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("WhatsApp or phone number"),
    "email": gettext_lazy("Email address"),
    "address": gettext_lazy("Delivery address"),
    "orders": gettext_lazy("Order history (products, amounts, dates)"),
    "notes": gettext_lazy("Private notes about the customer"),
    "marketplace": gettext_lazy("Marketplace usernames"),
}

# Audit actions that read a customer's full record (target: the customer).
CUSTOMER_READS = {
    "customer.viewed",
    "customer.data_exported",
    "customer.corrected",
    "customer.changed",
}
# Reads of other records that show customers' personal data.
ORDER_READS = {"order.viewed"}
GROUP_READS = {"groupbuy.viewed"}
BATCH_READS = {"preorder.buyers_viewed"}
# Exports of the customer list: the log keeps counts, not names, so everyone who was a
# customer at the time could be in one.
EXPORTS = {"export.created"}
NOTICE_DOWNLOADS = {"incident.notices_downloaded"}


class IncidentError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Affected:
    customer_ids: set[int]
    reads: int = 0  # audit events that pointed at a customer, an order, a group or a batch
    exports: int = 0  # exports of the whole list (everyone then a customer is included)


# -- reading -------------------------------------------------------------------------------


def incidents(*, shop):
    with shop_scope(shop):
        return list(Incident.objects.filter(shop=shop))


def incident_get(*, shop, incident_id: int) -> Incident:
    with shop_scope(shop):
        return Incident.objects.get(shop=shop, pk=incident_id)


def deadline(incident: Incident) -> dt.datetime:
    """When both notices are due: 3 x 24 hours after the incident was found."""
    return incident.found_at + dt.timedelta(hours=NOTICE_HOURS)


def is_open(incident: Incident) -> bool:
    return incident.customers_notified_at is None or incident.authority_notified_at is None


@dataclass
class Due:
    incident: Incident
    deadline: dt.datetime
    hours_left: int  # whole hours still left (rounded down), 0 when late
    hours_late: int  # whole hours past the deadline, 0 while there is time
    overdue: bool


def due(incident: Incident, *, now: dt.datetime | None = None) -> Due:
    now = now or timezone.now()
    when = deadline(incident)
    seconds = (when - now).total_seconds()
    return Due(
        incident=incident,
        deadline=when,
        hours_left=int(seconds // 3600) if seconds >= 0 else 0,
        hours_late=int(-seconds // 3600) if seconds < 0 else 0,
        overdue=seconds < 0,
    )


def incidents_due(*, shop, now: dt.datetime | None = None) -> list[Due]:
    """Incidents whose notices are not both marked sent, soonest deadline first."""
    waiting = Q(customers_notified_at__isnull=True) | Q(authority_notified_at__isnull=True)
    with shop_scope(shop):
        rows = Incident.objects.filter(waiting, shop=shop)
        return sorted((due(i, now=now) for i in rows), key=lambda d: d.deadline)


def affected_customers(*, shop, incident: Incident) -> list:
    """The customers listed for the incident as they are now (one merged since is the
    customer they were merged into), oldest first; names decrypt on access."""

    with shop_scope(shop):
        listed = set(
            IncidentCustomer.objects.filter(shop=shop, incident=incident).values_list(
                "customer_id", flat=True
            )
        )
        live = _survivors(shop, listed)
        return list(Customer.objects.filter(shop=shop, pk__in=live).order_by("created_at", "pk"))


def affected_count(*, shop, incident: Incident) -> int:
    return len(affected_customers(shop=shop, incident=incident))


def _survivors(shop, ids: set[int]) -> set[int]:
    """Customers as they are now: merged ones as the customer they were merged into,
    erased ones left out."""

    found: set[int] = set()
    todo = set(ids)
    seen: set[int] = set()
    while todo:
        rows = Customer.objects.filter(shop=shop, pk__in=todo).values_list("pk", "merged_into_id")
        seen |= todo
        todo = set()
        for pk, into in rows:
            if into is None:
                found.add(pk)
            elif into not in seen:
                todo.add(into)
    return found


def affected_from_audit(*, shop, start: dt.datetime, end: dt.datetime, actor=None) -> Affected:
    """Whose data was opened or exported between ``start`` and ``end`` (by ``actor``
    only, if given), according to the audit log.

    Reads of a customer's record, of an order, of a group buy's members and of a
    pre-order's buyers name the people they showed; an export of the customer list
    names no one, so it counts everyone who was a customer when it was made.
    """

    actions = CUSTOMER_READS | ORDER_READS | GROUP_READS | BATCH_READS | EXPORTS | NOTICE_DOWNLOADS
    with shop_scope(shop):
        events = AuditEvent.objects.filter(
            shop=shop, created_at__gte=start, created_at__lte=end, action__in=actions
        )
        if actor is not None:
            events = events.filter(actor=actor)
        by_action: dict[str, set[str]] = {}
        last_export = None
        reads = exports = 0
        for action, target_id, created_at in events.values_list(
            "action", "target_id", "created_at"
        ):
            if action in EXPORTS:
                exports += 1
                last_export = max(last_export or created_at, created_at)
                continue
            reads += 1
            by_action.setdefault(action, set()).add(target_id)

        def ids(actions_: set[str]) -> set[int]:
            found = set()
            for action in actions_:
                found |= {int(t) for t in by_action.get(action, ()) if t.isdigit()}
            return found

        customer_ids = ids(CUSTOMER_READS)
        customer_ids |= set(
            Order.objects.filter(
                shop=shop, pk__in=ids(ORDER_READS), customer__isnull=False
            ).values_list("customer_id", flat=True)
        )
        groups = ids(GROUP_READS)
        customer_ids |= set(
            Order.objects.filter(
                shop=shop,
                pk__in=GroupMember.objects.filter(shop=shop, group_id__in=groups).values(
                    "order_id"
                ),
                customer__isnull=False,
            ).values_list("customer_id", flat=True)
        )
        customer_ids |= set(
            GroupBuy.objects.filter(
                shop=shop, pk__in=groups, coordinator_customer__isnull=False
            ).values_list("coordinator_customer_id", flat=True)
        )
        customer_ids |= set(
            Order.objects.filter(
                shop=shop,
                pk__in=PreorderEntry.objects.filter(
                    shop=shop, batch_id__in=ids(BATCH_READS)
                ).values("order_id"),
                customer__isnull=False,
            ).values_list("customer_id", flat=True)
        )
        customer_ids |= set(
            IncidentCustomer.objects.filter(
                shop=shop, incident_id__in=ids(NOTICE_DOWNLOADS)
            ).values_list("customer_id", flat=True)
        )
        if last_export is not None:
            customer_ids |= set(
                Customer.objects.filter(shop=shop, created_at__lte=last_export).values_list(
                    "pk", flat=True
                )
            )
        return Affected(customer_ids=_survivors(shop, customer_ids), reads=reads, exports=exports)


def customers_chosen(*, shop, lines: list[str]) -> tuple[set[int], list[int]]:
    """Customers named one per line by WhatsApp number, email or ``#number`` (the number
    in the customer's page address). Returns the ids found and the lines not found."""

    phone_index = Customer._meta.get_field("phone_index")
    email_index = Customer._meta.get_field("email_index")
    found: set[int] = set()
    missing: list[int] = []
    with shop_scope(shop):
        live = Customer.objects.filter(shop=shop)
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#") and line[1:].isdigit():
                rows = live.filter(pk=int(line[1:]))
            elif "@" in line:
                index = email_index.index_for(shop.pk, line)
                rows = live.filter(email_index=index) if index else live.none()
            else:
                index = phone_index.index_for(shop.pk, line)
                rows = live.filter(phone_index=index) if index else live.none()
            ids = set(rows.values_list("pk", flat=True))
            if ids:
                found |= ids
            else:
                missing.append(number)
        return _survivors(shop, found), missing


# -- recording -----------------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    shop,
    actor,
    what_happened: str,
    found_at: dt.datetime,
    categories: list[str],
    measures: str,
    contact: str,
    scope: str,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    window_actor=None,
    chosen: list[str] | None = None,
    request=None,
) -> Incident:
    """Record an incident and list the customers it affects."""

    now = timezone.now()
    if found_at > now + dt.timedelta(minutes=5):
        raise IncidentError(_("The time it was found cannot be in the future."), field="found_at")
    unknown = set(categories) - set(CATEGORIES)
    if not categories or unknown:
        raise IncidentError(_("Choose which data was affected."), field="categories")
    if scope == Incident.Scope.WINDOW:
        if window_start is None or window_end is None:
            raise IncidentError(_("Give the start and the end of the window."), field="window_end")
        if window_end < window_start:
            raise IncidentError(_("The window ends before it starts."), field="window_end")
        affected = affected_from_audit(
            shop=shop, start=window_start, end=window_end, actor=window_actor
        ).customer_ids
    elif scope == Incident.Scope.CHOSEN:
        affected, missing = customers_chosen(shop=shop, lines=chosen or [])
        if missing:
            raise IncidentError(
                _("No customer found on line %(lines)s.")
                % {"lines": ", ".join(str(n) for n in missing)},
                field="chosen",
            )
        if not affected:
            raise IncidentError(_("Name at least one customer."), field="chosen")
    elif scope == Incident.Scope.ALL:
        with shop_scope(shop):
            affected = set(
                Customer.objects.filter(shop=shop, merged_into__isnull=True).values_list(
                    "pk", flat=True
                )
            )
    else:
        raise IncidentError(_("Choose whose data was affected."), field="scope")
    with shop_scope(shop):
        incident = Incident(
            shop=shop,
            what_happened=what_happened.strip(),
            measures=measures.strip(),
            contact=contact.strip(),
            found_at=found_at,
            scope=scope,
            window_start=window_start if scope == Incident.Scope.WINDOW else None,
            window_end=window_end if scope == Incident.Scope.WINDOW else None,
            window_actor=window_actor if scope == Incident.Scope.WINDOW else None,
            categories=[c for c in CATEGORIES if c in categories],
            created_by=actor,
        )
        incident.save()
        IncidentCustomer.objects.bulk_create(
            [
                IncidentCustomer(shop=shop, incident=incident, customer_id=pk)
                for pk in sorted(affected)
            ]
        )
    audit_record(
        action="incident.recorded",
        shop=shop,
        actor=actor,
        target=incident,
        request=request,
        detail={"scope": scope, "customers": len(affected), "categories": incident.categories},
    )
    return incident


MARKS = {"customers": "customers_notified_at", "authority": "authority_notified_at"}


@transaction.atomic
def incident_mark(*, shop, actor, incident: Incident, notice: str, request=None) -> bool:
    """The owner says a notice went out (to the customers, or to the authority)."""
    field = MARKS.get(notice)
    if field is None:
        raise IncidentError(_("Unknown notice."))
    with shop_scope(shop):
        changed = Incident.objects.filter(
            shop=shop, pk=incident.pk, **{f"{field}__isnull": True}
        ).update(**{field: timezone.now()})
    if changed:
        audit_record(
            action=f"incident.{notice}_notified",
            shop=shop,
            actor=actor,
            target=incident,
            request=request,
        )
    return bool(changed)


# -- the notices -------------------------------------------------------------------------------


def _local(shop, value: dt.datetime) -> str:
    import zoneinfo

    from django.utils.formats import date_format

    local = timezone.localtime(value, zoneinfo.ZoneInfo(shop.time_zone))
    label = TIME_ZONE_ABBREVIATIONS.get(shop.time_zone, shop.time_zone)
    return f"{date_format(local, 'DATETIME_FORMAT')} {label}"


def category_labels(incident: Incident) -> list[str]:
    return [str(CATEGORIES[c]) for c in incident.categories if c in CATEGORIES]


def when_text(shop, incident: Incident) -> str:
    if incident.window_start and incident.window_end:
        return _("between %(start)s and %(end)s; we found it on %(found)s") % {
            "start": _local(shop, incident.window_start),
            "end": _local(shop, incident.window_end),
            "found": _local(shop, incident.found_at),
        }
    return _("we found it on %(found)s") % {"found": _local(shop, incident.found_at)}


def customer_notice(*, shop, incident: Incident, name: str = "{nama}") -> dict[str, str]:
    """The notice to one customer, in Bahasa Indonesia whatever the owner's language:
    ``subject`` and ``body``. ``{nama}`` is filled by outreach when it is sent."""
    with translation.override("id"):
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": name},
                _(
                    "We at %(shop)s must tell you that the protection of personal data "
                    "we keep about you failed: %(what)s"
                )
                % {"shop": shop.name, "what": incident.what_happened},
                _("When: %(when)s.") % {"when": when_text(shop, incident)},
                _("Your data involved: %(data)s.")
                % {
                    "data": ", ".join(
                        label[:1].lower() + label[1:] for label in category_labels(incident)
                    )
                },
                _("What we are doing about it: %(measures)s") % {"measures": incident.measures},
                _("Questions? Contact us: %(contact)s") % {"contact": incident.contact},
                _(
                    "We send this notice under Article 46 of Law No. 27 of 2022 on "
                    "Personal Data Protection."
                ),
                shop.name,
            ]
        )
        subject = _("Notice of a personal data protection failure — %(shop)s") % {"shop": shop.name}
    return {"subject": subject, "body": body}


def notices_send(*, shop, actor, incident: Incident, channel: str, request=None) -> dict:
    """The notice to every affected customer as a service message through outreach
    (consent-aware: restricted or erased customers get nothing). Returns counts."""

    if channel not in (ChannelKind.CLOUDAPI, ChannelKind.EMAIL):
        raise IncidentError(_("Choose a channel from the list."), field="channel")
    notice = customer_notice(shop=shop, incident=incident)
    customers = affected_customers(shop=shop, incident=incident)
    sent = skipped = 0
    with transaction.atomic():
        for customer in customers:
            reachable = customer.email if channel == ChannelKind.EMAIL else customer.phone
            if not reachable:
                skipped += 1
                continue
            service_message_send(
                shop=shop,
                customer=customer,
                body=notice["body"],
                subject=notice["subject"],
                channel=channel,
            )
            sent += 1
        audit_record(
            action="incident.notices_sent",
            shop=shop,
            actor=actor,
            target=incident,
            request=request,
            detail={"channel": channel, "messages": sent, "skipped": skipped},
        )
    return {"sent": sent, "skipped": skipped}


def notices_rows(*, shop, actor, incident: Incident, request=None) -> list[list[str]]:
    """Rows of the download, header first: each affected customer with their contact
    details, their notice and a wa.me link that opens WhatsApp with it (formula-safe).
    Audited: it is personal data."""
    from urllib.parse import quote

    customers = affected_customers(shop=shop, incident=incident)
    with translation.override("id"):
        rows = [[_("Name"), _("WhatsApp"), _("Email"), _("Notice"), _("WhatsApp link")]]
    for customer in customers:
        name = customer.name or ""
        notice = customer_notice(shop=shop, incident=incident, name=name or "Pelanggan")
        phone = customer.phone or ""
        link = f"https://wa.me/{phone.lstrip('+')}?text={quote(notice['body'])}" if phone else ""
        cells = [name, phone, customer.email or "", notice["body"], link]
        rows.append([formula_safe(cell) for cell in cells])
    audit_record(
        action="incident.notices_downloaded",
        shop=shop,
        actor=actor,
        target=incident,
        request=request,
        detail={"customers": len(customers)},
    )
    return rows


def authority_notice(*, shop, incident: Incident, owner) -> dict:
    """What the letter to the authority says (rendered by a printable page)."""
    return {
        "controller": shop.name,
        "owner": (owner.get_full_name() or owner.get_username()) if owner else "",
        "owner_email": owner.email if owner else "",
        "contact": incident.contact,
        "what": incident.what_happened,
        "when": when_text(shop, incident),
        "found": _local(shop, incident.found_at),
        "deadline": _local(shop, deadline(incident)),
        "categories": category_labels(incident),
        "count": affected_count(shop=shop, incident=incident),
        "measures": incident.measures,
        "today": _local(shop, timezone.now()),
    }
