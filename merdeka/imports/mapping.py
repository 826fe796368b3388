"""Column mappings: a seller's own spreadsheets, read the way the seller said once.

Selectors and services around ``ColumnMapping``; the reading itself is the pure
formats/mapped.py. A file whose columns Merdeka does not know waits, sealed, for its
mapping (``ImportFile.State.MAPPING``). Saving a mapping checks it against the whole
file first and writes nothing when the file would be refused; then it is remembered
for the shop and every waiting file with the same columns is imported through the
ordinary pipeline. A mapping belongs to one shop and is only ever found through it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.imports import sources, writer
from merdeka.imports.formats import mapped
from merdeka.imports.models import ColumnMapping, ImportFile, ImportRun
from merdeka.imports.records import RejectedFile, Severity
from merdeka.imports.tasks import process_import_file
from merdeka.privacy.audit import audit_record
from merdeka.privacy.files import unsealed_copy

MAX_SHOWN_PROBLEMS = 5


class NeedsMapping(RejectedFile):
    """An unknown spreadsheet with no saved mapping for its columns."""

    def __init__(self, message: str, *, signature: str):
        super().__init__(message)
        self.signature = signature


class MappingInvalid(Exception):
    """The seller's choices cannot import the file; ``messages`` say why, in their words."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# -- selectors --------------------------------------------------------------------------


def mapping_find(*, shop, signature: str) -> ColumnMapping | None:
    return ColumnMapping.objects.filter(shop=shop, signature=signature).first()


def as_mapping(saved: ColumnMapping) -> mapped.Mapping:
    return mapped.Mapping(kind=saved.kind, channel=saved.channel, columns=dict(saved.columns))


def waiting_file(*, shop, run_id: int, file_id: int) -> ImportFile:
    """One file of one of the shop's runs (raises ``ImportFile.DoesNotExist``)."""
    return ImportFile.objects.select_related("run").get(shop=shop, run_id=run_id, pk=file_id)


def upload_path(record: ImportFile) -> Path:
    """Where an uploaded file waits, sealed, until it is imported: the pipeline stores
    it there, and it stays there while the file waits for its columns."""
    return Path(settings.DATA_DIR) / "uploads" / str(record.shop_id) / f"{record.pk}.sealed"


def _unsealed(*, shop, record: ImportFile):
    sealed = upload_path(record)
    if not sealed.exists():
        raise RejectedFile(_("The uploaded file is no longer here. Upload it again."))
    suffix = Path(record.name or "").suffix.lower()[:10]
    return unsealed_copy(sealed, shop_id=shop.pk, file_id=str(record.pk), suffix=suffix)


def file_sheet(*, shop, record: ImportFile, samples: int = mapped.SAMPLE_ROWS) -> mapped.Sheet:
    """The waiting file's columns and a few values, read from the sealed upload now."""
    with _unsealed(shop=shop, record=record) as path:
        return mapped.read_sheet(path, record.name or "", samples=samples)


def initial_choices(*, shop, sheet: mapped.Sheet, kind: str | None) -> tuple[str, str, dict]:
    """(kind, channel, {field: column index}) to start the mapping form with: the saved
    mapping for these columns if there is one, else a guess from the column names."""
    saved = mapping_find(shop=shop, signature=sheet.signature)
    if saved is not None and kind in (None, saved.kind):
        try:
            return saved.kind, saved.channel, mapped.choices_from(as_mapping(saved), sheet.header)
        except RejectedFile:
            pass
    if kind is None:
        guess = mapped.suggest(mapped.ORDERS, sheet.header)
        kind = mapped.ORDERS if {"order_id", "created_at"} <= set(guess) else mapped.CONTACTS
    return kind, "", mapped.suggest(kind, sheet.header)


# -- reading a file with a saved mapping --------------------------------------------------


def needs_mapping_message(*, can_wait: bool) -> str:
    if can_wait:
        return _(
            "Merdeka does not know this spreadsheet's columns yet (it is not a Shopee, TikTok "
            "Shop, Tokopedia or Lazada export). Map its columns once; the next file with the "
            "same columns is imported by itself."
        )
    return _(
        "Merdeka does not know this spreadsheet's columns yet. Upload it once on the Import "
        "page and choose which column holds what; after that, files with the same columns "
        "are imported by themselves, here too."
    )


