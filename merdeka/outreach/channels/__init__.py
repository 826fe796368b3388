"""Outreach channels: one small module each, behind one interface.

A channel knows the customer's address on it, the words of the way out that it adds
to a marketing message, whether it can be used by a shop right now, and how to send
one message. It never decides *whether* a message may be sent: consent is checked in
one place, ``merdeka.outreach.services.sending.delivery_send``, right before ``send``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from merdeka.outreach.models import ChannelKind


@dataclass
class Outgoing:
    """One message, ready for a channel."""

    shop: object
    delivery: object
    customer: object
    address: str
    body: str
    subject: str = ""
    unsubscribe_url: str = ""
    template: object = None
    params: list[str] = field(default_factory=list)


@dataclass
class SendResult:
    provider_message_id: str = ""
    open_url: str = ""  # wa.me: the link the seller's phone opens


class ChannelError(Exception):
    """A send that did not happen.

    ``retryable``: try again later with backoff. ``pause``: the shop's account needs
    attention (an expired token); the message waits, untried, until it is fixed.
    ``opted_out``: the provider says the person stopped these messages.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        pause: bool = False,
        opted_out: bool = False,
        window: bool = False,
    ):
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.retryable = retryable
        self.pause = pause
        self.opted_out = opted_out
        self.window = window


class Channel:
    kind: str = ""
    consent_channel: str = ""
    automatic: bool = True  # sent by the worker; False when the seller's tap sends it

    def address(self, customer) -> str | None:
        raise NotImplementedError

    def unavailable_reason(self, shop) -> str | None:
        """Why the shop cannot use this channel now, or None."""
        return None

    def footer(self, unsubscribe_url: str) -> str:
        raise NotImplementedError

    def send(self, message: Outgoing) -> SendResult:
        raise NotImplementedError


def get_channel(kind: str) -> Channel:
    from merdeka.outreach.channels import cloudapi, email, walink

    channels = {
        ChannelKind.WALINK: walink.WaLinkChannel(),
        ChannelKind.CLOUDAPI: cloudapi.CloudApiChannel(),
        ChannelKind.EMAIL: email.EmailChannel(),
    }
    try:
        return channels[kind]
    except KeyError:
        raise ValueError(f"unknown channel {kind!r}") from None
