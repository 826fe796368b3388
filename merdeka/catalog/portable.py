"""The catalog in ``merdeka export`` and back: categories, stock locations, products
with their variants (prices, SKUs, stock levels, cost, low-stock alerts) and photos
(the files themselves, under ``photos/`` in the export), and the stock ledger.

``catalog_restore`` writes the products into a shop that has none yet (the same
export again adds nothing) and keeps, in ``Moved``, what each old id became; the stock
itself (levels, the ledger, the moving-average cost, the alerts) goes in afterwards,
once the orders it points at are there, through the stock service
(``merdeka.catalog.stock_restore``), never written here.
"""

from __future__ import annotations

import io
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from merdeka.catalog import photos as photos_store
from merdeka.catalog.cache import catalog_changed
from merdeka.catalog.models import (
    Category,
    LowStockAlert,
    Product,
    ProductPhoto,
    StockCost,
    StockLevel,
    StockLocation,
    StockMove,
    Variant,
)
from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError

CATEGORY_FIELDS = ("id", "name", "slug", "position")
LOCATION_FIELDS = ("id", "name", "kind", "is_default", "sells_online", "created_at")
PRODUCT_FIELDS = ("id", "name", "slug", "description", "category", "is_published", "created_at")
VARIANT_FIELDS = (
    "id",
    "size",
    "flavour",
    "sku",
    "price",
    "weight_grams",
    "track_stock",
    "low_stock_threshold",
    "is_active",
    "position",
)
PHOTO_FIELDS = ("key", "width", "height", "widths", "position", "created_at")
ALERT_FIELDS = ("threshold", "available", "raised_at", "cleared_at")
MOVE_FIELDS = (
    "id",
    "variant",
    "location",
    "reason",
    "on_hand_change",
    "reserved_change",
    "on_hand_after",
    "reserved_after",
    "note",
    "created_at",
    "value_change",
    "cost_missing",
    "unit_cost",
    "key",
)
PHOTOS = "photos"  # the folder of the photo files in the export


def catalog_head(*, shop) -> dict:
    """The small tables: categories and stock locations."""
    with shop_scope(shop):
        return {
            "categories": [
                fields_of(c, CATEGORY_FIELDS)
                for c in Category.objects.filter(shop=shop).order_by("pk")
            ],
            "locations": [
                fields_of(loc, LOCATION_FIELDS)
                for loc in StockLocation.objects.filter(shop=shop).order_by("pk")
            ],
        }


def product_rows(*, shop, out: Path) -> Iterator[dict]:
    """Each product with its variants and photos, a batch at a time; the photos' files
    are copied into ``out/photos/`` as they are read. Consume inside the shop's scope."""
    for batch in batches(Product.objects.filter(shop=shop)):
        ids = [p.pk for p in batch]
        variants: dict[int, list[dict]] = {}
        for variant in Variant.objects.filter(shop=shop, product_id__in=ids).order_by("pk"):
            variants.setdefault(variant.product_id, []).append(fields_of(variant, VARIANT_FIELDS))
        by_variant = {v["id"]: v for rows in variants.values() for v in rows}
        for level in StockLevel.objects.filter(shop=shop, variant_id__in=list(by_variant)):
            by_variant[level.variant_id].setdefault("levels", []).append(
                [level.location_id, level.on_hand, level.reserved]
            )
        for cost in StockCost.objects.filter(shop=shop, variant_id__in=list(by_variant)):
            by_variant[cost.variant_id]["cost"] = [cost.quantity, cost.value]
        for alert in LowStockAlert.objects.filter(
            shop=shop, variant_id__in=list(by_variant)
        ).order_by("pk"):
            by_variant[alert.variant_id].setdefault("alerts", []).append(
                fields_of(alert, ALERT_FIELDS)
            )
        for row in by_variant.values():
            row.setdefault("levels", [])
            row["levels"].sort()
            row.setdefault("cost", None)
            row.setdefault("alerts", [])
        photos: dict[int, list[dict]] = {}
        for photo in ProductPhoto.objects.filter(shop=shop, product_id__in=ids).order_by("pk"):
            row = fields_of(photo, PHOTO_FIELDS)
            row["files"] = _photo_files(shop, photo, out)
            photos.setdefault(photo.product_id, []).append(row)
        for product in batch:
            row = fields_of(product, PRODUCT_FIELDS)
            row["variants"] = variants.get(product.pk, [])
            row["photos"] = photos.get(product.pk, [])
            yield row


def _photo_files(shop, photo: ProductPhoto, out: Path) -> dict[str, str]:
    """Copy the photo's stored widths into the export: ``{width: name in the export}``."""
    folder = out / PHOTOS
    folder.mkdir(mode=0o700, exist_ok=True)
    files = {}
    for width in photo.widths:
        source = photos_store.path_for(shop.pk, photo.key, width)
        if source.exists():
            name = f"{PHOTOS}/{photo.key}-{int(width)}.webp"
            shutil.copyfile(source, out / name)
            files[str(width)] = name
    return files


