"""The columnar reader: a marketplace CSV export read and normalised as columns.

The first stage of the set-based import engine (issue 20). Polars reads only the
columns the export's spec uses, in compiled code, with no Python object per unused
cell; cleaning, mask detection, Indonesian mobile numbers, dates and the row filter
run as column expressions; money and the rare values the fast paths cannot decide go
through the row reader's own functions once per *distinct* text. What comes out is
the very ``OrderParse`` the row reader (formats/orders.py) makes, so the resolver and
the writer behind it are unchanged.

It reads the common case and leaves the rest to the row reader: a file in another
encoding, with blank lines or bare carriage returns (whose record numbers the two
readers could count differently), with very long lines (the row reader's column
limit), with a legacy spec that combines columns, or with any row the row reader
would refuse raises ``Unsupported``, and the caller parses it the old way, which
says what is wrong and where. A file is therefore read the same by both readers;
``tests/test_columnar.py`` compares them on every sample file.
"""

from __future__ import annotations

import codecs
from decimal import Decimal
from pathlib import Path

import polars as pl

from merdeka.core.phone import (
    masked_name_initials,
    normalize_email,
    normalize_phone,
    phone_mask_key,
)
from merdeka.core.text import BIDI_CONTROLS
from merdeka.imports import records
from merdeka.imports.formats import orders, regions, tabular
from merdeka.imports.formats.orders import DISCOUNT_FIELDS, MAX_ORDER_ID, OrderParse, Spec
from merdeka.imports.records import RejectedFile

# fields the row reader only ever uses stripped (``.strip()``)
STRIPPED = ("product", "sku", "variant", "quantity", "status", "village", "district",
            "postal_code", "tokopedia_invoice")  # fmt: skip
MONEY_FIELDS = ("unit_price", "line_total", "order_total", "shipping_fee", *DISCOUNT_FIELDS)
HEAD_ROWS = 500  # as the row reader: the first rows decide the number and date styles
_MASK = r"(?i)[*•]{2,}|x{4,}"  # merdeka.core.phone._MASK
_ID_MOBILE = r"^8[1-35-9][0-9]{7,10}$"  # merdeka.core.phone._ID_MOBILE
_STRIP = tabular._STRIP
# ASCII without the separators (\x1c-\x1f) Python counts as white space and Rust not:
# a text of only these reads the same in both regex engines
_PLAIN = r"^[\x00-\x1b\x20-\x7f]*$"
_BIDI = "[" + BIDI_CONTROLS + "]"
_STRIP_CLASS = "\\t\u00a0\ufeff \\r\\n"
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-5][0-9]"
_SLASHED = r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-5][0-9]"


class Unsupported(Exception):
    """This file is left to the row reader (formats/orders.py)."""


# -- reading ---------------------------------------------------------------------------


def _csv_dialect(data: bytes) -> tuple[str, str]:
    """(encoding, delimiter) exactly as ``tabular._open_csv`` decides them."""
    head = data[: 64 * 1024]
    if b"\x00" in head:
        raise Unsupported("nul bytes or utf-16")
    encoding = tabular._encoding(head)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise Unsupported(encoding)
    sample = head.decode(encoding, errors="ignore")
    first = sample.splitlines()[0] if sample else ""
    delimiter = max([",", ";", "\t", "|"], key=first.count)
    if not first.count(delimiter):
        delimiter = ","
    return encoding, delimiter


def _check_shape(data: bytes, delimiter: str) -> None:
    """Refuse to read what the two readers could number or bound differently."""
    if b"\n\n" in data or b"\n\r\n" in data or b"\r\r" in data:
        raise Unsupported("blank lines")
    if data.count(b"\r") != data.count(b"\r\n"):
        raise Unsupported("bare carriage returns")
    if b"\x00" in data:
        raise Unsupported("nul bytes")
    # a line of MAX_COLUMNS cells is at least that many bytes long: only such lines are
    # counted (the row reader refuses rows wider than its limit)
    sep = delimiter.encode()
    width = tabular.MAX_COLUMNS - 1
    if data.count(sep) < width:
        return
    lines = data.split(b"\n")
    if max(map(len, lines)) >= width and any(
        len(line) >= width and line.count(sep) >= width for line in lines
    ):
        raise Unsupported("a very wide line")