def parse_file(
    *,
    shop,
    path: Path,
    name: str,
    uploaded_at: datetime | None = None,
    can_wait: bool = True,
    parse=None,
) -> sources.Parsed:
    """``sources.parse_file``, and for a spreadsheet it does not know, the shop's saved
    mapping for the file's columns. Raises ``NeedsMapping`` when there is none.
    ``parse`` may stand in for ``sources.parse_file`` (a result parsed ahead)."""
    try:
        return (parse or sources.parse_file)(path, name)
    except sources.UnknownSpreadsheet:
        pass
    sheet = mapped.read_sheet(path, name, samples=0)
    saved = mapping_find(shop=shop, signature=sheet.signature)
    if saved is None:
        raise NeedsMapping(needs_mapping_message(can_wait=can_wait), signature=sheet.signature)
    remembered = uploaded_at is None or saved.updated_at <= uploaded_at
    return _parsed(saved, mapped.parse(path, name, as_mapping(saved)), remembered=remembered)


def _parsed(saved: ColumnMapping, result: mapped.MappedParse, *, remembered: bool):
    def write(*, shop, resolver, import_file=None):
        ColumnMapping.objects.filter(shop=shop, pk=saved.pk).update(last_used_at=timezone.now())
        if result.kind == mapped.ORDERS:
            return writer.write_orders(
                shop=shop, orders=result.orders, resolver=resolver, import_file=import_file
            )
        return writer.write_contacts(contacts=result.contacts, resolver=resolver)

    return sources.Parsed(
        source="mapped",
        channel=result.channel,
        rows_read=result.rows_read,
        problems=result.problems,
        writer=write,
        preview={
            "mapping": {
                "id": saved.pk,
                "kind": saved.kind,
                "channel": saved.channel,
                "remembered": remembered,
            },
            **(
                {"orders": result.orders}
                if result.kind == mapped.ORDERS
                else {"contacts": result.contacts}
            ),
            "header_row": result.header_row,
            "sheet": result.sheet,
        },
    )


# -- services -----------------------------------------------------------------------------


def _problem_texts(problems) -> list[str]:
    texts = [str(p) for p in problems[:MAX_SHOWN_PROBLEMS]]
    if len(problems) > MAX_SHOWN_PROBLEMS:
        texts.append(
            _("…and %(count)s more problems.") % {"count": len(problems) - MAX_SHOWN_PROBLEMS}
        )
    return texts


def mapping_save(
    *,
    shop,
    actor,
    record: ImportFile,
    kind: str,
    channel: str,
    choices: dict[str, int | None],
    request=None,
) -> ColumnMapping:
    """Check the seller's choices against the whole waiting file, remember them for the
    file's columns and import every waiting file with those columns.

    Raises ``MappingInvalid`` (and writes nothing) when the choices are incomplete or the
    file, read with them, would be refused."""
    if record.state != ImportFile.State.MAPPING:
        raise MappingInvalid([_("This file is no longer waiting for its columns.")])
    try:
        with _unsealed(shop=shop, record=record) as path:
            sheet = mapped.read_sheet(path, record.name or "", samples=0)
            errors = mapped.check(kind, channel, choices, sheet.header)
            if errors:
                raise MappingInvalid(errors)
            mapping = mapped.mapping_from(kind, channel, choices, sheet.header)
            result = mapped.parse(path, record.name or "", mapping)
    except RejectedFile as exc:
        raise MappingInvalid([str(exc.problem)]) from None
    refused = [p for p in result.problems if p.severity == Severity.ERROR]
    if refused:
        raise MappingInvalid(_problem_texts(refused))

    with transaction.atomic():
        locked = ImportFile.objects.select_for_update().get(shop=shop, pk=record.pk)
        if locked.state != ImportFile.State.MAPPING:
            raise MappingInvalid([_("This file is no longer waiting for its columns.")])
        saved, created = ColumnMapping.objects.update_or_create(
            shop=shop,
            signature=sheet.signature,
            defaults={"kind": mapping.kind, "channel": mapping.channel, "columns": mapping.columns},
            create_defaults={
                "kind": mapping.kind,
                "channel": mapping.channel,
                "columns": mapping.columns,
                "created_by": actor if actor is not None and actor.pk else None,
            },
        )
        audit_record(
            action="import.mapping_saved",
            shop=shop,
            actor=actor,
            target=saved,
            request=request,
            detail={
                "file": record.pk,
                "kind": saved.kind,
                "channel": saved.channel,
                "fields": sorted(saved.columns),
                "new": created,
            },
        )
        waiting = ImportFile.objects.select_for_update().filter(
            Q(pk=record.pk) | Q(report__mapping__signature=sheet.signature),
            shop=shop,
            state=ImportFile.State.MAPPING,
        )
        queued = []
        for waiting_record in waiting.order_by("pk"):
            waiting_record.state = ImportFile.State.QUEUED
            waiting_record.save(update_fields=["state"])
            queued.append(waiting_record)
        ImportRun.objects.filter(
            shop=shop, pk__in={f.run_id for f in queued}, state=ImportRun.State.DONE
        ).update(state=ImportRun.State.QUEUED, finished_at=None)
        for waiting_record in queued:
            transaction.on_commit(partial(process_import_file.enqueue, file_id=waiting_record.pk))
    return saved