def stock_move_rows(*, shop, order_refs: Callable) -> Iterator[dict]:
    """The stock ledger, oldest first; an order named by its channel and number
    (``order_refs(ids) -> {id: [channel, number]}``), the actor by username."""
    users = {}
    for batch in batches(StockMove.objects.filter(shop=shop).select_related("actor")):
        orders = order_refs({m.order_id for m in batch if m.order_id})
        for move in batch:
            row = fields_of(move, MOVE_FIELDS)
            row["order"] = orders.get(move.order_id)
            if move.actor_id not in users:
                users[move.actor_id] = move.actor.username if move.actor_id else None
            row["actor"] = users[move.actor_id]
            yield row


def _check_photo(data: bytes) -> None:
    """A photo file of the export is a WebP Merdeka wrote: anything else is refused."""
    if len(data) > photos_store.MAX_BYTES:
        raise ServiceError(_("A product photo in the export is not one Merdeka wrote."))
    try:
        image = Image.open(io.BytesIO(data), formats=("WEBP",))
        if image.width * image.height > photos_store.MAX_PIXELS:
            raise ServiceError(_("A product photo in the export is not one Merdeka wrote."))
        image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ServiceError(_("A product photo in the export is not one Merdeka wrote.")) from None


def catalog_restore(
    *,
    shop,
    head: dict,
    products: Iterable[dict],
    read_file: Callable[[str], bytes],
    moved: Moved,
) -> dict | None:
    """Categories, locations, products, variants and photos of an export, into a shop
    without products; returns the stock to restore once the orders are in
    (``{"levels", "costs", "alerts"}`` in this shop's ids), or None when the shop had
    products already (nothing written). The photo files written are listed in
    ``moved.files``: the caller removes them if its transaction does not commit."""
    with shop_scope(shop):
        if Product.objects.filter(shop=shop).exists():
            return None
        categories = moved.of("category")
        rows = head.get("categories", [])
        made = rows_insert(
            Category,
            [Category(**fields_in(Category, r, CATEGORY_FIELDS[1:])) for r in rows],
            shop=shop,
        )
        categories.update(zip([r["id"] for r in rows], made, strict=True))
        _locations_restore(shop, head.get("locations", []), moved.of("location"))
        stock = {"levels": [], "costs": [], "alerts": []}
        written = moved.files
        try:
            for part in _chunked(products, 500):
                _products_restore(shop, part, read_file, moved, stock, written)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        transaction.on_commit(lambda: catalog_changed(shop_id=shop.pk))
    return stock


def _chunked(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    part = []
    for row in rows:
        part.append(row)
        if len(part) >= size:
            yield part
            part = []
    if part:
        yield part


def _locations_restore(shop, rows: list[dict], locations: dict) -> None:
    here = {loc.name.casefold(): loc.pk for loc in StockLocation.objects.filter(shop=shop)}
    new = [r for r in rows if r["name"].casefold() not in here]
    for r in rows:
        if r["name"].casefold() in here:
            locations[r["id"]] = here[r["name"].casefold()]
            StockLocation.objects.filter(shop=shop, pk=locations[r["id"]]).update(
                **fields_in(StockLocation, r, LOCATION_FIELDS[2:])
            )
    made = rows_insert(
        StockLocation,
        [StockLocation(**fields_in(StockLocation, r, LOCATION_FIELDS[1:])) for r in new],
        shop=shop,
    )
    locations.update(zip([r["id"] for r in new], made, strict=True))
    default = [locations[r["id"]] for r in rows if r.get("is_default")]
    if default:  # the export's default location stays the one default
        StockLocation.objects.filter(shop=shop).exclude(pk=default[0]).update(is_default=False)


def _products_restore(shop, rows, read_file, moved: Moved, stock: dict, written) -> None:
    products = []
    for r in rows:
        product = Product(**fields_in(Product, r, PRODUCT_FIELDS[1:]))
        product.category_id = moved.get("category", r.get("category"))
        products.append(product)
    moved.of("product").update(
        zip([r["id"] for r in rows], rows_insert(Product, products, shop=shop), strict=True)
    )
    variants, olds = [], []
    for r in rows:
        for v in r.get("variants", []):
            variant = Variant(**fields_in(Variant, v, VARIANT_FIELDS[1:]))
            variant.product_id = moved.get("product", r["id"])
            variants.append(variant)
            olds.append(v)
    ids = rows_insert(Variant, variants, shop=shop)
    for v, pk in zip(olds, ids, strict=True):
        moved.of("variant")[v["id"]] = pk
        for location, on_hand, reserved in v.get("levels", []):
            stock["levels"].append((pk, moved.get("location", location), on_hand, reserved))
        if v.get("cost"):
            stock["costs"].append((pk, *v["cost"]))
        for alert in v.get("alerts", []):
            stock["alerts"].append((pk, alert))
    photos = []
    for r in rows:
        for p in r.get("photos", []):
            photo = ProductPhoto(**fields_in(ProductPhoto, p, PHOTO_FIELDS))
            photo.product_id = moved.get("product", r["id"])
            if ProductPhoto.unscoped.filter(key=photo.key).exists() or not photo.key.isalnum():
                photo.key = secrets.token_hex(16)  # a photo's name is unique everywhere
            widths = []
            for width, name in sorted(p.get("files", {}).items(), key=lambda i: int(i[0])):
                data = read_file(name)
                _check_photo(data)
                target = photos_store.path_for(shop.pk, photo.key, int(width))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                target.chmod(0o644)
                written.append(target)
                widths.append(int(width))
            photo.widths = widths
            photos.append(photo)
    rows_insert(ProductPhoto, photos, shop=shop)
