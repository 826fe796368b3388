"""The record of processing (UU PDP art. 31): what the shop holds, why, from where, who
can see it and for how long, worked out from the models, the data and the settings.

The purposes and legal bases are written here once, per activity; the fields, their
protection, the counts, the sources, the people with access and the retention period
are read from the code and the database every time the page is opened, so the record
stays true when the models change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import shop_scope
from merdeka.core.selectors import staff_list
from merdeka.customers.models import Customer, Identity
from merdeka.privacy.fields import (
    BlindIndexField,
    EncryptedBundleField,
    EncryptedModel,
    EncryptedTextField,
)
from merdeka.privacy.models import AuditEvent, PrivacySettings, ProcessingRestriction
from merdeka.privacy.services import keys_status

TECHNICAL = {"id", "uid", "key_version", "shop"}


@dataclass(frozen=True)
class Activity:
    key: str
    title: str
    purpose: str
    basis: str
    models: tuple[str, ...]
    retention: str
    sources: tuple[str, ...] = field(default=())


ACTIVITIES = (
    Activity(
        key="customers",
        title=_("Customers"),
        purpose=_(
            "Knowing who the shop's buyers are across every channel, serving them and "
            "answering their questions; merging the records of one person."
        ),
        basis=_("Contract with the buyer (UU PDP art. 20(2)(b))."),
        models=("customers.Customer", "customers.Identity", "customers.MatchKey"),
        retention="setting",
    ),
    Activity(
        key="orders",
        title=_("Orders"),
        purpose=_("Delivering orders and keeping the shop's books."),
        basis=_(
            "Contract with the buyer (art. 20(2)(b)) and the duty to keep commercial and tax "
            "records (art. 20(2)(c))."
        ),
        models=("orders.Order", "orders.OrderLine", "books.Debt"),
        retention="books",
    ),
    Activity(
        key="marketing",
        title=_("Marketing consent"),
        purpose=_("Sending news and offers only to those who agreed, per channel."),
        basis=_("Explicit consent, recorded with what the person saw (art. 20(2)(a), 22, 24)."),
        models=("privacy.ConsentEvent", "privacy.Consent", "cards.SignUp", "cards.CardBatch"),
        retention="consent",
    ),
    Activity(
        key="messages",
        title=_("Messages to customers"),
        purpose=_(
            "Sending the campaigns a customer agreed to and the messages their orders need, "
            "and knowing what reached them."
        ),
        basis=_(
            "Consent for offers (art. 20(2)(a)); contract with the buyer for order messages "
            "(art. 20(2)(b))."
        ),
        models=("outreach.Campaign", "outreach.Delivery", "outreach.ServiceWindow"),
        retention="consent",
    ),
    Activity(
        key="groupbuy",
        title=_("Group buys"),
        purpose=_(
            "Running group buys: who coordinates a group and who joined it with how many; "
            "the members' names, numbers and addresses are on their orders."
        ),
        basis=_("Contract with the buyer (UU PDP art. 20(2)(b))."),
        models=("groupbuy.GroupBuy", "groupbuy.GroupMember"),
        retention="books",
    ),
    Activity(
        key="rights",
        title=_("Data-rights requests"),
        purpose=_("Holding processing when a customer asks for it."),
        basis=_("Legal obligation (art. 11, 41)."),
        models=("privacy.ProcessingRestriction",),
        retention="setting",
    ),
    Activity(
        key="audit",
        title=_("Audit log"),
        purpose=_(
            "Accountability and security: who saw or changed what, and when. Customers are "
            "named by number only, never by their data."
        ),
        basis=_("Legal obligation (art. 31, 35, 39)."),
        models=("privacy.AuditEvent",),
        retention="audit",
    ),
)

# How the tables are called on the page (most models carry no translated name of their own).
MODEL_LABELS = {
    "customers.Customer": _("Customers"),
    "customers.Identity": _("Identities (numbers, emails, marketplace usernames)"),
    "customers.MatchKey": _("Keys for finding duplicates"),
    "orders.Order": _("Orders"),
    "orders.OrderLine": _("Order lines"),
    "books.Debt": _("Debts recorded by hand (who owes, how much, when it is due)"),
    "privacy.ConsentEvent": _("Ledger of consent choices"),
    "privacy.Consent": _("Current consent"),
    "cards.SignUp": _("Sign-ups from parcel cards"),
    "cards.CardBatch": _("Parcel card batches"),
    "privacy.ProcessingRestriction": _("Processing restrictions"),
    "outreach.Campaign": _("Campaigns"),
    "outreach.Delivery": _("Messages sent, with their delivery status"),
    "outreach.ServiceWindow": _("Last message from each customer on WhatsApp"),
    "privacy.AuditEvent": _("Audit events"),
    "groupbuy.GroupBuy": _("Group buys and their coordinators"),
    "groupbuy.GroupMember": _("Members of group buys"),
}

RETENTION_TEXT = {
    "books": _(
        "Kept for the books. When a customer is erased, their orders stay without a name, "
        "phone, street or username."
    ),
    "consent": _(
        "As long as the customer is kept; the ledger of choices is erased with the customer."
    ),
    "audit": _("Kept; it holds no customer's personal data."),
}


# Field names for the page; encrypted fields and places kept in plain text are listed,
# every other column (amounts, dates, statuses...) is only counted.
FIELD_LABELS = {
    "name": _("name"),
    "phone": _("WhatsApp number"),
    "email": _("email"),
    "address": _("address"),
    "value": _("the number, email or username itself"),
    "buyer_username": _("marketplace username"),
    "recipient_name": _("recipient's name"),
    "recipient_phone": _("recipient's phone"),
    "street": _("street address"),
    "village": _("village"),
    "district": _("district"),
    "city": _("city"),
    "province": _("province"),
    "postal_code": _("postal code"),
    "note": _("buyer's note"),
    "body": _("message text"),
    "subject": _("email subject"),
    "params": _("template values"),
    "coordinator_name": _("coordinator's name"),
    "coordinator_phone": _("coordinator's WhatsApp number"),
}


def _field_rows(model) -> tuple[list[dict], int]:
    """The fields of a table that say something about a person, and how many others."""
    rows, others = [], 0
    for f in model._meta.concrete_fields:
        if f.name in TECHNICAL or f.is_relation:
            continue
        if isinstance(f, EncryptedBundleField):  # each value it seals, as its own row
            rows.extend(
                {
                    "field": member,
                    "name": str(FIELD_LABELS.get(member, member)),
                    "protection": "encrypted",
                }
                for member in f.members
            )
            continue
        if isinstance(f, BlindIndexField):
            protection, name = "index", f.source
        elif isinstance(f, EncryptedTextField):
            protection, name = "encrypted", f.name
        elif f.name in FIELD_LABELS:
            protection, name = "plain", f.name
        else:
            others += 1
            continue
        # a field another app added without a label here is still listed, by its own name
        label = FIELD_LABELS.get(name) or model._meta.get_field(name).verbose_name
        rows.append({"field": f.name, "name": str(label), "protection": protection})
    return rows, others


def processing_record(*, shop) -> dict:
    with shop_scope(shop):
        settings = PrivacySettings.objects.filter(shop=shop).first()
        activities = []
        for activity in ACTIVITIES:
            held = []
            for label in activity.models:
                try:
                    model = apps.get_model(label)
                except LookupError:  # an optional part of Merdeka that is not installed
                    continue
                fields, others = _field_rows(model)
                held.append(
                    {
                        "label": str(MODEL_LABELS.get(label, model._meta.verbose_name)),
                        "table": model._meta.db_table,
                        "rows": model._base_manager.filter(shop_id=shop.pk).count(),
                        "fields": fields,
                        "other_fields": others,
                        "encrypted": issubclass(model, EncryptedModel),
                    }
                )
            activities.append({"activity": activity, "held": held})
        sources = list(
            Identity.objects.filter(shop=shop)
            .values("source")
            .annotate(customers=Count("customer", distinct=True))
            .order_by("-customers", "source")
        )
        entered_by_hand = (
            Customer.objects.filter(shop=shop, merged_into__isnull=True)
            .exclude(pk__in=Identity.objects.filter(shop=shop).values("customer_id"))
            .count()
        )
        figures = {
            "restricted": ProcessingRestriction.objects.filter(
                shop=shop, lifted_at__isnull=True
            ).count(),
            "erased": AuditEvent.objects.filter(shop=shop, action="customer.erased").count(),
            "exported": AuditEvent.objects.filter(
                shop=shop, action="customer.data_exported"
            ).count(),
        }
    return {
        "activities": activities,
        "retention_months": settings.retention_months if settings else None,
        "retention_checked_at": settings.retention_checked_at if settings else None,
        "retention_text": RETENTION_TEXT,
        "sources": sources,
        "entered_by_hand": entered_by_hand,
        "members": staff_list(shop=shop),
        "keys": keys_status(shop=shop),
        "figures": figures,
    }
