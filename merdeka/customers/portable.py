"""What a customer record carries beyond her identities, in and out of ``merdeka export``:
her tags, the shop's notes about her and her consent ledger; and the shop's saved
segments. Restored only for customers new to the shop (``imports.own_export``), so an
export imported twice adds nothing twice."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from merdeka.core.portable import among
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import CustomerNote, CustomerTag, Segment, Tag
from merdeka.customers.selectors import tags_of
from merdeka.privacy.consent import consent_history_of, consent_history_restore
from merdeka.privacy.models import ConsentEvent


def shop_users(shop) -> dict[str, object]:
    """The shop's members by username: who wrote a note or recorded a choice, when the
    export names someone who is a member here too (otherwise nobody)."""
    User = get_user_model()
    return {user.username: user for user in User.objects.filter(memberships__shop=shop)}


def extras_of(*, shop, customer_ids: Iterable[int]) -> dict[int, dict]:
    """customer id -> {"tags", "notes", "consents"} for a batch of an export (its ids
    packed, as a keyset page's are: each table is first read by their range, and only
    the customers that have some are asked about by id)."""
    ids = list(customer_ids)
    wanted = set(ids)
    notes: dict[int, list[dict]] = {}
    tags: dict[int, list[str]] = {}
    consents: dict[int, list[dict]] = {}
    if not ids:
        return {}
    with shop_scope(shop):
        tagged = _having(CustomerTag, shop, ids, wanted)
        if tagged:
            tags = tags_of(shop=shop, customer_ids=tagged)
        chose = _having(ConsentEvent, shop, ids, wanted)
        if chose:
            consents = consent_history_of(shop=shop, customer_ids=chose)
        if _having(CustomerNote, shop, ids, wanted):
            rows = (
                CustomerNote.objects.filter(among("customer_id", ids), shop=shop)
                .select_related("author")
                .order_by("created_at", "id")
            )
            for note in rows:
                if note.customer_id not in wanted:
                    continue
                notes.setdefault(note.customer_id, []).append(
                    {
                        "body": note.body,
                        "author": note.author.username if note.author_id else None,
                        "created_at": note.created_at.isoformat(),
                    }
                )
    return {
        pk: {"tags": tags.get(pk, []), "notes": notes.get(pk, []), "consents": consents.get(pk, [])}
        for pk in ids
    }


def _having(model, shop, ids: list[int], wanted: set[int]) -> list[int]:
    """The customers among ``ids`` with a row of ``model``: most have none."""
    return sorted(
        {
            pk
            for pk in model.objects.filter(among("customer_id", ids), shop=shop)
            .values_list("customer_id", flat=True)
            .distinct()
            if pk in wanted
        }
    )


def extras_restore(*, shop, customer, row: dict, users: dict) -> None:
    """The tags, notes and consent ledger of an exported customer row, onto ``customer``
    (new in this shop)."""
    with shop_scope(shop):
        for name in row.get("tags") or []:
            name = str(name)[:40]
            tag = Tag.objects.filter(shop=shop, name__iexact=name).first() or Tag.objects.create(
                shop=shop, name=name
            )
            CustomerTag.objects.get_or_create(shop=shop, customer=customer, tag=tag)
        for data in row.get("notes") or []:
            note = CustomerNote(
                shop=shop,
                customer=customer,
                body=data["body"],
                author=users.get(data.get("author")),
            )
            note.save()
            if data.get("created_at"):  # the note keeps the day it was written
                CustomerNote.objects.filter(pk=note.pk).update(created_at=data["created_at"])
    consent_history_restore(
        shop=shop, customer=customer, events=row.get("consents") or [], users=users
    )


def segments_export(*, shop) -> list[dict]:
    """The shop's saved segments; a tag in a filter by its name (ids differ elsewhere)."""
    with shop_scope(shop):
        names = dict(Tag.objects.filter(shop=shop).values_list("pk", "name"))
        rows = []
        for segment in Segment.objects.filter(shop=shop).order_by("name", "pk"):
            filters = dict(segment.filters or {})
            if filters.get("tag"):
                filters["tag"] = names.get(int(filters["tag"]), "")
            rows.append({"name": segment.name, "filters": filters, "query": segment.query})
    return rows


def segments_restore(*, shop, rows: list[dict]) -> int:
    """Saved segments not in the shop yet (by name); a tag they filter on is the tag of
    that name here (made when missing)."""
    written = 0
    with shop_scope(shop):
        taken = {
            n.lower() for n in Segment.objects.filter(shop=shop).values_list("name", flat=True)
        }
        for data in rows:
            name = str(data.get("name") or "")[:80]
            if not name or name.lower() in taken:
                continue
            filters = dict(data.get("filters") or {})
            if filters.get("tag"):
                tag_name = str(filters["tag"])[:40]
                tag = Tag.objects.filter(shop=shop, name__iexact=tag_name).first()
                tag = tag or Tag.objects.create(shop=shop, name=tag_name)
                filters["tag"] = str(tag.pk)
            Segment(shop=shop, name=name, filters=filters, query=data.get("query")).save()
            taken.add(name.lower())
            written += 1
    return written
