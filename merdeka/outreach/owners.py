"""Mail to the shop's owners about their own shop: a new order, stock running low.

Not a campaign: the owners are the shop's own people, not its customers, so there is no
consent ledger and no unsubscribe link; they get it at the address of their account.
It goes through the same mail server as outreach's email (``MERDEKA_SMTP_*``), with
Django's mail. Without a mail server, or an owner with an address, nothing is sent.
A failing server raises, so that the outbox delivering the event tries again later.
"""

from __future__ import annotations

from email.utils import formataddr

from django.core.mail import EmailMessage

from merdeka.core.models import Membership, Role
from merdeka.outreach.channels.email import smtp_connection, smtp_settings


def owner_addresses(*, shop) -> list[str]:
    emails = (
        Membership.unscoped.filter(shop_id=shop.pk, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted({email.strip() for email in emails if email and "@" in email})


def owners_mail(*, shop, subject: str, body: str) -> int:
    """Send ``subject`` and ``body`` to the shop's owners; returns how many got it."""
    conf = smtp_settings()
    if not conf["host"] or not conf["from"]:
        return 0
    to = owner_addresses(shop=shop)
    if not to:
        return 0
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=formataddr((f"Merdeka · {shop.name}", conf["from"])),
        to=to,
        connection=smtp_connection(),
    ).send()
    return len(to)
