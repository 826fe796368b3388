"""Writes to the catalog and to stock.

This module is the one owner of stock (``merdeka.core.ownership.STOCK``): orders,
purchases and stock counts all move stock through the functions below, never by writing
``StockLevel`` or ``StockMove`` themselves. Every stock change is one conditional
UPDATE plus a ``StockMove`` row (the ledger), inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from merdeka.catalog import photos as photos_store  # where product_save's ``photos`` is a list
from merdeka.catalog.cache import catalog_changed
from merdeka.catalog.costing import value_moved
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
from merdeka.catalog.selectors import stock_held_for_orders
from merdeka.core import rawsql
from merdeka.core.events import emit
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError

# the domain event of a variant whose available stock fell below its threshold
# (merdeka.core.events); data: variant_id, alert_id, available, threshold
STOCK_LOW = "stock.low"
# the stock's value moved by a purchase, an opening value or a count (not by an
# order: the books read what an order's goods cost from the ledger when it is
# delivered); data: move_id, variant_id, reason, value_change (rupiah, signed),
# paid_from (a purchase's account in the books, None: not paid yet)
STOCK_VALUED = "stock.valued"
MAX_UNIT_COST = 10**12  # Rp1 triliun a unit: anything above is a typo
MAX_UNITS = 1_000_000


class StockShortage(ServiceError):
    """Not enough stock for a line; the message names the product."""

    def __init__(self, message: str, *, variant_id: int, available: int):
        super().__init__(message)
        self.variant_id = variant_id
        self.available = available


def product_touch(product_id: int) -> None:
    """Bump the product's ``updated_at`` and the catalog version: its cached public
    page is rebuilt."""
    from django.utils import timezone

    product = Product.objects.filter(pk=product_id)
    product.update(updated_at=timezone.now())
    for shop_id in product.values_list("shop_id", flat=True):
        catalog_changed(shop_id=shop_id)


def _unique_slug(model, shop, name: str, *, exclude_pk=None) -> str:
    base = slugify(name)[:80] or "produk"
    slug = base
    while model.objects.filter(shop=shop, slug=slug).exclude(pk=exclude_pk).exists():
        slug = f"{base}-{get_random_string(4, 'abcdefghjkmnpqrstuvwxyz23456789')}"
    return slug


def location_default(*, shop) -> StockLocation:
    """The shop's default stock location, created ("Rumah") on first use."""
    with shop_scope(shop):
        location = StockLocation.objects.filter(shop=shop, is_default=True).first()
        if location is None:
            location = StockLocation.objects.filter(shop=shop).first()
        if location is None:
            location = StockLocation.objects.create(
                shop=shop,
                name=pgettext("stock location", "Home"),
                kind=StockLocation.Kind.HOME,
                is_default=True,
            )
        return location


@transaction.atomic
def location_save(
    *, shop, name: str, kind: str, is_default: bool, sells_online: bool, location=None
) -> StockLocation:
    with shop_scope(shop):
        name = name.strip()
        if (
            StockLocation.objects.filter(shop=shop, name__iexact=name)
            .exclude(pk=getattr(location, "pk", None))
            .exists()
        ):
            raise ServiceError(_("There is already a location called %(name)s.") % {"name": name})
        location = location or StockLocation(shop=shop)
        location.name, location.kind = name, kind
        location.is_default, location.sells_online = is_default, sells_online
        location.save()
        if is_default:
            StockLocation.objects.filter(shop=shop).exclude(pk=location.pk).update(is_default=False)
        return location


@transaction.atomic
def category_save(*, shop, name: str, category=None) -> Category:
    with shop_scope(shop):
        category = category or Category(shop=shop)
        category.name = name.strip()
        category.slug = _unique_slug(Category, shop, name, exclude_pk=category.pk)
        category.save()
        return category


MAX_PHOTOS = 8  # a product's photos, all told


