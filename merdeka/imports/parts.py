"""The rest of the shop in ``merdeka export``, beside its customers, orders and books:
the catalog with its stock and photos, the storefront, pre-orders, group buys, cards
and sign-ups, campaigns and their deliveries.

Each part is its app's own (``<app>/portable.py``); this module says which files hold
them and in which order a restore writes them: the catalog before the orders (an
order's line, a pre-order, a group buy name a variant), the stock after the orders and
before the books (its ledger names orders, and the books' entries name its moves),
everything else last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.cards.models import CardBatch, SignUp
from merdeka.cards.portable import card_batch_rows, cards_restore, signup_rows
from merdeka.catalog.models import Product, StockMove
from merdeka.catalog.portable import (
    MOVE_FIELDS,
    catalog_head,
    catalog_restore,
    product_rows,
    stock_move_rows,
)
from merdeka.catalog.stock_restore import stock_restore
from merdeka.core import bulk
from merdeka.core.portable import Moved
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.groupbuy.models import GroupBuy, GroupOffer
from merdeka.groupbuy.portable import group_rows, groups_restore, offer_rows, offers_restore
from merdeka.imports.records import RejectedFile
from merdeka.orders.models import Order
from merdeka.orders.portable import (
    order_history_restore,
    order_history_rows,
    order_links_restore,
)
from merdeka.outreach.models import Campaign, Delivery
from merdeka.outreach.portable import (
    campaign_rows,
    delivery_rows,
    outreach_head,
    outreach_restore,
)
from merdeka.preorders.models import PreorderBatch
from merdeka.preorders.portable import preorder_rows, preorders_restore
from merdeka.storefront.portable import storefront_export, storefront_restore

# the files, in the order they are written; ``.json`` ones are small and whole
CATALOG_FILES = ("catalog.json", "products.jsonl", "stock_moves.jsonl")
SHOP_FILES = (
    "storefront.json",
    "preorders.jsonl",
    "group_offers.jsonl",
    "group_buys.jsonl",
    "card_batches.jsonl",
    "signups.jsonl",
    "outreach.json",
    "campaigns.jsonl",
    "deliveries.jsonl",
    "order_history.jsonl",
)
FILES = CATALOG_FILES + SHOP_FILES
PHOTO_NAME = re.compile(r"^photos/[A-Za-z0-9]{1,64}-\d{1,5}\.webp$")

# write(name, rows, part, total) -> rows written
Writer = Callable[[str, Iterable[dict], str, int], int]


def order_refs(shop) -> Callable[[Iterable[int]], dict[int, list]]:
    """Order ids -> ``[channel, number]``: how an export names an order."""

    def refs(ids: Iterable[int]) -> dict[int, list]:
        found = {}
        for part in bulk.chunks(sorted(set(ids))):
            for pk, channel, number in Order.objects.filter(shop=shop, pk__in=part).values_list(
                "pk", "channel", "external_id"
            ):
                found[pk] = [channel, number]
        return found

    return refs


def order_ids(shop) -> Callable[[Iterable[tuple]], dict[tuple, int]]:
    """``(channel, number)`` -> this shop's order id."""

    def ids(refs: Iterable[tuple]) -> dict[tuple, int]:
        wanted = {tuple(r) for r in refs}
        found = {}
        for part in bulk.chunks(sorted({number for _channel, number in wanted})):
            for pk, channel, number in Order.objects.filter(
                shop=shop, external_id__in=part
            ).values_list("pk", "channel", "external_id"):
                if (channel, number) in wanted:
                    found[(channel, number)] = pk
        return found

    return ids


def parts_export(*, shop, out: Path, write: Writer) -> dict[str, int]:
    """Write the parts into ``out``; returns how many rows of each were written."""
    refs = order_refs(shop)
    counts = {}
    with shop_scope(shop):
        (out / "catalog.json").write_text(json.dumps(catalog_head(shop=shop), ensure_ascii=False))
        total = Product.objects.filter(shop=shop).count()
        total += StockMove.objects.filter(shop=shop).count()
        counts["products"] = write(
            "products.jsonl", product_rows(shop=shop, out=out), "catalog", total
        )
        counts["stock_moves"] = write(
            "stock_moves.jsonl", stock_move_rows(shop=shop, order_refs=refs), "catalog", total
        )
        (out / "storefront.json").write_text(
            json.dumps(storefront_export(shop=shop), ensure_ascii=False)
        )
        (out / "outreach.json").write_text(json.dumps(outreach_head(shop=shop), ensure_ascii=False))
        total = sum(
            model.objects.filter(shop=shop).count()
            for model in (
                PreorderBatch,
                GroupOffer,
                GroupBuy,
                CardBatch,
                SignUp,
                Campaign,
                Delivery,
                Order,
            )
        )
        for key, name, rows in (
            ("preorders", "preorders.jsonl", preorder_rows(shop=shop, order_refs=refs)),
            ("group_offers", "group_offers.jsonl", offer_rows(shop=shop)),
            ("group_buys", "group_buys.jsonl", group_rows(shop=shop, order_refs=refs)),
            ("card_batches", "card_batches.jsonl", card_batch_rows(shop=shop)),
            ("signups", "signups.jsonl", signup_rows(shop=shop)),
            ("campaigns", "campaigns.jsonl", campaign_rows(shop=shop)),
            ("deliveries", "deliveries.jsonl", delivery_rows(shop=shop)),
            # the orders' history, shipments, proofs, links (merdeka.orders.portable)
            ("order_histories", "order_history.jsonl", order_history_rows(shop=shop)),
        ):
            counts[key] = write(name, rows, "shop", total)
    return counts


