"""What the outreach services share: the error the seller reads, public links, the
composing of a message and the handing of a message to the worker.

Locks: none here. ``delivery_schedule`` is how every service notifies the worker: the
send is enqueued when the caller's transaction commits, so a rolled back message is
never sent.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import OrderLine
from merdeka.outreach.channels import get_channel
from merdeka.outreach.models import Purpose
from merdeka.outreach.placeholders import (
    UNSUBSCRIBE,
    Recipient,
    placeholder_values,
    placeholders_used,
    render,
    template_fill,
)
from merdeka.outreach.tasks import send_delivery

STALE_SENDING = timedelta(minutes=15)


class OutreachError(Exception):
    """A request the seller can fix; the message is for them."""


def public_url(path: str) -> str:
    local = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"  # what `merdeka run` serves
    base = (settings.MERDEKA_PUBLIC_URL or local).rstrip("/")
    return base + path


def delivery_schedule(shop_id: int, delivery_id: int, at=None) -> None:
    """Enqueue a send after commit; a later one only where the task backend can wait
    (the database backend of ``merdeka run``). Otherwise ``deliveries_send_due`` finds it."""
    task = send_delivery
    if at is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=at)
    transaction.on_commit(partial(task.enqueue, shop_id=shop_id, delivery_id=delivery_id))


def recipient_of(customer, last_product: str | None = None) -> Recipient:
    if last_product is None:
        last_product = getattr(customer, "last_product", None)
    if last_product is None:
        with shop_scope(customer.shop_id):
            last_product = (
                OrderLine.objects.filter(shop_id=customer.shop_id, order__customer=customer)
                .order_by("-order__ordered_at", "-order_id", "position")
                .values_list("name", flat=True)
                .first()
            )
    return Recipient(
        name=customer.name or "", city=customer.city or "", last_product=last_product or ""
    )


def compose(
    *,
    shop,
    channel_kind: str,
    purpose: str,
    body: str,
    subject: str = "",
    template=None,
    template_params=(),
    recipient: Recipient,
    unsubscribe: str,
) -> dict:
    """The subject, text and template values one customer gets."""
    channel = get_channel(channel_kind)
    values = placeholder_values(shop=shop, recipient=recipient, unsubscribe_url=unsubscribe)
    if template is not None:
        params = [" ".join(render(p, values).split()) or "-" for p in template_params]
        return {"subject": "", "body": template_fill(template.body, params), "params": params}
    text = render(body, values).strip()
    if purpose == Purpose.MARKETING and UNSUBSCRIBE not in placeholders_used(body):
        text = f"{text}\n\n{channel.footer(unsubscribe)}"
    return {"subject": render(subject, values).strip(), "body": text, "params": []}
