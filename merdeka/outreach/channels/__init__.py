"""Outreach channels: one small module each, behind one interface.

A channel knows the customer's address on it, the words of the way out that it adds
to a marketing message, whether it can be used by a shop right now, and how to send
one message. It never decides *whether* a message may be sent: consent is checked in
one place, ``merdeka.outreach.services.sending.delivery_send``, right before ``send``.
"""

from __future__ import annotations

from merdeka.outreach.channels import cloudapi, email, walink
from merdeka.outreach.channels.base import Channel, ChannelError, Outgoing, SendResult
from merdeka.outreach.models import ChannelKind

__all__ = ["Channel", "ChannelError", "Outgoing", "SendResult", "get_channel"]


def get_channel(kind: str) -> Channel:
    channels = {
        ChannelKind.WALINK: walink.WaLinkChannel(),
        ChannelKind.CLOUDAPI: cloudapi.CloudApiChannel(),
        ChannelKind.EMAIL: email.EmailChannel(),
    }
    try:
        return channels[kind]
    except KeyError:
        raise ValueError(f"unknown channel {kind!r}") from None