@dataclass
class VariantInput:
    """One row of the product form: an existing variant (``pk``) or a new one."""

    pk: int | None
    size: str
    flavour: str
    sku: str
    price: Decimal
    weight_grams: int
    track_stock: bool = True
    delete: bool = False
    low_stock_threshold: int | None = None  # None: the variant's own, or the default


def product_save(
    *,
    shop,
    name: str,
    description: str,
    category_id: int | None,
    is_published: bool,
    variants: list[VariantInput],
    product: Product | None = None,
    photos: Sequence = (),
) -> Product:
    """Create or change a product with its variants, and add ``photos`` (uploads), in one
    go: all or nothing. A photo Merdeka cannot use refuses the whole save, naming the file,
    and nothing is written: no product, no variant, no photo file.

    The photos are checked and re-encoded (``merdeka.catalog.photos``) before the
    transaction, so that decoding them never holds the database's write lock; their files
    are removed again if anything after that fails."""
    uploads = list(photos)
    with shop_scope(shop):
        had = ProductPhoto.objects.filter(shop=shop, product=product).count() if product else 0
    if had + len(uploads) > MAX_PHOTOS:
        raise ServiceError(_("A product can have at most 8 photos."))
    stored = []
    try:
        for upload in uploads:
            try:
                stored.append(photos_store.store(shop_id=shop.pk, upload=upload))
            except ServiceError as exc:
                raise ServiceError(
                    _("Nothing was saved: the photo %(name)s cannot be used. %(problem)s")
                    % {"name": _upload_name(upload), "problem": exc}
                ) from None
        with transaction.atomic():
            product = _product_write(
                shop=shop,
                name=name,
                description=description,
                category_id=category_id,
                is_published=is_published,
                variants=variants,
                product=product,
            )
            with shop_scope(shop):
                for position, photo in enumerate(stored, start=had):
                    ProductPhoto.objects.create(
                        shop=shop,
                        product=product,
                        key=photo.key,
                        width=photo.width,
                        height=photo.height,
                        widths=photo.widths,
                        position=position,
                    )
    except BaseException:
        for photo in stored:
            photos_store.remove(shop_id=shop.pk, key=photo.key, widths=photo.widths)
        raise
    return product


def _upload_name(upload) -> str:
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return f"“{name[:80]}”" if name else _("you chose")


def _product_write(
    *,
    shop,
    name: str,
    description: str,
    category_id: int | None,
    is_published: bool,
    variants: list[VariantInput],
    product: Product | None,
) -> Product:
    with shop_scope(shop):
        kept = [v for v in variants if not v.delete]
        if not kept:
            raise ServiceError(_("A product needs at least one variant with a price."))
        labels = [(v.size.strip().casefold(), v.flavour.strip().casefold()) for v in kept]
        if len(set(labels)) != len(labels):
            raise ServiceError(_("Two variants have the same size and flavour."))
        skus = [v.sku.strip() for v in kept if v.sku.strip()]
        if len(set(skus)) != len(skus):
            raise ServiceError(_("Two variants have the same SKU."))
        category = None
        if category_id:
            category = Category.objects.filter(shop=shop, pk=category_id).first()
            if category is None:
                raise ServiceError(_("Choose a category of this shop."))
        is_new = product is None
        product = product or Product(shop=shop)
        product.name = name.strip()
        product.description = description.strip()
        product.category = category
        product.is_published = is_published
        if is_new or not product.slug:
            product.slug = _unique_slug(Product, shop, product.name)
        product.save()
        existing = {v.pk: v for v in Variant.objects.filter(shop=shop, product=product)}
        for position, row in enumerate(variants):
            variant = existing.get(row.pk) if row.pk else None
            if row.pk and variant is None:
                raise ServiceError(_("A variant of another product was sent; reload the page."))
            if row.delete:
                if variant is not None:
                    variant.is_active = False  # orders keep pointing at it
                    variant.sku = ""
                    variant.save(update_fields=["is_active", "sku"])
                continue
            variant = variant or Variant(shop=shop, product=product)
            variant.size, variant.flavour = row.size.strip(), row.flavour.strip()
            variant.sku, variant.price = row.sku.strip(), row.price
            variant.weight_grams, variant.track_stock = row.weight_grams, row.track_stock
            if row.low_stock_threshold is not None:
                variant.low_stock_threshold = row.low_stock_threshold
            variant.position, variant.is_active = position, True
            try:
                with transaction.atomic():
                    variant.save()
            except IntegrityError:
                raise ServiceError(
                    _("The SKU %(sku)s is already used by another product.") % {"sku": row.sku}
                ) from None
        catalog_changed(shop_id=shop.pk)
        return product