def read_columns(path: Path, header_row: int, columns: dict[str, int]) -> pl.DataFrame:
    """The used columns of a CSV export below its header, as text, one column per field,
    plus ``_row``: the row number the row reader gives each record."""
    data = Path(path).read_bytes()
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Unsupported("not utf-8") from None
    encoding, delimiter = _csv_dialect(data)
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8) :]
    _check_shape(data, delimiter)
    indices = sorted(set(columns.values()))
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            skip_rows=header_row,
            columns=indices,
            separator=delimiter,
            infer_schema=False,
            quote_char='"',
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except Exception as exc:  # polars' own errors: the row reader decides and says why
        raise Unsupported(f"polars: {exc}") from None
    names = dict(zip(indices, frame.columns, strict=False))
    if len(names) < len(indices):
        # the file has fewer columns than its header: every cell of the missing ones is ""
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias(f"column_{i}") for i in indices if i not in names
        )
        names = {i: f"column_{i}" for i in indices}
    frame = frame.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + (header_row + 1)).alias("_row"),
        *(pl.col(names[index]).fill_null("").alias(field) for field, index in columns.items()),
    )
    return cleaned_frame(frame, list(columns))


def cleaned_frame(frame: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """``frame`` with its text columns ``fields`` cleaned as ``tabular.Table.cleaned``
    cleans a text cell."""
    # most columns hold nothing to clean: one pass finds those that do
    dirty = frame.select(pl.col(field).str.contains(_DIRTY).any() for field in fields).row(0)
    return frame.with_columns(
        _cleaned(pl.col(field)).alias(field)
        for field, needs in zip(fields, dirty, strict=True)
        if needs
    )


# a cell that ``_cleaned`` would change: a direction mark, a tab, a character it strips
# at either end, or a formula escape
_DIRTY = "[" + BIDI_CONTROLS + "\t]|^['" + _STRIP_CLASS + "]|[" + _STRIP_CLASS + "]$"


def _cleaned(cell: pl.Expr) -> pl.Expr:
    """``tabular.Table.cleaned`` as an expression: no direction marks, no tabs, trimmed,
    a spreadsheet's formula escape reversed."""
    text = cell.str.replace_all(_BIDI, "").str.replace_all("\t", "", literal=True)
    text = text.str.strip_chars(_STRIP)
    return pl.when(text.str.contains(r"^'[=+\-@]")).then(text.str.slice(1)).otherwise(text)


# -- normalising as columns ---------------------------------------------------------------


def _masked(name: str) -> pl.Expr:
    return pl.col(name).str.contains(_MASK).alias(name)


def _unmasked(name: str) -> pl.Expr:
    """The value, or null when it is empty or masked (``orders._masked``)."""
    value = pl.col(name)
    return pl.when((value == "") | _masked(name)).then(None).otherwise(value).alias(name)


def phones_e164(values: pl.Series) -> pl.Series:
    """Indonesian mobiles to E.164 as one column expression: 08xx, 628xx, +628xx and
    8xx with any separators. Exactly ``normalize_phone``'s fast path; each distinct
    text it cannot decide (a landline, a foreign number, junk) goes through the full
    libphonenumber parse once."""
    frame = values.to_frame("text").with_columns(pl.col("text").str.strip_chars())
    text = pl.col("text")
    digits = text.str.replace_all(r"[^0-9]", "")
    national = (
        pl.when(text.str.starts_with("+"))
        .then(pl.when(digits.str.starts_with("62")).then(digits.str.slice(2)).otherwise(None))
        .when(digits.str.starts_with("62") & (digits.str.len_bytes() >= 10))
        .then(digits.str.slice(2))
        .when(digits.str.starts_with("0"))
        .then(digits.str.slice(1))
        .otherwise(digits)
    )
    fast = (
        pl.when(
            text.str.contains(_PLAIN)
            & ~text.str.contains(_MASK)
            & national.str.contains(_ID_MOBILE)
        )
        .then(pl.lit("+62") + national)
        .otherwise(None)
    )
    decided = frame.select(fast.alias("fast"), values.alias("raw"))
    undecided = decided.filter(pl.col("fast").is_null() & pl.col("raw").is_not_null())
    if undecided.height:
        texts = undecided["raw"].unique().to_list()
        slow = pl.DataFrame(
            {"raw": texts, "slow": [normalize_phone(t) for t in texts]},
            schema={"raw": pl.String, "slow": pl.String},
        )
        decided = decided.join(slow, on="raw", how="left", maintain_order="left")
        return decided.select(pl.coalesce("fast", "slow").alias("fast"))["fast"]
    return decided["fast"]


_MASKED_PHONE = r"^[^0-9]*([0-9][0-9\s\-().]*?)[*•xX]{2,}[\s\-]*([0-9][0-9\s\-]*)[^0-9]*$"


def phone_hints(raw: pl.Series, e164: pl.Series) -> pl.Series:
    """``phone_mask_key`` over a column: ``raw`` the cell as written, ``e164`` what
    ``phones_e164`` made of it (the key of a full number comes from its E.164 form).
    A text that is not ASCII goes through ``phone_mask_key`` itself."""
    frame = pl.DataFrame({"raw": raw, "e164": e164}, schema={"raw": pl.String, "e164": pl.String})
    text = pl.col("raw").str.strip_chars()
    head = text.str.extract(_MASKED_PHONE, 1).str.replace_all(r"[^0-9]", "")
    tail = text.str.extract(_MASKED_PHONE, 2).str.replace_all(r"[^0-9]", "")
    head = (
        pl.when(head.str.starts_with("62"))
        .then(head.str.slice(2))
        .when(head.str.starts_with("0"))
        .then(head.str.slice(1))
        .otherwise(head)
    )
    masked_key = (
        pl.when(
            (head.str.len_bytes() >= 3) & (tail.str.len_bytes() >= 4) & head.str.starts_with("8")
        )
        .then(head.str.slice(0, 3) + pl.lit("|") + tail.str.slice(-4))
        .otherwise(None)
    )
    national = pl.col("e164").str.slice(3)
    full_key = (
        pl.when(pl.col("e164").str.starts_with("+628"))
        .then(national.str.slice(0, 3) + pl.lit("|") + national.str.slice(-4))
        .otherwise(None)
    )
    key = (
        pl.when((pl.col("raw") == "") | pl.col("raw").is_null())
        .then(None)
        .when(~pl.col("raw").str.contains(_PLAIN))
        .then(pl.lit("?"))  # worked out below, one text at a time
        .when(pl.col("raw").str.contains(_MASK))
        .then(masked_key)
        .otherwise(full_key)
        .alias("key")
    )
    keys = frame.select(key)["key"]
    odd = (keys == "?").fill_null(False)
    if odd.any():
        found = keys.to_list()
        for i in odd.arg_true().to_list():
            found[i] = phone_mask_key(raw[i])
        return pl.Series("key", found, dtype=pl.String)
    return keys


def datetimes(values: pl.Series, *, month_first: bool) -> list:
    """``tabular.parse_datetime`` over a column: the two shapes marketplaces write most
    parsed in compiled code, every other distinct text by the row reader's function
    (ValueError for a text that is no date)."""
    zone = tabular.WIB.key
    day, month = ("%m", "%d") if month_first else ("%d", "%m")
    text = pl.col("text")
    parsed = (
        pl.when(text.str.contains(_ISO + "$"))
        .then(text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False))
        .when(text.str.contains(_ISO + ":[0-5][0-9]$"))
        .then(text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False))
        .when(text.str.contains(_SLASHED + "$"))
        .then(text.str.strptime(pl.Datetime("us"), f"{day}/{month}/%Y %H:%M", strict=False))
        .when(text.str.contains(_SLASHED + ":[0-5][0-9]$"))
        .then(text.str.strptime(pl.Datetime("us"), f"{day}/{month}/%Y %H:%M:%S", strict=False))
        .otherwise(None)
    )
    frame = values.to_frame("text").with_columns(parsed.dt.replace_time_zone(zone).alias("at"))
    result = frame["at"].to_list()
    for i in frame.with_row_index().filter(pl.col("at").is_null())["index"].to_list():
        result[i] = tabular.parse_datetime(values[i], month_first=month_first)
    return result


