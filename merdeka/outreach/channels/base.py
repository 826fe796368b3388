"""What every channel shares: the message it is handed, what a send returns, the error
it raises and the interface it implements (``merdeka.outreach.channels`` says more).

The channel modules import these from here, and the package imports the channel
modules, so neither imports the other inside a function."""

from __future__ import annotations

from dataclasses import dataclass, field


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