def _level(shop, variant_id: int, location_id: int) -> StockLevel:
    with owning(STOCK):
        level, _created = StockLevel.objects.get_or_create(
            shop=shop, variant_id=variant_id, location_id=location_id
        )
    return level


@transaction.atomic
def stock_adjust(
    *,
    shop,
    variant: Variant,
    location: StockLocation,
    on_hand: int | None = None,
    change: int | None = None,
    reason: str = StockMove.Reason.ADJUSTMENT,
    note: str = "",
    actor=None,
) -> StockLevel:
    """Set the count in a location (``on_hand``) or add to it (``change``), logged.

    Refused when the new count would fall below what is already promised to orders.
    """
    if (on_hand is None) == (change is None):
        raise ValueError("give on_hand or change")
    with shop_scope(shop), owning(STOCK):
        if variant.shop_id != shop.pk or location.shop_id != shop.pk:
            raise ServiceError(_("That stock belongs to another shop."))
        _level(shop, variant.pk, location.pk)
        level = StockLevel.objects.select_for_update().get(
            shop=shop, variant=variant, location=location
        )
        new = on_hand if on_hand is not None else level.on_hand + change
        if new < level.reserved:
            raise ServiceError(
                _(
                    "%(product)s: %(reserved)s are already ordered, so the stock in "
                    "%(location)s cannot be less than that."
                )
                % {"product": variant, "reserved": level.reserved, "location": location}
            )
        delta = new - level.on_hand
        if delta == 0:
            return level
        _on_hand_move(shop, variant, level, delta, reason=reason, note=note, actor=actor)
        return level


def _on_hand_move(
    shop,
    variant,
    level,
    delta,
    *,
    reason,
    note="",
    actor=None,
    unit_cost=None,
    key=None,
    paid_from=None,
) -> StockMove:
    """Move the locked ``level``'s units on hand by ``delta``, the variant's cost with
    them, and log it (inside ``owning(STOCK)`` and a transaction)."""
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + delta)
    level.refresh_from_db()
    moved = _cost_move(shop, variant.pk, delta, unit_cost=unit_cost)
    move = StockMove.objects.create(
        shop=shop,
        variant=variant,
        location_id=level.location_id,
        reason=reason,
        on_hand_change=delta,
        on_hand_after=level.on_hand,
        reserved_after=level.reserved,
        value_change=moved.value_change,
        cost_missing=moved.missing,
        unit_cost=unit_cost,
        key=key,
        note=note[:200],
        actor=actor if actor is not None and actor.pk else None,
    )
    _valued(shop, move, paid_from=paid_from)
    product_touch(variant.product_id)
    stock_low_check(shop=shop, variant_ids=[variant.pk], fell=delta < 0)
    return move


def _valued(shop, move: StockMove, *, paid_from=None) -> None:
    """Tell the books the stock's value moved (an order's goods excepted: see
    ``STOCK_VALUED``)."""
    if move.value_change:
        emit(
            STOCK_VALUED,
            shop_id=shop.pk,
            move_id=move.pk,
            variant_id=move.variant_id,
            reason=move.reason,
            value_change=move.value_change,
            paid_from=paid_from,
        )


def _cost_locked(shop, variant_id: int, *, create: bool) -> StockCost | None:
    if create:
        StockCost.objects.get_or_create(shop=shop, variant_id=variant_id)
    return StockCost.objects.select_for_update().filter(shop=shop, variant_id=variant_id).first()


