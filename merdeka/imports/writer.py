"""Writes parsed records into a shop: orders with their lines, customers, identities.

Called inside one transaction per file by the pipeline, so a file lands whole or not
at all. Re-importing the same orders adds nothing twice: orders are keyed by shop,
channel and the channel's order id, and a changed status is updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from merdeka.customers.resolution import (
    Outcome,
    Resolver,
    email_claim,
    phone_claim,
    username_claim,
    wa_name_claim,
)
from merdeka.imports import records
from merdeka.orders.models import Order, OrderLine


@dataclass
class Counts:
    orders_new: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    lines_new: int = 0
    participants: int = 0
    contacts: int = 0


def _line_total(line: records.OrderLine) -> Decimal:
    return line.total if line.total is not None else line.unit_price * line.quantity


def write_orders(*, shop, orders, resolver: Resolver, import_file=None) -> Counts:
    counts = Counts()
    for parsed in orders:
        existing = Order.objects.filter(
            shop=shop, channel=parsed.channel, external_id=parsed.external_id
        ).first()
        buyer, address = parsed.buyer, parsed.address
        if existing is not None:
            changed = []
            for attr in ("status", "status_raw", "paid_at", "total"):
                value = getattr(parsed, attr)
                if value is not None and value != getattr(existing, attr):
                    setattr(existing, attr, value)
                    changed.append(attr)
            if changed:
                existing.save(update_fields=changed)
                counts.orders_updated += 1
            else:
                counts.orders_unchanged += 1
            continue
        customer = resolver.resolve(
            [
                username_claim(buyer.username, parsed.channel),
                phone_claim(buyer.phone),
                email_claim(buyer.email),
                phone_claim(address.phone),
            ],
            name=buyer.name or address.recipient,
            city=address.city or "",
            province=address.province or "",
            address=address.street,
            seen_at=parsed.ordered_at,
        )
        order = Order(
            shop=shop,
            channel=parsed.channel,
            external_id=parsed.external_id,
            customer=customer,
            status=parsed.status,
            status_raw=parsed.status_raw,
            ordered_at=parsed.ordered_at,
            paid_at=parsed.paid_at,
            total=parsed.total
            if parsed.total is not None
            else sum((_line_total(line) for line in parsed.lines), Decimal(0)),
            shipping_fee=parsed.shipping_fee,
            buyer_username=buyer.username,
            recipient_name=address.recipient,
            recipient_phone=address.phone,
            street=address.street,
            village=address.village or "",
            district=address.district or "",
            city=address.city or "",
            province=address.province or "",
            postal_code=address.postal_code or "",
            import_file=import_file,
        )
        order.save()
        OrderLine.objects.bulk_create(
            OrderLine(
                shop=shop,
                order=order,
                position=position,
                sku=line.sku,
                name=line.name,
                variant=line.variant,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=_line_total(line),
            )
            for position, line in enumerate(parsed.lines)
        )
        counts.orders_new += 1
        counts.lines_new += len(parsed.lines)
    return counts


def write_contacts(*, contacts, resolver: Resolver) -> Counts:
    counts = Counts()
    for contact in contacts:
        claims = [phone_claim(p) for p in contact.phones] + [email_claim(e) for e in contact.emails]
        if resolver.resolve(claims, name=contact.name) is not None:
            counts.contacts += 1
    return counts


def write_participants(*, participants, resolver: Resolver) -> Counts:
    """WhatsApp chat participants: a shown number is a phone identity, else a chat name."""
    counts = Counts()
    for person in participants:
        claims = [phone_claim(person.phone)] if person.phone else [wa_name_claim(person.name)]
        name = None if person.phone else person.name  # a shown number is not a name
        if resolver.resolve(claims, name=name, seen_at=person.last_at) is not None:
            counts.participants += 1
    return counts


__all__ = ["Counts", "Outcome", "write_contacts", "write_orders", "write_participants"]
