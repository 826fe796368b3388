"""Reads Merdeka's own export (``merdeka export``) back into a shop: the way in for a
seller who moves from another Merdeka instance."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.books.models import JournalEntry
from merdeka.books.portable import BooksNotRestored, books_restore
from merdeka.core.portable import Moved
from merdeka.customers.models import Customer, Identity
from merdeka.customers.portable import extras_restore, segments_restore, shop_users
from merdeka.customers.resolution import Claim, identity_index
from merdeka.customers.workspace import customers_restored
from merdeka.imports.exporting import FORMAT
from merdeka.imports.parts import Export, catalog_in, rest_in, stock_in
from merdeka.imports.records import RejectedFile
from merdeka.imports.writer import Counts
from merdeka.orders.models import Order, OrderLine, Payment
from merdeka.receipts.portable import purchasing_restore


def _open(path: Path, *, binary: bool = False):
    """Return a function that opens a member of the export (directory or zip); the
    name of a member in a folder of the export (a photo) is checked by its reader."""
    if path.is_dir():
        if binary:
            return lambda name: open(path / name, "rb")
        return lambda name: open(path / name, encoding="utf-8")
    archive = zipfile.ZipFile(path)
    names = {"/".join(_member(n)): n for n in archive.namelist()}
    if binary:
        return lambda name: archive.open(names[name])
    return lambda name: io.TextIOWrapper(archive.open(names[name]), encoding="utf-8")


def _member(name: str) -> list[str]:
    """A member's name within the export, whatever folder the zip put it in: a file of
    its top level by its name, a photo as ``photos/<name>``."""
    parts = name.split("/")
    return parts[-2:] if len(parts) >= 2 and parts[-2] == "photos" else parts[-1:]


def export_parts(path) -> Export:
    """The rest of the shop in the export at ``path`` (merdeka.imports.parts)."""
    return Export(_open(Path(path)), _open(Path(path), binary=True))


def detect(path: Path) -> bool:
    try:
        opener = _open(Path(path))
        with opener("manifest.json") as handle:
            return json.load(handle).get("format") == FORMAT
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, AttributeError):
        return False


def _when(value):
    return datetime.fromisoformat(value) if value else None


def _money(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise RejectedFile(_("A money amount in the export is not a number.")) from None


def read_export(path: Path) -> tuple[list[dict], list[dict]]:
    rows = _read_jsonl(Path(path), ("customers.jsonl", "orders.jsonl"))
    return rows["customers.jsonl"], rows["orders.jsonl"]


def read_segments(path: Path) -> list[dict]:
    """The export's saved segments: none in an export made before they were in it."""
    return _read_jsonl(Path(path), ("segments.jsonl",), optional=True)["segments.jsonl"]


def read_books(path: Path) -> tuple[dict, list[dict]]:
    """The export's books (chart, settings, closed months; the journal): empty for an
    export made before the books were in it."""
    opener = _open(Path(path))
    try:
        with opener("books.json") as handle:
            books = json.load(handle)
    except (KeyError, FileNotFoundError):
        return {}, []
    except ValueError:
        raise RejectedFile(_("books.json of the export is not valid JSON.")) from None
    return books, _read_jsonl(Path(path), ("journal.jsonl",))["journal.jsonl"]


def read_purchasing(path: Path) -> dict:
    """The export's receipts, suppliers and prices: empty for an older export."""
    opener = _open(Path(path))
    try:
        with opener("purchasing.json") as handle:
            return json.load(handle)
    except (KeyError, FileNotFoundError):
        return {}
    except ValueError:
        raise RejectedFile(_("purchasing.json of the export is not valid JSON.")) from None


def _read_jsonl(path: Path, names, *, optional: bool = False) -> dict[str, list[dict]]:
    opener = _open(path)
    rows = {}
    for name in names:
        rows[name] = []
        try:
            with opener(name) as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            rows[name].append(json.loads(line))
                        except ValueError:
                            raise RejectedFile(
                                _("Line %(line)s of %(file)s is not valid JSON.")
                                % {"line": number, "file": name},
                                row=number,
                            ) from None
        except (KeyError, FileNotFoundError):
            if optional:
                continue
            raise RejectedFile(_("The export has no %(file)s.") % {"file": name}) from None
    return rows


def write_export(
    *,
    shop,
    customers: list[dict],
    orders: list[dict],
    import_file=None,
    books=None,
    journal=(),
    segments=(),
    purchasing=None,
    path=None,
) -> Counts:
    """Customers and orders (with their payments) not in the shop yet, then the books:
    a journal goes only into a shop that had neither orders nor a journal of its own
    (``books_restore``), and the file is refused, with nothing written, otherwise. The
    rest of the shop is read from the export at ``path`` as it is written: the catalog
    before the orders, its stock after them, the rest last (``merdeka.imports.parts``)."""
    moved = Moved(shop=shop, users=shop_users(shop))
    try:
        return _write(
            shop=shop,
            customers=customers,
            orders=orders,
            import_file=import_file,
            books=books,
            journal=journal,
            segments=segments,
            purchasing=purchasing,
            parts=export_parts(path) if path is not None else None,
            moved=moved,
        )
    except BaseException:
        for written in moved.files:  # the photos of a restore that did not happen
            Path(written).unlink(missing_ok=True)
        raise


