"""The pieces every part of ``merdeka export`` and its restore share.

An export row is a model's fields as plain JSON values (times in ISO 8601, money as
text), read a keyset batch at a time (``batches``: bounded memory, no OFFSET). A row
points at another row of the export by the exporting shop's id; the restore draws new
ids and keeps what each old id became in ``Moved``. ``rows_insert`` writes restored
rows as they were (their times too: no ``auto_now``), sealing personal data with the
new shop's key and blind indexes on the way (``EncryptedModel.seal``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone

from merdeka.core import bulk
from merdeka.privacy import crypto
from merdeka.privacy.fields import EncryptedModel, Sealed

CHUNK = 2000


def plain(value):
    """A field's value as JSON can hold it."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Sealed):
        raise TypeError("read personal data through the model, not its ciphertext")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def batches(queryset, size: int = CHUNK) -> Iterator[list]:
    """The rows of ``queryset`` a batch at a time in primary-key order (keyset pages:
    no OFFSET, no cursor held open while the caller writes)."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


class Columns:
    """Reads columns of ``model`` as tuples (``values_list``), sealed ones opened with
    the shop's key looked up once (``crypto.Opener``): what a whole-table read such as
    ``merdeka export`` takes instead of a model instance and a ``decrypt`` per field.

    ``names`` are the fields' names as ``values_list`` takes them (``"pk"``, a foreign
    key's ``"customer_id"``); a row comes back as a list in that order, a sealed column
    as its text (or None)."""

    def __init__(self, model, names: Sequence[str], *, shop, plain: bool = False):
        self.names = tuple(names)
        sealed = (
            {f.attname for f in model.encrypted_fields()}
            if issubclass(model, EncryptedModel)
            else set()
        )
        self.sealed = [(i, name) for i, name in enumerate(self.names) if name in sealed]
        # the row's uid is in each sealed value's associated data: read it last
        self.read = (*self.names, "uid") if self.sealed else self.names
        self.opener = crypto.Opener(shop_id=shop.pk, label=model._meta.label_lower)
        # ``plain``: rows as ``plain`` gives them (JSON values), converted column by
        # column by the field's type instead of value by value
        self.plain = (
            [
                (i, to_text)
                for i, name in enumerate(self.names)
                if (to_text := _plain_of(model, name))
            ]
            if plain
            else []
        )

    def rows(self, queryset) -> list[list]:
        """Every row of ``queryset`` (in its order), read now."""
        return self.opened(queryset.values_list(*self.read))

    def opened(self, tuples) -> list[list]:
        """Tuples of ``self.read`` as rows of ``names``, sealed columns opened (for a
        caller that reads them itself, e.g. with an annotation of its own)."""
        found = [list(values) for values in tuples]
        if self.sealed:
            sealed = [(i, self.opener.column(name)) for i, name in self.sealed]
            for row in found:
                uid = str(row.pop()).encode()
                for i, open_ in sealed:
                    token = row[i]
                    if token is not None:  # the ORM reads a sealed value as ``Sealed``
                        row[i] = open_(token.token if isinstance(token, Sealed) else token, uid)
        if self.plain:
            for row in found:
                for i, to_text in self.plain:
                    if row[i] is not None:
                        row[i] = to_text(row[i])
        return found

    def batches(self, queryset, size: int = CHUNK) -> Iterator[list[list]]:
        """``batches`` of rows: keyset pages in primary-key order; ``names`` start with
        ``"pk"``."""
        assert self.names[0] == "pk", "keyset pages need the primary key first"
        last = 0
        ordered = queryset.order_by("pk")
        while True:
            batch = self.rows(ordered.filter(pk__gt=last)[:size])
            if not batch:
                return
            yield batch
            last = batch[-1][0]


def _plain_of(model, name: str):
    """How ``plain`` turns a value of the field ``name`` into JSON's (None: as it is)."""
    try:
        f = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        return None  # an annotation
    kind = f.get_internal_type()
    if kind == "DecimalField":
        return str
    if kind in ("DateTimeField", "DateField", "TimeField"):
        return _isoformat
    return None


def _isoformat(value) -> str:
    return value.isoformat()


def among(field: str, ids: Sequence[int]) -> Q:
    """A filter keeping at least the rows whose ``field`` (an id) is among ``ids``, a
    batch's: their range when the ids are packed (a keyset page's are), else ``__in``.
    The caller keeps the rows it wants (``row[...] in set(ids)``): a range can hold
    other rows. Django builds an ``__in`` of thousands of foreign keys slowly (each
    value normalised, twice): ~10 ms a query, more than the query itself."""
    low, high = min(ids), max(ids)
    if high - low < 4 * len(ids):
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": ids})


def fields_of(obj, names: Iterable[str]) -> dict:
    """``{name: plain value}``; a foreign key by its id (``name`` is the field's name)."""
    row = {}
    for name in names:
        f = obj._meta.get_field(name)
        row[name] = plain(getattr(obj, f.attname if f.is_relation else name))
    return row


def value_in(model, name: str, value):
    """An exported value back as the field's Python value."""
    if value is None:
        return None
    kind = model._meta.get_field(name).get_internal_type()
    if kind == "DateTimeField":
        return dt.datetime.fromisoformat(value)
    if kind == "DateField":
        return dt.date.fromisoformat(value)
    if kind == "DecimalField":
        return Decimal(str(value))
    return value


def fields_in(model, row: dict, names: Iterable[str]) -> dict:
    """The keyword arguments for ``model(...)`` from an exported row (names it has);
    a foreign key is left out: its id is the exporting shop's (see ``Moved``)."""
    return {
        name: value_in(model, name, row[name])
        for name in names
        if name in row and not model._meta.get_field(name).is_relation
    }


def rows_insert(model, objs: Sequence, *, shop) -> list[int]:
    """Insert unsaved instances of ``model`` as they are, every concrete field written
    (times too), with ids drawn anew: returns them, in the order of ``objs``. Call
    inside ``transaction.atomic()``; personal data is sealed with this shop's key."""
    if not objs:
        return []
    ids = bulk.reserve_ids(model, len(objs))
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    rows = []
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj.shop_id = shop.pk
        if isinstance(obj, EncryptedModel):
            obj.seal()
        row = []
        for f in fields:
            value = obj.__dict__.get(f.attname)
            if isinstance(value, Sealed):
                value = value.token
            if value is None and _automatic(f):
                value = now
            row.append(value)
        rows.append(row)
    bulk.insert(model, [f.name for f in fields], rows, shop_id=shop.pk)
    return ids


def _automatic(f) -> bool:
    return getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)


@dataclass
class Moved:
    """What the exporting shop's ids became here, part by part (``"customer"``,
    ``"variant"``, ...), and the members here by username."""

    shop: object
    users: dict = field(default_factory=dict)
    ids: dict[str, dict[int, int]] = field(default_factory=dict)
    # files written beside the rows (photos): to remove if the transaction rolls back
    files: list = field(default_factory=list)

    def of(self, kind: str) -> dict[int, int]:
        return self.ids.setdefault(kind, {})

    def get(self, kind: str, old) -> int | None:
        return None if old is None else self.ids.get(kind, {}).get(old)

    def user(self, username):
        found = self.users.get(username) if username else None
        return found.pk if found is not None else None
