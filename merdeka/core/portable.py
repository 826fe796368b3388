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
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from merdeka.core import bulk, rawsql
from merdeka.privacy import crypto
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField, Sealed

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
        encrypted = issubclass(model, EncryptedModel)
        sealed = {f.attname for f in model.encrypted_fields()} if encrypted else set()
        self.sealed = [(i, name) for i, name in enumerate(self.names) if name in sealed]
        # a value sealed in a bundle (``order.street``) is read as its bundle's column,
        # each bundle opened once per row: the bundles are read after ``names``' others
        bundled = model.bundle_members() if encrypted else {}
        self.bundles = list(dict.fromkeys(bundled[n] for n in self.names if n in bundled))
        kept = [n for n in self.names if n not in bundled]
        if self.bundles:
            # where each member goes in a row of ``names``: (place, bundle, member), in
            # the order of the places, to be inserted into the row read without them
            self.inserts = [
                (at, self.bundles.index(bundled[n]), bundled[n].members.index(n))
                for at, n in enumerate(self.names)
                if n in bundled
            ]
            kept = [*kept, *(f.attname for f in self.bundles)]
        # the row's uid is in each sealed value's associated data: read it last
        self.read = (*kept, "uid") if self.sealed or self.bundles else self.names
        self.opener = crypto.Opener(shop_id=shop.pk, label=model._meta.label_lower)
        self.shop_id = shop.pk
        self.raw = plain
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
        """Every row of ``queryset`` (in its order), read now. ``plain`` rows are read
        from the connection's own rows (``raw_rows``): no converter of Django's makes
        a datetime or a Decimal of a value that goes out as text again."""
        if self.raw:
            found = raw_rows(queryset.values_list(*self.read), shop_id=self.shop_id)
            return self._opened(found, convert=False)
        return self.opened(queryset.values_list(*self.read))

    def opened(self, tuples) -> list[list]:
        """Tuples of ``self.read`` as rows of ``names``, sealed columns opened (for a
        caller that reads them itself, e.g. with an annotation of its own)."""
        return self._opened([list(values) for values in tuples], convert=True)

    def _opened(self, found: list[list], *, convert: bool) -> list[list]:
        if self.bundles:
            found = self._unbundled(found)
        if self.sealed:
            sealed = [(i, self.opener.column(name)) for i, name in self.sealed]
            for row in found:
                uid = str(row.pop()).encode()
                for i, open_ in sealed:
                    token = row[i]
                    if token is not None:  # the ORM reads a sealed value as ``Sealed``
                        row[i] = open_(token.token if isinstance(token, Sealed) else token, uid)
        if self.plain and convert:
            for row in found:
                for i, to_text in self.plain:
                    if row[i] is not None:
                        row[i] = to_text(row[i])
        return found

    def _unbundled(self, found: list[list]) -> list[list]:
        """Rows of ``read`` as rows of ``names`` (and the uid last when the sealed
        columns' step needs it), in place: each bundle opened once, its members put
        where ``names`` has them."""
        openers = self.__dict__.get("_openers")
        if openers is None:
            openers = self._openers = [
                (
                    crypto.Opener(shop_id=self.shop_id, label=f.model._meta.label_lower).column(
                        f.attname
                    ),
                    f.decode,
                )
                for f in self.bundles
            ]
        inserts, keep_uid = self.inserts, bool(self.sealed)  # the sealed ones' step takes it
        start = -1 - len(openers)
        for row in found:
            uid = row[-1]
            row_id = str(uid).encode()
            opened = [
                decode(
                    open_(token if type(token) is str else token.token, row_id) if token else None
                )
                for (open_, decode), token in zip(openers, row[start:-1], strict=True)
            ]
            del row[start:]
            for at, k, i in inserts:
                row.insert(at, opened[k][i])
            if keep_uid:
                row.append(uid)
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