class Export:
    """The parts of an export (a folder or a zip) read as the restore needs them: row
    by row, never whole. An export made before a part was in it has none of it."""

    def __init__(self, text_open: Callable, bytes_open: Callable):
        self._text, self._bytes = text_open, bytes_open

    def json(self, name: str) -> dict:
        try:
            with self._text(name) as handle:
                return json.load(handle)
        except (KeyError, FileNotFoundError):
            return {}
        except ValueError:
            raise RejectedFile(
                _("%(file)s of the export is not valid JSON.") % {"file": name}
            ) from None

    def rows(self, name: str) -> Iterator[dict]:
        try:
            handle = self._text(name)
        except (KeyError, FileNotFoundError):
            return
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except ValueError:
                    raise RejectedFile(
                        _("Line %(line)s of %(file)s is not valid JSON.")
                        % {"line": number, "file": name},
                        row=number,
                    ) from None

    def photo(self, name: str) -> bytes:
        if not PHOTO_NAME.match(name or ""):
            raise RejectedFile(_("A product photo in the export is not one Merdeka wrote."))
        try:
            with self._bytes(name) as handle:
                return handle.read()
        except (KeyError, FileNotFoundError):
            raise RejectedFile(_("The export has no %(file)s.") % {"file": name}) from None


def catalog_in(*, shop, export: Export, moved: Moved) -> dict | None:
    """The catalog, before the orders: the stock to write once they are in."""
    try:
        return catalog_restore(
            shop=shop,
            head=export.json("catalog.json"),
            products=export.rows("products.jsonl"),
            read_file=export.photo,
            moved=moved,
        )
    except ServiceError as exc:
        raise RejectedFile(str(exc)) from None


def stock_in(*, shop, export: Export, stock: dict | None, moved: Moved) -> int:
    """The stock and its ledger, after the orders and before the books."""
    # the orders' lines point at their variants again first: the books' gross profit
    # reads them (merdeka.orders.portable)
    order_links_restore(
        shop=shop, rows=export.rows("order_history.jsonl"), moved=moved, order_ids=order_ids(shop)
    )
    if stock is None:
        return 0  # the shop had a catalog of its own: its stock stays as it is
    try:
        return stock_restore(
            shop=shop,
            stock=stock,
            moves=export.rows("stock_moves.jsonl"),
            move_fields=MOVE_FIELDS,
            moved=moved,
            order_ids=order_ids(shop),
        )
    except ServiceError as exc:
        raise RejectedFile(str(exc)) from None


def rest_in(*, shop, export: Export, moved: Moved) -> None:
    """The storefront, pre-orders, group buys, cards and campaigns, then the history
    of the orders this restore wrote (its events name the deliveries)."""
    ids = order_ids(shop)
    storefront_restore(shop=shop, data=export.json("storefront.json"))
    preorders_restore(shop=shop, rows=export.rows("preorders.jsonl"), moved=moved, order_ids=ids)
    if offers_restore(shop=shop, rows=export.rows("group_offers.jsonl"), moved=moved):
        groups_restore(shop=shop, rows=export.rows("group_buys.jsonl"), moved=moved, order_ids=ids)
    cards_restore(
        shop=shop,
        batches_in=export.rows("card_batches.jsonl"),
        signups=export.rows("signups.jsonl"),
        moved=moved,
    )
    outreach_restore(
        shop=shop,
        head=export.json("outreach.json"),
        campaigns=export.rows("campaigns.jsonl"),
        deliveries=export.rows("deliveries.jsonl"),
        moved=moved,
    )
    order_history_restore(
        shop=shop, rows=export.rows("order_history.jsonl"), moved=moved, order_ids=ids
    )
