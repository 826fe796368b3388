"""Customers' rights under UU PDP (art. 5-13): see, correct, restrict, withdraw, erase.

Each right is one function that owns its transaction and writes the audit log; views,
commands and the retention task call them the same way. Reads (the access/portability
export, the record of processing) are in ``selectors.py``.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core import rawsql
from merdeka.core.events import outbox_deliver_now
from merdeka.core.scoping import shop_scope
from merdeka.customers.imported_keys import IMPORTED_KEYS
from merdeka.customers.models import Customer, Identity
from merdeka.customers.services import CustomerConflict, customer_edit
from merdeka.customers.stats import stats_rows_delete
from merdeka.imports.names import file_names_forget
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import _merged_group, consent_record
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField
from merdeka.privacy.models import (
    ConsentChannel,
    ConsentEvent,
    ConsentSource,
    PrivacySettings,
    ProcessingRestriction,
)

log = logging.getLogger(__name__)

CORRECTABLE = ("name", "phone", "email", "address")
ERASE_WORD = "HAPUS"


class RightsError(Exception):
    """The request cannot be carried out as asked; the message says why (and ``field``
    which form field it is about, if one)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _customer(shop, customer_id: int, *, lock: bool = False):
    customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
    if lock:
        customers = customers.select_for_update()
    return customers.get(pk=customer_id)


# -- correction (art. 6, 30) ------------------------------------------------------------


def customer_correct(
    *,
    shop,
    customer_id: int,
    actor,
    name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    request=None,
) -> list[str]:
    """Correct a customer's personal data at their request; returns the fields that
    changed. The same change as the customer page's form (``customer_edit``), recorded
    as a correction."""
    with shop_scope(shop):
        customer = _customer(shop, customer_id, lock=False)
    try:
        return customer_edit(
            shop=shop,
            actor=actor,
            customer=customer,
            name=name,
            phone=phone,
            email=email,
            address=address,
            action="customer.corrected",
            identity_source=ConsentSource.RIGHTS_REQUEST,
            request=request,
        )
    except CustomerConflict as exc:
        raise RightsError(str(exc), field=exc.field) from None


# -- restriction (art. 11, 41) and withdrawal of consent (art. 9) -------------------------


@transaction.atomic
def customer_restrict(*, shop, customer_id: int, actor, reason: str, request=None):
    if reason not in ProcessingRestriction.Reason.values:
        raise RightsError(_("Choose a reason."))
    with shop_scope(shop):
        customer = _customer(shop, customer_id, lock=True)
        active = ProcessingRestriction.objects.filter(
            shop=shop, customer=customer, lifted_at__isnull=True
        ).first()
        if active is not None:
            return active
        restriction = ProcessingRestriction.objects.create(
            shop=shop, customer=customer, reason=reason, created_by=actor
        )
    audit_record(
        action="customer.restricted",
        shop=shop,
        actor=actor,
        target=customer,
        request=request,
        detail={"reason": reason},
    )
    return restriction


@transaction.atomic
def customer_restriction_lift(*, shop, customer_id: int, actor, request=None) -> bool:
    with shop_scope(shop):
        customer = _customer(shop, customer_id, lock=True)
        group = _merged_group(shop, [customer.pk])[customer.pk]
        lifted = ProcessingRestriction.objects.filter(
            shop=shop, customer_id__in=group, lifted_at__isnull=True
        ).update(lifted_at=timezone.now(), lifted_by=actor)
    if lifted:
        audit_record(
            action="customer.restriction_lifted",
            shop=shop,
            actor=actor,
            target=customer,
            request=request,
        )
    return bool(lifted)


def customer_consent_withdraw(*, shop, customer_id: int, actor, channel: str, request=None):
    """The customer withdrew their consent for one channel: it takes effect at once."""
    if channel not in ConsentChannel.values:
        raise RightsError(_("Unknown channel."))
    with shop_scope(shop):
        customer = _customer(shop, customer_id)
    return consent_record(
        shop=shop,
        customer=customer,
        channel=channel,
        granted=False,
        source=ConsentSource.RIGHTS_REQUEST,
        actor=actor,
        evidence={"recorded_by": "owner"},
        request=request,
    )