def _write(
    *, shop, customers, orders, import_file, books, journal, segments, purchasing, parts, moved
) -> Counts:
    counts = Counts()
    had_data = (
        Order.objects.filter(shop=shop).exists() or JournalEntry.objects.filter(shop=shop).exists()
    )
    users = moved.users
    by_old_id = moved.of("customer")
    restored: list[int] = []
    for row in customers:
        claims = [
            Claim(i["kind"], i["value"], i.get("channel", "")) for i in row.get("identities", [])
        ]
        indexes = [identity_index(shop.pk, claim) for claim in claims]
        existing = (
            Identity.objects.filter(shop=shop, value_index__in=indexes)
            .values_list("customer_id", flat=True)
            .first()
        )
        if existing:
            by_old_id[row["id"]] = existing
            continue
        customer = Customer(
            shop=shop,
            name=row.get("name"),
            phone=row.get("phone"),
            email=row.get("email"),
            address=row.get("address"),
            city=row.get("city") or "",
            province=row.get("province") or "",
        )
        customer.save()
        if row.get("created_at"):  # a customer since then, not since the move
            Customer.objects.filter(pk=customer.pk).update(created_at=_when(row["created_at"]))
        counts.contacts += 1
        by_old_id[row["id"]] = customer.pk
        restored.append(customer.pk)
        for claim, index, data in zip(claims, indexes, row.get("identities", []), strict=True):
            Identity(
                shop=shop,
                customer=customer,
                kind=claim.kind,
                channel=claim.channel,
                value=claim.value,
                value_index=index,
                source=data.get("source") or "merdeka",
                import_file=import_file,
                first_seen_at=_when(data.get("first_seen_at")),
                last_seen_at=_when(data.get("last_seen_at")),
            ).save()
        extras_restore(shop=shop, customer=customer, row=row, users=users)
    segments_restore(shop=shop, rows=list(segments))
    stock = catalog_in(shop=shop, export=parts, moved=moved) if parts else None
    for row in orders:
        if Order.objects.filter(
            shop=shop, channel=row["channel"], external_id=row["external_id"]
        ).exists():
            counts.orders_unchanged += 1
            continue
        order = Order(
            shop=shop,
            channel=row["channel"],
            external_id=row["external_id"],
            customer_id=by_old_id.get(row.get("customer_id")),
            status=row["status"],
            status_raw=row.get("status_raw") or "",
            ordered_at=_when(row["ordered_at"]),
            paid_at=_when(row.get("paid_at")),
            total=_money(row.get("total")),
            shipping_fee=_money(row.get("shipping_fee")),
            discount=_money(row.get("discount")),
            buyer_username=row.get("buyer_username"),
            recipient_name=row.get("recipient_name"),
            recipient_phone=row.get("recipient_phone"),
            street=row.get("street"),
            village=row.get("village") or "",
            district=row.get("district") or "",
            city=row.get("city") or "",
            province=row.get("province") or "",
            postal_code=row.get("postal_code") or "",
            delivery_method=row.get("delivery_method") or "",
            payment_method=row.get("payment_method") or "",
            subtotal=_money(row.get("subtotal")),
            note=row.get("note"),
            # an order of the shop's own stays one (the lifecycle and the books tell
            # the two apart); older exports did not say: read from an export then
            import_file=import_file if row.get("imported", True) else None,
        )
        order.save()
        moved.of("new_order")[order.pk] = order.pk
        for payment in row.get("payments", []):
            Payment(
                shop=shop,
                order=order,
                customer_id=order.customer_id,
                method=payment["method"],
                amount=_money(payment["amount"]),
                reference=payment.get("reference"),
                recorded_at=_when(payment["recorded_at"]),
            ).save()
        OrderLine.objects.bulk_create(
            OrderLine(
                shop=shop,
                order=order,
                position=position,
                sku=line.get("sku") or "",
                name=line["name"],
                variant=line.get("variant") or "",
                quantity=int(line["quantity"]),
                unit_price=_money(line["unit_price"]),
                total=_money(line["total"]),
            )
            for position, line in enumerate(row.get("lines", []))
        )
        counts.orders_new += 1
        counts.lines_new += len(row.get("lines", []))
    customers_restored(shop=shop, customer_ids=restored)
    if parts:
        stock_in(shop=shop, export=parts, stock=stock, moved=moved)
    try:
        books_restore(
            shop=shop,
            books=books or {},
            journal=list(journal),
            had_data=had_data,
            stock_moves=moved.of("stock_move"),
        )
    except BooksNotRestored:
        raise RejectedFile(BooksNotRestored.message) from None
    purchasing_restore(shop=shop, data=purchasing or {})  # after the journal: expenses by key
    if parts:
        rest_in(shop=shop, export=parts, moved=moved)
    return counts
