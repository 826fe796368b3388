"""Import files' names, which can name a person.

WhatsApp names a chat export after the other person ("Chat WhatsApp dengan Siti
Nurhaliza.txt"), and sellers name files after buyers. The name is sealed in the database
(``ImportFile.name``) and shown to the seller decrypted; erasing a customer forgets the
names that point at them (``file_names_forget``), the way their other data goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from merdeka.core.phone import normalize_name
from merdeka.customers.models import Customer, Identity, IdentityKind
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order

# a shorter "name" (a nickname like "Bu") would match too many files
MIN_NAME = 3
# what a person's chat or contact card was imported as
PERSONAL_SOURCES = ("whatsapp", "vcard")


def _names(*, shop, customer_ids: list[int]) -> set[str]:
    """What the customers are called: their names and their WhatsApp names, normalised."""
    names = {c.name for c in Customer.objects.filter(shop=shop, pk__in=customer_ids)}
    names.update(
        i.value
        for i in Identity.objects.filter(
            shop=shop, customer_id__in=customer_ids, kind=IdentityKind.WHATSAPP_NAME
        )
    )
    normalized = {normalize_name(n) for n in names if n}
    return {n for n in normalized if n and len(n) >= MIN_NAME}


def _linked_files(*, shop, customer_ids: list[int]) -> set[int]:
    """The import files that brought these customers or their orders."""
    linked = set(
        Identity.objects.filter(shop=shop, customer_id__in=customer_ids)
        .exclude(import_file=None)
        .values_list("import_file_id", flat=True)
    )
    linked.update(
        Order.objects.filter(shop=shop, customer_id__in=customer_ids)
        .exclude(import_file=None)
        .values_list("import_file_id", flat=True)
        .distinct()
    )
    return linked


def file_names_forget(*, shop, customer_ids: Iterable[int]) -> int:
    """Forget the names of the shop's import files that name these customers: a file
    whose name holds one of their names, and a chat or contact card that brought them.
    Run inside the erasure's transaction, before the customers go. Returns how many."""
    ids = list(customer_ids)
    names = _names(shop=shop, customer_ids=ids)
    linked = _linked_files(shop=shop, customer_ids=ids)
    forget = []
    for record in ImportFile.objects.filter(shop=shop, name__isnull=False).only(
        "pk", "uid", "shop_id", "name", "source", "key_version"
    ):
        shown = normalize_name(Path(record.name).stem) or ""
        personal = record.pk in linked and record.source in PERSONAL_SOURCES
        if personal or any(name in shown for name in names):
            forget.append(record.pk)
    if forget:
        ImportFile.objects.filter(shop=shop, pk__in=forget).update(name=None)
    return len(forget)
