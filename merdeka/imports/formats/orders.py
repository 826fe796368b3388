"""Marketplace order exports: one engine, one small spec per marketplace.

Exports have one row per order *line*; order-level columns repeat on each line of the
same order. Columns are found by header name (never by position), in any of the
languages a marketplace uses. Masked buyer data is recognised before anything is
parsed and is never kept as contact data; the marketplace username is then the key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.core.money import format_rupiah
from merdeka.core.phone import (
    is_masked,
    masked_name_initials,
    normalize_email,
    normalize_phone,
    phone_mask_key,
)
from merdeka.imports import records
from merdeka.imports.formats import regions, tabular
from merdeka.imports.records import Problem, RejectedFile, Severity
from merdeka.orders.totals import total_gap

# order-level discounts a marketplace writes in columns of their own (a seller's voucher,
# the platform's voucher, coins...): summed into the order's discount
DISCOUNT_FIELDS = (
    "discount_seller",
    "discount_platform",
    "discount_coins",
    "discount_card",
)
TOTAL_MISMATCH = "total_mismatch"
TOTAL_DISAGREES = "total_disagrees"


@dataclass
class Spec:
    source: str  # "shopee", "tiktok", "tokopedia", "lazada"
    channel: str
    aliases: dict[str, str]  # header text -> field
    required: tuple[str, ...]
    statuses: dict[str, str]  # lower-cased original -> records.ORDER_STATUSES
    signature: tuple[str, ...]  # fields whose presence tells this marketplace apart
    sheet_hints: tuple[str, ...] = ()
    order_id_pattern: re.Pattern | None = None  # rows whose id does not match are skipped
    combine: Callable[[dict], None] | None = None  # per-row fix-ups (e.g. date + time columns)
    # (field, channel): an order whose row fills ``field`` came through ``channel``
    channel_when: tuple[str, str] | None = None

    def channel_of(self, row: dict) -> str:
        if self.channel_when and (row.get(self.channel_when[0]) or "").strip():
            return self.channel_when[1]
        return self.channel


@dataclass
class OrderParse:
    source: str
    channel: str
    orders: list[records.Order] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    filled: set[str] = field(default_factory=set)  # fields with a value in some row


def detect(spec: Spec, header_fields: set[str]) -> float:
    if not set(spec.signature) <= header_fields:
        return 0.0
    return 0.5 + 0.5 * len(header_fields & set(spec.aliases.values())) / len(
        set(spec.aliases.values())
    )


def map_status(spec: Spec, raw: str) -> str:
    key = raw.strip().lower()
    if key in spec.statuses:
        return spec.statuses[key]
    for text, status in spec.statuses.items():
        if text and text in key:
            return status
    return "new"


def _masked(value: str, field_name: str, masked: list[str]) -> str | None:
    if not value:
        return None
    if is_masked(value):
        masked.append(field_name)
        return None
    return value


def parse(
    spec: Spec,
    table: tabular.Table,
    columns: dict[str, int],
    header_row: int,
    header: list[str] | None = None,
):
    result = OrderParse(source=spec.source, channel=spec.channel)
    missing = [f for f in spec.required if f not in columns]
    if missing:
        names = [next(k for k, v in spec.aliases.items() if v == f) for f in missing]
        raise RejectedFile(
            _("This %(source)s export is missing the columns it needs: %(columns)s.")
            % {"source": spec.source.title(), "columns": ", ".join(names)}
        )
    header = header or []
    table.keep = frozenset(columns.values())

    def column_name(field_name: str | None) -> str | None:
        index = columns.get(field_name or "")
        return header[index] if index is not None and index < len(header) else field_name

    plan = tuple(columns.items())
    widest = max(columns.values()) + 1 if columns else 0
    combine, pattern = spec.combine, spec.order_id_pattern
    filled = result.filled

    def order_rows():
        for number, cells in table.rows:
            if not any(cells):
                continue
            if len(cells) >= widest:
                row = {f: cells[i] for f, i in plan}
            else:
                row = {f: (cells[i] if i < len(cells) else "") for f, i in plan}
            if combine:
                combine(row)
            order_id = row.get("order_id", "").strip()
            if not order_id:
                continue
            if pattern and not pattern.fullmatch(order_id):
                continue  # e.g. TikTok's description row under the header
            if not filled.issuperset(row):
                filled.update(f for f in row.keys() - filled if row[f])
            yield number, row

    # One pass, row by row: the first rows decide how the file writes numbers and dates,
    # the rest are never held all at once (a month of orders is ~50,000 rows).
    rows = order_rows()
    head = list(itertools.islice(rows, 500))
    if not head:
        raise RejectedFile(_("The export has a header but no orders."))

    money_fields = ("unit_price", "line_total", "order_total", "shipping_fee", *DISCOUNT_FIELDS)
    samples = [row[f] for _, row in head for f in money_fields if row.get(f)]
    locale = tabular.money_locale(samples)
    month_first = tabular.month_first_file([row.get("created_at", "") for _, row in head])

    orders: dict[str, records.Order] = {}
    first_created: dict[str, str] = {}
    first_total: dict[str, str] = {}  # the order's total as its first row writes it
    disagreeing: set[str] = set()
    broken: set[str] = set()
    read = 0
    for number, row in itertools.chain(head, rows):
        read += 1
        order_id = row["order_id"].strip()
        order = orders.get(order_id)
        try:
            if order is None:
                order = orders[order_id] = _order(spec, row, number, locale, month_first)
                first_created[order_id] = row.get("created_at", "")
                first_total[order_id] = row.get("order_total", "")
            else:
                if row.get("created_at", "") != first_created[order_id]:
                    _check_date(row, month_first)  # a later line of the order disagrees
                if (
                    row.get("order_total", "") != first_total[order_id]
                    and order_id not in disagreeing
                    and _total_disagrees(order, row, locale)
                ):
                    disagreeing.add(order_id)
                    result.problems.append(
                        _disagreement(order, row, number, locale, column_name("order_total"))
                    )
                order.rows.append(number)
            line = _line(row, number, locale, result.problems)
        except _RowError as exc:
            result.problems.append(Problem(exc.message, row=number, column=column_name(exc.column)))
            broken.add(order_id)  # its lines are not all read: its total cannot be judged
            continue
        if line is not None:
            order.lines.append(line)
    result.rows_read = read
    result.orders = list(orders.values())
    if "order_total" in columns and "shipping_fee" in columns:
        judged = [o for o in result.orders if o.external_id not in broken]
        result.problems.extend(_totals_checked(judged, column_name("order_total")))
    return result


def _total_disagrees(order: records.Order, row: dict, locale: str) -> bool:
    """Does a later row of ``order`` give another total than its first row? (Texts
    differ; the amounts may still be equal, "269.000" and "269000".)"""
    try:
        later = tabular.parse_money(row.get("order_total", ""), locale)
    except ValueError:
        return False  # not a number: not an order-level value to compare
    return later != order.total


def _disagreement(order, row, number, locale, column) -> Problem:
    later = tabular.parse_money(row.get("order_total", ""), locale)
    return Problem(
        _(
            "Order %(order)s: this row gives a total of %(later)s, its first row (row "
            "%(first)s) %(total)s. Merdeka kept %(total)s; check the order in the "
            "marketplace."
        )
        % {
            "order": order.external_id,
            "later": format_rupiah(later) if later is not None else "—",
            "first": order.rows[0],
            "total": format_rupiah(order.total) if order.total is not None else "—",
        },
        row=number,
        column=column,
        severity=Severity.WARNING,
        code=TOTAL_DISAGREES,
    )


def _line_amount(line: records.OrderLine) -> Decimal:
    return line.total if line.total is not None else line.unit_price * line.quantity


def _totals_checked(orders: list[records.Order], column: str | None) -> list[Problem]:
    """One comparison per order: its total against lines + shipping - discounts."""
    problems = []
    for order in orders:
        gap = total_gap(
            total=order.total,
            line_totals=[_line_amount(line) for line in order.lines],
            shipping=order.shipping_fee if order.shipping_fee is not None else Decimal(0),
            discount=order.discount,
        )
        if gap is None:
            continue
        problems.append(
            Problem(
                _(
                    "Order %(order)s: the total paid is %(total)s, but its lines (%(lines)s) "
                    "plus shipping (%(shipping)s) minus discounts (%(discount)s) make "
                    "%(expected)s. It is imported as the file says; check it in the "
                    "marketplace."
                )
                % {
                    "order": order.external_id,
                    "total": format_rupiah(gap.total),
                    "lines": format_rupiah(gap.lines),
                    "shipping": format_rupiah(gap.shipping),
                    "discount": format_rupiah(gap.discount),
                    "expected": format_rupiah(gap.expected),
                },
                row=order.rows[0] if order.rows else None,
                column=column,
                severity=Severity.WARNING,
                code=TOTAL_MISMATCH,
            )
        )
    return problems


class _RowError(Exception):
    def __init__(self, message, column=None):
        super().__init__(str(message))
        self.message = message
        self.column = column


def _money(row: dict, field_name: str, locale: str):
    raw = row.get(field_name, "")
    try:
        return tabular.parse_money(raw, locale)
    except ValueError:
        raise _RowError(
            _("%(value)s is not an amount of money.") % {"value": raw[:40]}, field_name
        ) from None


def _check_date(row: dict, month_first: bool) -> None:
    try:
        tabular.parse_datetime(row.get("created_at", ""), month_first=month_first)
    except ValueError:
        raise _RowError(
            _("%(value)s is not a date and time.") % {"value": row.get("created_at", "")[:40]},
            "created_at",
        ) from None


MAX_ORDER_ID = 80


def _order(spec: Spec, row: dict, number: int, locale: str, month_first: bool) -> records.Order:
    if len(row["order_id"].strip()) > MAX_ORDER_ID:
        raise _RowError(
            _(
                "An order number is at most %(count)s characters long. Check that this "
                "column holds the order numbers, or export the file again."
            )
            % {"count": MAX_ORDER_ID},
            "order_id",
        )
    try:
        ordered_at = tabular.parse_datetime(row.get("created_at", ""), month_first=month_first)
    except ValueError:
        raise _RowError(
            _("%(value)s is not a date and time.") % {"value": row.get("created_at", "")[:40]},
            "created_at",
        ) from None
    if ordered_at is None:
        raise _RowError(_("The order has no date."), "created_at")
    try:
        paid_at = tabular.parse_datetime(row.get("paid_at", ""), month_first=month_first)
    except ValueError:
        paid_at = None
    masked: list[str] = []
    username = _masked(row.get("username", ""), "username", masked)
    buyer_name = _masked(row.get("buyer_name", ""), "name", masked)
    buyer_phone_raw = _masked(row.get("buyer_phone", ""), "phone", masked)
    recipient = _masked(row.get("recipient", ""), "recipient", masked)
    phone_raw = _masked(row.get("phone", ""), "phone", masked)
    street = _masked(row.get("street", ""), "address", masked)
    email = _masked(row.get("email", ""), "email", masked)
    status_raw = row.get("status", "").strip()
    return records.Order(
        channel=spec.channel_of(row),
        external_id=row["order_id"].strip(),
        status=map_status(spec, status_raw),
        status_raw=status_raw,
        ordered_at=ordered_at,
        paid_at=paid_at,
        buyer=records.Buyer(
            username=username,
            name=buyer_name or recipient,
            phone=normalize_phone(buyer_phone_raw) or normalize_phone(phone_raw),
            email=normalize_email(email),
            masked_fields=tuple(dict.fromkeys(masked)),
            phone_hint=phone_mask_key(row.get("buyer_phone", ""))
            or phone_mask_key(row.get("phone", "")),
            name_hint=None
            if buyer_name or recipient
            else masked_name_initials(row.get("buyer_name", ""))
            or masked_name_initials(row.get("recipient", "")),
        ),
        address=records.Address(
            recipient=recipient,
            phone=normalize_phone(phone_raw),
            street=street,
            village=tabular.text_or_none(row.get("village", "")),
            district=tabular.text_or_none(row.get("district", "")),
            city=regions.normalize_city(row.get("city", "")),
            province=regions.normalize_province(row.get("province", "")),
            postal_code=tabular.text_or_none(row.get("postal_code", "")),
        ),
        total=_money(row, "order_total", locale),
        shipping_fee=_money(row, "shipping_fee", locale),
        discount=_discount(row, locale),
        rows=[number],
    )


def _discount(row: dict, locale: str) -> Decimal | None:
    """The order's own discounts, summed (written as positive or negative amounts);
    None when the file has no discount column."""
    found = None
    for name in DISCOUNT_FIELDS:
        if name in row:
            value = _money(row, name, locale)
            found = (found or Decimal(0)) + (abs(value) if value is not None else 0)
    return found


def _line(row: dict, number: int, locale: str, problems) -> records.OrderLine | None:
    name = row.get("product", "").strip()
    raw_quantity = row.get("quantity", "").strip() or "1"
    if raw_quantity.isascii() and raw_quantity.isdigit():  # the common case: "2"
        quantity = int(raw_quantity)
    else:
        try:
            quantity = Decimal(raw_quantity)
        except InvalidOperation:
            quantity = Decimal(0)
        if not quantity.is_finite() or quantity != quantity.to_integral_value():
            quantity = 0
    if quantity < 1:
        raise _RowError(
            _("The quantity %(value)s is not a whole number of one or more.")
            % {"value": raw_quantity[:20]},
            "quantity",
        )
    quantity = int(quantity)
    unit_price = _money(row, "unit_price", locale)
    line_total = _money(row, "line_total", locale)
    if unit_price is None and line_total is not None:
        unit_price = line_total / quantity
    if unit_price is None:
        unit_price = 0
    if unit_price < 0 or (line_total is not None and line_total < 0):
        raise _RowError(_("A price cannot be negative."), "unit_price")
    if not name:
        return None
    return records.OrderLine(
        name=name[:300],
        quantity=quantity,
        unit_price=unit_price,
        sku=row.get("sku", "").strip()[:120],
        variant=row.get("variant", "").strip()[:200],
        total=line_total,
    )


def open_and_detect(path: Path, name: str, specs: list[Spec]):
    """Open a spreadsheet, find its header and the marketplace whose columns fit best."""
    hints = tuple(h for spec in specs for h in spec.sheet_hints)
    table = tabular.open_table(path, name, sheet_hints=hints)
    spec, columns, header_row, header = detect_in(table, specs)
    return spec, table, columns, header_row, header


def detect_in(table: tabular.Table, specs: list[Spec]):
    """(spec, columns, header row, header) of the rows of ``table``: the header found
    with every marketplace's names, then the marketplace whose columns fit best."""
    all_aliases = {}
    for spec in specs:
        all_aliases.update(spec.aliases)
    header_row, _columns, header = tabular.find_header(table, all_aliases)
    if header_row is None:
        return None, {}, None, []
    best, best_score, best_columns = None, 0.0, {}
    for spec in specs:
        keys = {tabular._header_key(k): v for k, v in spec.aliases.items()}
        columns = {}
        for index, cell in enumerate(header):
            field_name = keys.get(tabular._header_key(cell))
            if field_name and field_name not in columns:
                columns[field_name] = index
        score = detect(spec, set(columns))
        if score > best_score:
            best, best_score, best_columns = spec, score, columns
    return best, best_columns, header_row, header
