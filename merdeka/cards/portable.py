"""Parcel-insert cards and their sign-ups in ``merdeka export`` and back."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

from django.db import transaction

from merdeka.cards.models import CardBatch, SignUp
from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope

BATCH_FIELDS = ("id", "kind", "label", "channel", "count", "voucher_code", "token", "created_at")
SIGNUP_FIELDS = (
    "batch",
    "customer",
    "known_before",
    "consent_whatsapp",
    "consent_email",
    "created_at",
)


def card_batch_rows(*, shop) -> Iterator[dict]:
    for batch in batches(CardBatch.objects.filter(shop=shop).select_related("created_by")):
        for card in batch:
            row = fields_of(card, BATCH_FIELDS)
            row["created_by"] = card.created_by.username if card.created_by_id else None
            yield row


def signup_rows(*, shop) -> Iterator[dict]:
    for batch in batches(SignUp.objects.filter(shop=shop)):
        for signup in batch:
            yield fields_of(signup, SIGNUP_FIELDS)


def cards_restore(*, shop, batches_in: Iterable[dict], signups: Iterable[dict], moved: Moved):
    """Card batches and sign-ups into a shop that has neither (else nothing)."""
    with transaction.atomic(), shop_scope(shop):
        if any(m.objects.filter(shop=shop).exists() for m in (CardBatch, SignUp)):
            return 0
        rows = list(batches_in)  # a shop prints a few batches a month
        cards = []
        for row in rows:
            card = CardBatch(**fields_in(CardBatch, row, BATCH_FIELDS[1:]))
            card.created_by_id = moved.user(row.get("created_by"))
            if CardBatch.unscoped.filter(token=card.token).exists():
                card.token = secrets.token_urlsafe(16)
            cards.append(card)
        ids = rows_insert(CardBatch, cards, shop=shop)
        moved.of("card_batch").update(zip([r["id"] for r in rows], ids, strict=True))
        written, part = 0, []
        for row in signups:
            signup = SignUp(**fields_in(SignUp, row, SIGNUP_FIELDS[2:]))
            signup.batch_id = moved.get("card_batch", row["batch"])
            signup.customer_id = moved.get("customer", row["customer"])
            part.append(signup)
            if len(part) >= 2000:
                written += len(rows_insert(SignUp, part, shop=shop))
                part = []
        written += len(rows_insert(SignUp, part, shop=shop))
    return written