def _money_locale(head: pl.DataFrame, fields) -> str:
    """``tabular.money_locale`` over the first rows' money cells, as columns."""
    if not fields:
        return "id"
    texts = head.select(pl.concat_list(fields).alias("t")).explode("t")["t"]
    texts = texts.filter(texts != "").str.replace_all(r"(?i)^(?:rp\.?|idr)\s*|\s+", "")
    if texts.str.contains(r"[\x1c-\x1f]").any():  # Python's \s and Rust's differ there
        return tabular.money_locale(texts.to_list())
    id_votes = texts.str.contains(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
    en_votes = ~id_votes & texts.str.contains(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
    id_votes |= ~en_votes & texts.str.contains(r"^-?\d+,\d{1,2}$")
    return "en" if en_votes.sum() > id_votes.sum() else "id"


def _money_lookup(frame: pl.DataFrame, fields, locale: str) -> dict[str, Decimal | None]:
    """Every distinct money text of ``fields`` read once by ``tabular.parse_money``;
    one that is no amount makes the file the row reader's (it says where)."""
    texts: set[str] = set()
    for field in fields:
        texts.update(frame[field].unique().to_list())
    lookup = {}
    for text in texts:
        try:
            lookup[text] = tabular.parse_money(text, locale)
        except ValueError:
            raise Unsupported("not an amount") from None
    return lookup


# -- the parse -------------------------------------------------------------------------


def parse(
    spec: Spec,
    path: Path,
    columns: dict[str, int],
    header_row: int,
    header: list[str],
    *,
    read=None,
) -> OrderParse:
    """Read a marketplace CSV export as ``orders.parse`` would, or raise ``Unsupported``.
    ``read(path, header_row, columns)`` reads another kind of file into the same text
    columns (``columnar_xlsx.read_columns``)."""
    if spec.combine is not None:
        raise Unsupported("a spec that combines columns")
    missing = [f for f in spec.required if f not in columns]
    if missing or not columns:
        raise Unsupported("missing columns")  # the row reader says which
    frame = (read or read_columns)(path, header_row, columns)
    fields = list(columns)
    # Python's str.strip() also takes the separators \x1c-\x1f, Rust's not: a file
    # holding them is the row reader's; for the rest the two strip the same
    if frame.select(
        pl.any_horizontal(pl.col(f).str.contains(r"[\x1c-\x1f]").any() for f in fields)
    ).item():
        raise Unsupported("separator characters")
    frame = frame.with_columns(
        pl.col(f).str.strip_chars().alias(f) for f in ("order_id", *STRIPPED) if f in columns
    )

    keep = pl.any_horizontal(pl.col(f) != "" for f in fields) & (pl.col("order_id") != "")
    if spec.order_id_pattern is not None:
        keep &= pl.col("order_id").str.contains(f"^(?:{spec.order_id_pattern.pattern})$")
    frame = frame.filter(keep)
    result = OrderParse(source=spec.source, channel=spec.channel)
    if not frame.height:
        raise RejectedFile(orders._("The export has a header but no orders."))
    result.rows_read = frame.height
    filled = frame.select(pl.col(f).ne("").any() for f in fields).row(0)
    result.filled = {f for f, any_filled in zip(fields, filled, strict=True) if any_filled}

    head = frame.head(HEAD_ROWS)
    money = [f for f in MONEY_FIELDS if f in columns]
    locale = _money_locale(head, money)
    month_first = tabular.month_first_file(
        head["created_at"].to_list() if "created_at" in columns else []
    )

    if (frame["order_id"].str.len_chars() > MAX_ORDER_ID).any():
        raise Unsupported("a long order number")
    prices = _money_lookup(frame, money, locale)
    frame = frame.with_columns(pl.col("order_id").is_first_distinct().alias("_first"))
    first = frame.filter("_first")
    lines = _lines(frame, locale, prices)
    built = _orders(spec, first, columns, month_first, prices)
    _check_later_rows(frame, month_first)

    by_id: dict[str, records.Order] = {o.external_id: o for o in built}
    for order_id, number in zip(frame["order_id"].to_list(), frame["_row"].to_list(), strict=True):
        by_id[order_id].rows.append(number)
    for order_id, line in lines:
        if line is not None:
            by_id[order_id].lines.append(line)
    result.orders = built
    index = columns.get("order_total")
    column = header[index] if index is not None and index < len(header) else "order_total"
    result.problems.extend(_disagreements(frame, by_id, locale, column))
    if "order_total" in columns and "shipping_fee" in columns:
        result.problems.extend(orders._totals_checked(result.orders, column))
    return result


def _check_later_rows(frame: pl.DataFrame, month_first: bool) -> None:
    """The row reader checks the date of a later row of an order when it differs from
    the first row's: one that is no date makes the file the row reader's."""
    if "created_at" not in frame.columns:
        return
    later = frame.filter(
        ~pl.col("_first")
        & (pl.col("created_at") != pl.col("created_at").first().over("order_id"))
        & (pl.col("created_at") != "")
    )["created_at"]
    if later.len():
        try:
            datetimes(later, month_first=month_first)
        except ValueError:
            raise Unsupported("a later row's date") from None


def _quantities(values: pl.Series) -> list[int]:
    """``orders._line``'s quantities; one that is not a whole number of one or more
    makes the file the row reader's."""
    digits = values.str.contains(r"^[0-9]{1,12}$") | (values == "")
    if digits.all():
        quantities = values.replace("", "1").cast(pl.Int64)
        if (quantities < 1).any():
            raise Unsupported("a quantity")
        return quantities.to_list()
    found = []
    for raw in values.to_list():
        raw = raw or "1"
        if raw.isascii() and raw.isdigit():
            quantity = int(raw)
        else:
            try:
                quantity = Decimal(raw)
            except ArithmeticError:
                raise Unsupported("a quantity") from None
            if not quantity.is_finite() or quantity != quantity.to_integral_value():
                raise Unsupported("a quantity")
            quantity = int(quantity)
        if quantity < 1:
            raise Unsupported("a quantity")
        found.append(quantity)
    return found


def _col(frame: pl.DataFrame, field: str) -> list:
    return frame[field].to_list() if field in frame.columns else [""] * frame.height


def _lines(frame: pl.DataFrame, locale: str, prices) -> list[tuple[str, object]]:
    """(order id, ``records.OrderLine`` or None) for every row, as ``orders._line``."""
    quantities = (
        _quantities(frame["quantity"]) if "quantity" in frame.columns else [1] * frame.height
    )
    names = _col(frame, "product")
    units = [prices[v] if v else None for v in _col(frame, "unit_price")]
    totals = [prices[v] if v else None for v in _col(frame, "line_total")]
    skus, variants = _col(frame, "sku"), _col(frame, "variant")
    found = []
    for order_id, name, quantity, unit, total, sku, variant in zip(
        frame["order_id"].to_list(), names, quantities, units, totals, skus, variants,
        strict=True,
    ):  # fmt: skip
        if unit is None and total is not None:
            unit = total / quantity
        if unit is None:
            unit = 0
        if unit < 0 or (total is not None and total < 0):
            raise Unsupported("a negative price")
        if not name:
            found.append((order_id, None))
            continue
        found.append(
            (
                order_id,
                records.OrderLine(
                    name=name[:300],
                    quantity=quantity,
                    unit_price=unit,
                    sku=sku[:120],
                    variant=variant[:200],
                    total=total,
                ),
            )
        )
    return found


def _orders(spec: Spec, first: pl.DataFrame, columns, month_first: bool, prices) -> list:
    """One ``records.Order`` per order, from its first row, as ``orders._order``."""
    n = first.height
    present = set(columns)

    def text(field):
        return first[field].to_list() if field in present else [""] * n

    def unmasked(field):
        if field not in present:
            return [None] * n
        return first.select(_unmasked(field))[field].to_list()

    created = first["created_at"] if "created_at" in present else pl.Series([""] * n)
    try:
        ordered = datetimes(created, month_first=month_first)
    except ValueError:
        raise Unsupported("a date") from None
    if any(at is None for at in ordered):
        raise Unsupported("an order without a date")
    paid = [None] * n
    if "paid_at" in present:
        try:
            paid = datetimes(first["paid_at"], month_first=month_first)
        except ValueError:  # the row reader then reads the row's own way
            paid = []
            for raw in first["paid_at"].to_list():
                try:
                    paid.append(tabular.parse_datetime(raw, month_first=month_first))
                except ValueError:
                    paid.append(None)

    def phones(field):
        """(E.164 as a list, the mask hint as a column) of ``field``"""
        if field not in present:
            return [None] * n, pl.Series([None] * n, dtype=pl.String)
        e164 = phones_e164(first.select(_unmasked(field))[field])
        return e164.to_list(), phone_hints(first[field], e164)

    (buyer_phones, buyer_hints), (address_phones, address_hints) = (
        phones("buyer_phone"),
        phones("phone"),
    )
    hints = buyer_hints.fill_null(address_hints).to_list()
    masked_as = _masked_fields(first, present)
    usernames, buyer_names = unmasked("username"), unmasked("buyer_name")
    recipients, streets, emails = unmasked("recipient"), unmasked("street"), unmasked("email")
    raw_buyer_name, raw_recipient = text("buyer_name"), text("recipient")
    statuses = text("status")
    cities, provinces = text("city"), text("province")
    villages, districts, postcodes = text("village"), text("district"), text("postal_code")
    channel_field = spec.channel_when[0] if spec.channel_when else None
    channel_marks = text(channel_field) if channel_field else [""] * n
    money = {f: text(f) for f in ("order_total", "shipping_fee", *DISCOUNT_FIELDS)}
    discount_fields = [f for f in DISCOUNT_FIELDS if f in present]
    status_of = {raw: orders.map_status(spec, raw) for raw in set(statuses)}
    city_of = {raw: regions.normalize_city(raw) for raw in set(cities)}
    province_of = {raw: regions.normalize_province(raw) for raw in set(provinces)}

    built = []
    for i, order_id in enumerate(first["order_id"].to_list()):
        buyer_name, recipient = buyer_names[i], recipients[i]
        discount = None
        for field in discount_fields:
            value = prices[money[field][i]] if money[field][i] else None
            discount = (discount or Decimal(0)) + (abs(value) if value is not None else 0)
        built.append(
            records.Order(
                channel=spec.channel_when[1]
                if channel_field and channel_marks[i]
                else spec.channel,
                external_id=order_id,
                status=status_of[statuses[i]],
                status_raw=statuses[i],
                ordered_at=ordered[i],
                paid_at=paid[i],
                buyer=records.Buyer(
                    username=usernames[i],
                    name=buyer_name or recipient,
                    phone=buyer_phones[i] or address_phones[i],
                    email=normalize_email(emails[i]),
                    masked_fields=masked_as[i],
                    phone_hint=hints[i],
                    name_hint=None
                    if buyer_name or recipient
                    else masked_name_initials(raw_buyer_name[i])
                    or masked_name_initials(raw_recipient[i]),
                ),
                address=records.Address(
                    recipient=recipient,
                    phone=address_phones[i],
                    street=streets[i],
                    village=villages[i] or None,
                    district=districts[i] or None,
                    city=city_of[cities[i]],
                    province=province_of[provinces[i]],
                    postal_code=postcodes[i] or None,
                ),
                total=prices[money["order_total"][i]] if money["order_total"][i] else None,
                shipping_fee=prices[money["shipping_fee"][i]] if money["shipping_fee"][i] else None,
                discount=discount,
                rows=[],
            )
        )
    return built


MASKABLE = (
    ("username", "username"),
    ("name", "buyer_name"),
    ("phone", "buyer_phone"),
    ("recipient", "recipient"),
    ("phone", "phone"),
    ("address", "street"),
    ("email", "email"),
)


def _masked_fields(first: pl.DataFrame, present) -> list[tuple[str, ...]]:
    """Each order's ``Buyer.masked_fields``: which cells were masked, as one small int
    a row, turned into the tuple once per combination."""
    fields = [(bit, name, field) for bit, (name, field) in enumerate(MASKABLE) if field in present]
    if not fields:
        return [()] * first.height
    code = pl.sum_horizontal(
        pl.col(field).str.contains(_MASK).cast(pl.Int32) * (1 << bit) for bit, _n, field in fields
    ).alias("code")
    codes = first.select(code)["code"].to_list()
    tuples = {}
    for value in set(codes):
        names = [name for bit, name, _field in fields if value & (1 << bit)]
        tuples[value] = tuple(dict.fromkeys(names))
    return [tuples[c] for c in codes]


def _disagreements(frame: pl.DataFrame, by_id, locale, column) -> list:
    """The row reader's warning for a later row that gives another total than the
    order's first row, once per order, in row order."""
    if "order_total" not in frame.columns:
        return []
    later = frame.filter(
        ~pl.col("_first")
        & (pl.col("order_total") != pl.col("order_total").first().over("order_id"))
    )
    problems, warned = [], set()
    for order_id, number, raw in later.select("order_id", "_row", "order_total").iter_rows():
        if order_id in warned:
            continue
        order = by_id[order_id]
        row = {"order_total": raw}
        if orders._total_disagrees(order, row, locale):
            warned.add(order_id)
            problems.append(orders._disagreement(order, row, number, locale, column))
    return problems