# -- erasure (art. 8, 43) -------------------------------------------------------------


def customer_relations():
    """Every relation that points at a customer, hidden ones (``related_name="+"``)
    included."""
    return [
        f
        for f in Customer._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def _personal_columns(model) -> dict[str, None]:
    return {
        f.name: None
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField | BlindIndexField)
    }


def _scrub_sqlite() -> None:
    """After an erasure on SQLite: move the write-ahead log into the database file and
    empty it, so that the deleted rows' old page images do not linger in it."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    try:
        with rawsql.cursor() as cursor:
            rawsql.execute_unscoped(
                cursor,
                "PRAGMA wal_checkpoint(TRUNCATE)",
                why="the whole database file: erased rows must not linger in its log",
            )
    except DatabaseError:  # busy: the next automatic checkpoint reuses those pages
        log.warning("the WAL checkpoint after an erasure could not run now")


@transaction.atomic
def customer_erase(
    *, shop, customer_id: int, actor=None, reason: str = "request", request=None
) -> dict:
    """Erase a customer for good: their personal data and blind indexes, and those of
    every customer merged into them.

    The customer rows go, and with them their identities, match keys, merge records,
    review suggestions, current consent and consent ledger. Orders (and any other row
    kept for the books) stay without anyone attached and without the recipient's name,
    phone, street or marketplace username. Import files named after them (a WhatsApp
    chat) lose their name. The audit log keeps one event with counts only. Irreversible.
    """
    with shop_scope(shop):
        # an import's match keys still waiting in the outbox (hashes of her name and
        # numbers): written now, so that they go with her and nothing of her waits.
        # Before her row is locked: the delivery waits for an import's file to commit.
        outbox_deliver_now(IMPORTED_KEYS, shop_id=shop.pk)
        customer = _customer(shop, customer_id, lock=True)
        group = sorted(_merged_group(shop, [customer.pk])[customer.pk])
        tombstone = {
            "reason": reason,
            "customers": len(group),
            "identities": Identity.objects.filter(shop=shop, customer_id__in=group).count(),
            "consent_events": ConsentEvent.objects.filter(shop=shop, customer_id__in=group).count(),
        }
        secure = connection.vendor == "sqlite"
        if secure:
            with rawsql.cursor() as cursor:
                # freed space is overwritten with zeros, not left in the file
                rawsql.execute_unscoped(
                    cursor, "PRAGMA secure_delete = ON", why="a setting of this connection"
                )
        # the names of the files they came from ("Chat WhatsApp dengan <name>.txt"),
        # found while the customers and their links to those files are still there
        tombstone["import_file_names"] = file_names_forget(shop=shop, customer_ids=group)
        kept = {}
        for relation in customer_relations():
            model = relation.related_model
            if relation.on_delete is not models.SET_NULL or model is Customer:
                continue
            # rows kept without the customer (orders for the books, sign-up counts...)
            values = {relation.field.name: None}
            if issubclass(model, EncryptedModel):
                values.update(_personal_columns(model))
            count = model._base_manager.filter(
                shop_id=shop.pk, **{f"{relation.field.name}_id__in": group}
            ).update(**values)
            if count:
                kept[model._meta.label_lower] = count
        tombstone["kept"] = kept
        # the list rows go first, so that the shop's RFM group counts follow them
        stats_rows_delete(shop=shop, customer_ids=group)
        Customer._base_manager.filter(shop_id=shop.pk, pk__in=group).delete()
    audit_record(
        action="customer.erased",
        shop=shop,
        actor=actor,
        target=customer,
        request=request,
        detail=tombstone,
    )
    transaction.on_commit(_scrub_sqlite)
    return tombstone


# -- retention setting ---------------------------------------------------------------------


@transaction.atomic
def privacy_settings_update(*, shop, actor, retention_months: int | None, request=None):
    with shop_scope(shop):
        settings, _created = PrivacySettings.objects.get_or_create(shop=shop)
        before = settings.retention_months
        settings.retention_months = retention_months
        settings.updated_by = actor
        settings.save()
    if before != retention_months:
        audit_record(
            action="privacy.retention_changed",
            shop=shop,
            actor=actor,
            request=request,
            detail={"months": retention_months, "before": before},
        )
    return settings