def raw_rows(queryset, *, shop_id: int) -> list[list]:
    """The rows of a ``values_list`` queryset as ``plain`` gives them (JSON values:
    times in ISO 8601, money as text, a uid as its dashed text, an empty sealed value
    None; a sealed value as its token), read from the connection's own rows.

    Django's converters parse SQLite's text into datetimes and Decimals (and
    PostgreSQL's rows go through its per-value loop) only for ``plain`` to format them
    again; here a column is turned into its text by its field's type, the way those
    two steps would (``_raw_plain``), and a column of another type goes through
    Django's converters and ``plain``. Same rows, fewer steps (bench/RESULTS.md)."""
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    db = compiler.connection
    columns = [column for column, _sql, _alias in compiler.select]
    converters = compiler.get_converters(columns)
    steps = []
    for i, column in enumerate(columns):
        step = _raw_plain(column, db)
        if step is None:
            step = _django_plain(*converters[i], db) if i in converters else plain
        if step is not _as_is:
            steps.append((i, step))
    with rawsql.cursor() as cursor:
        found = [list(row) for row in rawsql.fetchall(cursor, sql, params, shop_id=shop_id)]
    for row in found:
        for i, step in steps:
            value = row[i]
            if value is not None:
                row[i] = step(value)
    return found


def _django_plain(converters, expression, db):
    def step(value):
        for converter in converters:
            value = converter(value, expression, db)
        return plain(value)

    return step


_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{6})?")


def _raw_plain(column, db):
    """How a value of ``column`` as the connection gives it becomes ``plain``'s text
    (None: not a type known here; a column with no conversion: ``_as_is``)."""
    field = getattr(column, "target", None) or getattr(column, "output_field", None)
    if field is None:
        return None
    if isinstance(field, EncryptedTextField):
        return _sealed_token
    kind = field.get_internal_type()
    sqlite = db.vendor == "sqlite"
    utc = db.timezone == dt.UTC or str(db.timezone) == "UTC"
    if kind == "DateTimeField" and utc:
        return _sqlite_time if sqlite else _isoformat
    if kind == "DateField":
        return _sqlite_date if sqlite else _isoformat
    if kind == "DecimalField":
        if sqlite:
            places = field.decimal_places
            django = db.ops.get_decimalfield_converter(column)
            return lambda value: _sqlite_decimal(value, places, django, column, db)
        return str
    if kind == "UUIDField":
        return _sqlite_uuid if sqlite else str
    if kind == "BooleanField":
        return bool
    if kind in _AS_IS and not field.get_db_converters(db) and not db.ops.get_db_converters(column):
        return _as_is
    return None


_AS_IS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "CharField",
    "TextField",
    "SlugField",
    "ForeignKey",
    "OneToOneField",
}


def _as_is(value):
    return value


def _sealed_token(value):
    return value or None  # the ORM reads an empty sealed value as None


def _sqlite_time(value) -> str:
    """SQLite's text of a UTC time ("2026-12-07 02:15:00[.123456]") as the aware
    datetime's ``isoformat``; any other text through Django's parser."""
    if type(value) is str and _SQLITE_TIME.fullmatch(value):
        return f"{value[:10]}T{value[11:]}+00:00"
    if type(value) is dt.datetime and value.tzinfo is None:
        # what the driver makes of a "datetime" column: a naive UTC time
        return value.isoformat() + "+00:00"
    if not isinstance(value, dt.datetime):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.isoformat()


def _sqlite_date(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return parse_date(value).isoformat() if len(value) != 10 else value


def _sqlite_decimal(value, places: int, django, column, db) -> str:
    """An amount as SQLite keeps it (an integer for a whole one) as the text of the
    Decimal Django would make of it (quantized to the field's places)."""
    if type(value) is int and abs(value) < 10**12:
        return f"{value}.{'0' * places}" if places else str(value)
    return str(django(value, column, db))


def _sqlite_uuid(value) -> str:
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(str(value)))


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
