"""Outreach's services, one module per job:

* ``campaigns``: saving, previewing and sending a campaign, and the background fan-out
  that makes its messages;
* ``sending``: the one place a message is sent (consent asked right before), order-service
  messages, retries and the catch-up sweep;
* ``cloudapi``: the shop's WhatsApp Cloud API account and its templates;
* ``unsubscribe``: the signed link in every message, and withdrawing consent through it;
* ``webhooks``: what WhatsApp tells us (statuses, replies, STOP);
* ``asking``: one-to-one requests for consent through the wa.me queue, each with the
  sign-up link (service messages to customers never asked);
* ``common``: what several of them need (``OutreachError``, links, composing a message,
  handing a message to the worker).

The modules import one another one way only (``sending`` and ``asking`` use
``campaigns``, all use ``unsubscribe`` and ``common``), so none of them imports this
package. Inside outreach,
import from the module that owns the service. Other apps import from here: exactly the
names in ``__all__``.
"""

from merdeka.outreach.services.common import public_url
from merdeka.outreach.services.sending import (
    deliveries_send_due,
    delivery_send,
    service_message_send,
    window_open,
)

__all__ = [
    "deliveries_send_due",
    "delivery_send",
    "public_url",
    "service_message_send",
    "window_open",
]
