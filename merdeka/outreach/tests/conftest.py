from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
from datetime import timedelta
from email import policy

import pytest
from django.utils import timezone

from merdeka.customers.services import customer_create
from merdeka.outreach.services.cloudapi import whatsapp_settings_save
from merdeka.outreach.tests.fakegraph import FakeGraph
from merdeka.privacy.consent import consent_record


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


class Clock:
    """Outreach's time, moved by the test: ``clock.advance(minutes=5)``."""

    def __init__(self):
        self.now = timezone.now().replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr("merdeka.outreach.clock.now", fake)
    return fake


@pytest.fixture
def cloud(ika_shop, graph):
    """Ika's shop set up for the Cloud API against the fake Graph server."""
    return whatsapp_settings_save(
        shop=ika_shop,
        actor=None,
        fields={
            "phone_number_id": graph.phone_number_id,
            "business_account_id": "",
            "base_url": graph.base_url,
            "rate_per_minute": 60,
            "access_token": graph.token,
            "app_secret": "app-secret-123",
        },
    )


def make_customer(shop, name, *, phone=None, email=None, city="", consent=()):
    customer = customer_create(
        shop=shop, name=name, phone=phone or "", email=email or "", city=city
    )
    for channel in consent:
        consent_record(shop=shop, customer=customer, channel=channel, granted=True, source="staff")
    return customer


@pytest.fixture
def people(ika_shop):
    """Siti agreed to WhatsApp and email, Budi to nothing, Dewi only WhatsApp (no email),
    Eka agreed to WhatsApp but has no number."""
    return {
        "siti": make_customer(
            ika_shop,
            "Siti Nurhaliza",
            phone="0812-1111-2222",
            email="siti@example.id",
            city="Bandung",
            consent=("whatsapp", "email"),
        ),
        "budi": make_customer(
            ika_shop,
            "Budi Santoso",
            phone="0813-3333-4444",
            email="budi@example.id",
            city="Bandung",
        ),
        "dewi": make_customer(
            ika_shop,
            "Dewi Anggraini",
            phone="+62 857 5555 6666",
            city="Surabaya",
            consent=("whatsapp",),
        ),
        "eka": make_customer(ika_shop, "Eka Putri", city="Bandung", consent=("whatsapp", "email")),
    }


def sign(body: bytes, secret: str = "app-secret-123") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(phone_number_id: str, *, statuses=(), messages=()) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281200000000", "phone_number_id": phone_number_id},
    }
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["messages"] = list(messages)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(payload).encode()


class Inbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self):
        self.envelopes = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    def recipients(self) -> list[str]:
        return [r for e in self.envelopes for r in e.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server in this process; Merdeka's mail settings point at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MERDEKA_SMTP = {
        "host": "127.0.0.1",
        "port": port,
        "user": "",
        "password": "",
        "from": "toko@merdeka.example",
        "tls": False,
        "ssl": False,
        "timeout": 10,
    }
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    yield inbox
    controller.stop()