def mapping_cancel(*, shop, actor, record: ImportFile, request=None) -> bool:
    """The seller does not want to map this file: refuse it and delete the sealed upload."""
    return _refuse_waiting(
        shop=shop,
        record=record,
        message=_("You cancelled mapping the columns; nothing from this file was saved."),
        action="import.mapping_cancelled",
        actor=actor,
        request=request,
    )


# A sealed upload waiting for its columns is deleted after this long: it holds buyers'
# data that nobody chose to import.
WAITING_UPLOAD_DAYS = 14


def waiting_uploads_expire(*, now=None, days: int = WAITING_UPLOAD_DAYS) -> int:
    """Refuse every file of every shop that has waited for a mapping longer than ``days``
    and delete its sealed upload. Returns how many were refused. Run daily."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with scopes_disabled():
        waiting = list(
            ImportFile.objects.filter(
                state=ImportFile.State.MAPPING, run__created_at__lt=cutoff
            ).select_related("shop")
        )
    refused = 0
    for record in waiting:
        with shop_scope(record.shop):
            refused += _refuse_waiting(
                shop=record.shop,
                record=record,
                message=_(
                    "Nobody chose the columns of this file within %(days)s days, so it was "
                    "deleted and nothing from it was saved. Upload it again to import it."
                )
                % {"days": days},
                action="import.mapping_expired",
                actor=None,
            )
    return refused


def _refuse_waiting(*, shop, record: ImportFile, message, action: str, actor, request=None):
    with transaction.atomic():
        locked = ImportFile.objects.select_for_update().get(shop=shop, pk=record.pk)
        if locked.state != ImportFile.State.MAPPING:
            return False
        report = dict(locked.report or {})
        report["state"] = ImportFile.State.REJECTED.value
        report["problems"] = [
            {"message": str(message), "row": None, "column": None,
             "severity": Severity.WARNING.value}
        ]  # fmt: skip
        locked.report = report
        locked.state = ImportFile.State.REJECTED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["report", "state", "finished_at"])
        audit_record(action=action, shop=shop, actor=actor, target=locked, request=request)
        sealed = upload_path(locked)
        transaction.on_commit(partial(sealed.unlink, missing_ok=True))
    return True


def mappings_saved(*, shop):
    """The column mappings this shop remembers, most recently changed first."""
    with shop_scope(shop):
        return list(ColumnMapping.objects.filter(shop=shop))


def mapping_delete(*, shop, actor, mapping_id: int, request=None) -> None:
    """Forget a remembered mapping: the next file with those columns asks again."""
    with transaction.atomic(), shop_scope(shop):
        saved = ColumnMapping.objects.get(shop=shop, pk=mapping_id)
        audit_record(
            action="import.mapping_deleted", shop=shop, actor=actor, target=saved, request=request
        )
        saved.delete()
