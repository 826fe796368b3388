"""WhatsApp from the seller's own phone: a wa.me link per customer, the free path.

Nothing is sent by the server. The queue page shows one link per customer; the tap
opens WhatsApp with the message filled in and records the message as sent.
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext, override

from merdeka.core.phone import normalize_phone
from merdeka.outreach.channels.base import Channel, Outgoing, SendResult
from merdeka.privacy.models import ConsentChannel


def wa_me_url(e164: str, text: str) -> str:
    """``https://wa.me/6281234567890?text=...`` (digits only, the text URL-encoded)."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(text, safe='')}"


class WaLinkChannel(Channel):
    kind = "walink"
    consent_channel = ConsentChannel.WHATSAPP
    automatic = False

    def address(self, customer) -> str | None:
        return normalize_phone(customer.phone)

    def footer(self, unsubscribe_url: str) -> str:
        with override("id"):
            return gettext("Don't want these messages any more? Open %(url)s") % {
                "url": unsubscribe_url
            }

    def send(self, message: Outgoing) -> SendResult:
        return SendResult(open_url=wa_me_url(message.address, message.body))