def _on_hand_total(shop, variant_id: int) -> int:
    return (
        StockLevel.objects.filter(shop=shop, variant_id=variant_id).aggregate(n=Sum("on_hand"))["n"]
        or 0
    )


def _cost_move(shop, variant_id: int, delta: int, *, unit_cost=None):
    """Move the variant's cost by a change of ``delta`` units on hand that has just
    been written (``merdeka.catalog.costing``); the cost row is locked, so the moving
    average follows the moves in the order they commit."""
    cost = _cost_locked(shop, variant_id, create=unit_cost is not None)
    moved = value_moved(
        quantity=cost.quantity if cost else 0,
        value=cost.value if cost else 0,
        on_hand_before=_on_hand_total(shop, variant_id) - delta,
        delta=delta,
        unit_cost=unit_cost,
    )
    if cost is not None and (moved.value_change or moved.quantity_change):
        StockCost.objects.filter(pk=cost.pk).update(
            quantity=F("quantity") + moved.quantity_change, value=F("value") + moved.value_change
        )
    return moved


def _whole(value, *, most: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
        raise ServiceError(_("Write %(what)s as a whole number above 0.") % {"what": what})
    return value


@transaction.atomic
def stock_purchase(
    *,
    shop,
    variant: Variant,
    location: StockLocation,
    quantity: int,
    unit_cost: int,
    paid_from: int | None = None,
    key: str | None = None,
    note: str = "",
    actor=None,
) -> StockMove:
    """Stock bought: ``quantity`` units at ``unit_cost`` rupiah each come into
    ``location``, and the variant's moving average cost takes them in. ``paid_from``
    is the books' account the money left (None: not paid yet, a payable); the books
    post it inline (``STOCK_VALUED``). ``key`` (the form's) makes a double tap buy
    once. The suppliers' purchase orders receive through here too."""
    quantity = _whole(quantity, most=MAX_UNITS, what=_("the quantity"))
    unit_cost = _whole(unit_cost, most=MAX_UNIT_COST, what=_("the price per unit"))
    with shop_scope(shop), owning(STOCK):
        if variant.shop_id != shop.pk or location.shop_id != shop.pk:
            raise ServiceError(_("That stock belongs to another shop."))
        if key:
            done = StockMove.objects.filter(shop=shop, key=key[:40]).first()
            if done is not None:
                return done
        if not variant.track_stock:
            raise ServiceError(
                _("Stock is not counted for %(product)s: turn on counting stock first.")
                % {"product": variant}
            )
        _level(shop, variant.pk, location.pk)
        level = StockLevel.objects.select_for_update().get(
            shop=shop, variant=variant, location=location
        )
        return _on_hand_move(
            shop,
            variant,
            level,
            quantity,
            reason=StockMove.Reason.PURCHASE,
            note=note,
            actor=actor,
            unit_cost=unit_cost,
            key=key[:40] if key else None,
            paid_from=paid_from,
        )


@transaction.atomic
def stock_opening_value(*, shop, variant: Variant, unit_cost: int, actor=None) -> StockMove:
    """The opening stock value: the units of ``variant`` on hand that have no cost yet
    (counted before Merdeka knew what they cost) are worth ``unit_cost`` each. The books
    take them in against the owner's capital. Refused when every unit has a cost."""
    unit_cost = _whole(unit_cost, most=MAX_UNIT_COST, what=_("the cost per unit"))
    with shop_scope(shop), owning(STOCK):
        if variant.shop_id != shop.pk:
            raise ServiceError(_("That stock belongs to another shop."))
        cost = _cost_locked(shop, variant.pk, create=True)
        units = _on_hand_total(shop, variant.pk) - cost.quantity
        if units <= 0:
            raise ServiceError(
                _("Every unit of %(product)s in stock has a cost already.") % {"product": variant}
            )
        value = units * unit_cost
        StockCost.objects.filter(pk=cost.pk).update(
            quantity=F("quantity") + units, value=F("value") + value
        )
        location = location_default(shop=shop)
        level = StockLevel.objects.filter(shop=shop, variant=variant, location=location).first()
        move = StockMove.objects.create(
            shop=shop,
            variant=variant,
            location=location,
            reason=StockMove.Reason.OPENING_VALUE,
            on_hand_after=level.on_hand if level else 0,
            reserved_after=level.reserved if level else 0,
            value_change=value,
            unit_cost=unit_cost,
            note=_("%(units)s units at %(cost)s") % {"units": units, "cost": unit_cost},
            actor=actor if actor is not None and actor.pk else None,
        )
        _valued(shop, move)
        return move


@transaction.atomic
def stock_count(
    *, shop, location: StockLocation, counts: dict[int, int], note: str = "", actor=None
) -> list[StockMove]:
    """Stok opname: the units counted in ``location`` (``variant id -> units``) become
    its stock; each difference is a move at the moving average cost, which the books
    post as a stock difference. All or nothing."""
    with shop_scope(shop), owning(STOCK):
        if location.shop_id != shop.pk:
            raise ServiceError(_("That stock belongs to another shop."))
        variants = {
            v.pk: v
            for v in Variant.objects.filter(shop=shop, pk__in=list(counts), track_stock=True)
        }
        moves = []
        for variant_id, counted in sorted(counts.items()):
            variant = variants.get(variant_id)
            if variant is None:
                raise ServiceError(_("That stock belongs to another shop."))
            if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
                raise ServiceError(
                    _("%(product)s: write the units counted as a whole number.")
                    % {"product": variant}
                )
            _level(shop, variant.pk, location.pk)
            level = StockLevel.objects.select_for_update().get(
                shop=shop, variant=variant, location=location
            )
            if counted < level.reserved:
                raise ServiceError(
                    _(
                        "%(product)s: %(reserved)s are already ordered, so the stock in "
                        "%(location)s cannot be less than that."
                    )
                    % {"product": variant, "reserved": level.reserved, "location": location}
                )
            if counted == level.on_hand:
                continue
            moves.append(
                _on_hand_move(
                    shop,
                    variant,
                    level,
                    counted - level.on_hand,
                    reason=StockMove.Reason.COUNT,
                    note=note or _("Stock count"),
                    actor=actor,
                )
            )
        return moves


def stock_reserve(*, shop, variant: Variant, quantity: int, order=None) -> StockLocation | None:
    """Promise ``quantity`` of ``variant`` to an order, from one location that has it.

    One conditional UPDATE per candidate location (``reserved = reserved + q WHERE
    on_hand - reserved >= q``): two buyers racing for the last item cannot both win,
    on SQLite or on PostgreSQL. Returns the location, or None for a variant whose stock
    is not counted. Raises ``StockShortage``; call it inside the order's transaction.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    if not variant.track_stock:
        return None
    with shop_scope(shop), owning(STOCK):
        reserved = _reserve_first(shop.pk, variant.pk, quantity)
        if reserved is not None:
            level_id, location_id, on_hand, reserved_now = reserved
            StockMove.objects.create(
                shop=shop,
                variant=variant,
                location_id=location_id,
                reason=StockMove.Reason.ORDER,
                reserved_change=quantity,
                on_hand_after=on_hand,
                reserved_after=reserved_now,
                order=order,
            )
            return StockLocation(pk=location_id, shop=shop)
        # none reserved in one statement (none had enough, a race took the chosen row
        # meanwhile, or no RETURNING on this SQLite): try each location in turn
        candidates = list(
            StockLevel.objects.filter(
                shop=shop, variant=variant, location__sells_online=True
            ).order_by("-location__is_default", "location_id")
            .values_list("pk", "location_id")
        )  # fmt: skip
        for level_id, location_id in candidates:
            updated = StockLevel.objects.filter(
                pk=level_id, shop=shop, on_hand__gte=F("reserved") + quantity
            ).update(reserved=F("reserved") + quantity)
            if updated:
                on_hand, reserved = StockLevel.objects.filter(pk=level_id).values_list(
                    "on_hand", "reserved"
                )[0]
                StockMove.objects.create(
                    shop=shop,
                    variant=variant,
                    location_id=location_id,
                    reason=StockMove.Reason.ORDER,
                    reserved_change=quantity,
                    on_hand_after=on_hand,
                    reserved_after=reserved,
                    order=order,
                )
                return StockLocation(pk=location_id, shop=shop)
        raise stock_shortage(
            variant=variant, available=variant_available(shop=shop, variant_id=variant.pk)
        )


def _reserve_first(shop_id: int, variant_id: int, quantity: int) -> tuple | None:
    """Reserve at the first location (default first) that has ``quantity``, in one
    statement: ``(level id, location id, on_hand, reserved)`` after it, or None.

    The location is chosen by a subquery and the UPDATE re-checks ``on_hand - reserved
    >= quantity`` on the row it writes (on PostgreSQL, on the row's newest version after
    waiting for its lock), so it can never oversell; when a race empties the chosen row
    first it updates nothing and the caller tries each location."""
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        return None  # no UPDATE ... RETURNING before SQLite 3.35
    if connection.vendor not in ("sqlite", "postgresql"):
        return None
    level, location = StockLevel._meta.db_table, StockLocation._meta.db_table
    sql = f"""
        UPDATE "{level}" SET "reserved" = "reserved" + %s
        WHERE "id" = (
            SELECT l."id" FROM "{level}" l JOIN "{location}" c ON c."id" = l."location_id"
            WHERE l."shop_id" = %s AND l."variant_id" = %s AND c."sells_online" = %s
              AND l."on_hand" - l."reserved" >= %s
            ORDER BY c."is_default" DESC, l."location_id" LIMIT 1
        ) AND "shop_id" = %s AND "on_hand" >= "reserved" + %s
        RETURNING "id", "location_id", "on_hand", "reserved"
    """  # noqa: S608 - our own table names
    params = [quantity, shop_id, variant_id, True, quantity, shop_id, quantity]
    with rawsql.cursor() as cursor:
        return rawsql.fetchone(cursor, sql, params, shop_id=shop_id)


def stock_shortage(*, variant: Variant, available: int) -> StockShortage:
    """The refusal of a line for want of stock, naming the product and what is left."""
    available = max(0, available)
    name = str(variant)
    if available:
        message = _("Only %(available)s of %(product)s left. Lower the quantity in your cart.") % {
            "available": available,
            "product": name,
        }
    else:
        message = _("%(product)s is sold out. Remove it from your cart.") % {"product": name}
    return StockShortage(message, variant_id=variant.pk, available=available)


def stock_release(*, shop, variant_id: int, location_id: int, quantity: int, order=None) -> None:
    """Give back stock an order had reserved (the order was cancelled)."""
    _reserved_change(
        shop, variant_id, location_id, -quantity, 0, StockMove.Reason.ORDER_CANCELLED, order
    )


def stock_ship(*, shop, variant_id: int, location_id: int, quantity: int, order=None) -> None:
    """Reserved stock leaves the building: both counts go down."""
    _reserved_change(
        shop, variant_id, location_id, -quantity, -quantity, StockMove.Reason.ORDER_SENT, order
    )


def _reserved_change(shop, variant_id, location_id, reserved, on_hand, reason, order) -> None:
    with transaction.atomic(), shop_scope(shop), owning(STOCK):
        updated = StockLevel.objects.filter(
            shop=shop,
            variant_id=variant_id,
            location_id=location_id,
            reserved__gte=-reserved,
        ).update(reserved=F("reserved") + reserved, on_hand=F("on_hand") + on_hand)
        if not updated:
            raise ServiceError(_("That stock was not reserved."))
        level = StockLevel.objects.get(shop=shop, variant_id=variant_id, location_id=location_id)
        # what the goods that left cost (the books post it when the order is delivered)
        moved = _cost_move(shop, variant_id, on_hand)
        StockMove.objects.create(
            shop=shop,
            variant_id=variant_id,
            location_id=location_id,
            reason=reason,
            on_hand_change=on_hand,
            reserved_change=reserved,
            on_hand_after=level.on_hand,
            reserved_after=level.reserved,
            value_change=moved.value_change,
            cost_missing=moved.missing,
            order_id=getattr(order, "pk", order),  # an Order or its id
        )


def stock_low_check(*, shop, variant_ids, fell: bool = True) -> list[LowStockAlert]:
    """Raise the low-stock alert of each variant whose available stock (on hand minus
    reserved, in every location) is below its threshold and has no open alert yet, and
    announce it as ``stock.low`` (the owners are mailed through the outbox); clear the
    open alert of each that is back at its threshold, so that its next fall tells again.
    One alert per fall, however many orders follow; a check after stock only rose
    (``fell=False``: a count went up, an order was cancelled) only clears. Called by
    ``stock_adjust`` in its
    transaction, and after orders are placed or cancelled by the outbox subscriber
    ``catalog.low_stock`` (never inside a checkout's transaction: it stays fast).
    Returns the alerts raised."""
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    with transaction.atomic(), shop_scope(shop):
        thresholds = dict(
            Variant.objects.filter(
                shop=shop, pk__in=ids, track_stock=True, is_active=True, low_stock_threshold__gt=0
            ).values_list("pk", "low_stock_threshold")
        )
        if not thresholds:
            return []
        available = dict(
            StockLevel.objects.filter(shop=shop, variant_id__in=list(thresholds))
            .values("variant_id")
            .annotate(available=Sum(F("on_hand") - F("reserved")))
            .values_list("variant_id", "available")
        )
        open_alerts = dict(
            LowStockAlert.objects.filter(
                shop=shop, variant_id__in=list(thresholds), cleared_at__isnull=True
            ).values_list("variant_id", "pk")
        )
        now = timezone.now()
        back = [
            open_alerts[pk]
            for pk, threshold in thresholds.items()
            if pk in open_alerts and available.get(pk, 0) >= threshold
        ]
        if back:
            LowStockAlert.objects.filter(shop=shop, pk__in=back).update(cleared_at=now)
        raised = []
        for pk, threshold in thresholds.items():
            left = available.get(pk, 0)
            if not fell or pk in open_alerts or left >= threshold:
                continue
            try:
                with transaction.atomic():  # a concurrent check may have raised it already
                    alert = LowStockAlert.objects.create(
                        shop=shop, variant_id=pk, threshold=threshold, available=left, raised_at=now
                    )
            except IntegrityError:
                continue
            emit(
                STOCK_LOW,
                shop_id=shop.pk,
                variant_id=pk,
                alert_id=alert.pk,
                available=left,
                threshold=threshold,
            )
            raised.append(alert)
        return raised


def stock_settle_orders(*, shop, order_ids, ship: bool) -> dict[int, int]:
    """Ship (``ship=True``) or give back everything the stock ledger still holds for
    these orders; returns ``order id -> units`` settled. Read from the ledger inside
    the caller's transaction, so settling twice moves nothing the second time."""
    settle = stock_ship if ship else stock_release
    settled: dict[int, int] = {}
    held = stock_held_for_orders(shop=shop, order_ids=order_ids)
    for order_id, rows in held.items():
        for variant_id, location_id, quantity in rows:
            settle(
                shop=shop,
                variant_id=variant_id,
                location_id=location_id,
                quantity=quantity,
                order=order_id,
            )
            settled[order_id] = settled.get(order_id, 0) + quantity
    return settled


def variant_available(*, shop, variant_id: int) -> int:
    from django.db.models import Sum

    with shop_scope(shop):
        totals = StockLevel.objects.filter(
            shop=shop, variant_id=variant_id, location__sells_online=True
        ).aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    return (totals["on_hand"] or 0) - (totals["reserved"] or 0)
