"""Photos of receipts in, readings out.

* ``receipts_upload`` - every photo is checked and re-encoded *before* anything is
  written (one bad file: nothing of the upload is kept, and the message names the file);
  then the receipts are stored encrypted and each is queued for the task worker.
* ``receipt_process`` - the worker's part: the reader (``merdeka.receipts.reader``) reads
  the photo; what it read goes into the receipt and its items, known item names of that
  store are mapped as she mapped them before, and the receipt waits for her: ``review``
  when the reader was unsure or the lines do not add up to the total, else ``ready``.
  Either way nothing is booked until she confirms it.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from merdeka.books.chart import accounts_by_key
from merdeka.books.expenses import quick_choices
from merdeka.catalog import photos
from merdeka.catalog.models import Variant
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.receipts import reader
from merdeka.receipts.models import ItemMapping, Receipt, ReceiptItem
from merdeka.receipts.names import best_variant, item_key, store_key
from merdeka.receipts.tasks import read_receipt

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
MAX_SIDE = 2000  # a huge photo is scaled down to this; enough for the reader
QUALITY = 85
DEFAULT_CATEGORY = "expense:raw_materials"  # what a seller's receipts mostly are


class UploadError(ServiceError):
    """A photo of the upload cannot be taken (what is wrong, in her language)."""


@dataclass(frozen=True)
class Photo:
    base64: str
    width: int
    height: int


def photo_encode(upload) -> Photo:
    """The photo cleaned (pixels only, upright, at most 2000 px a side) as WebP."""
    name = getattr(upload, "name", "") or _("the photo")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise UploadError(
            _("%(name)s is larger than 10 MB. Send a smaller photo.") % {"name": name}
        )
    try:
        image = photos.open_checked(upload)
    except ServiceError as exc:
        raise UploadError(f"{name}: {exc}") from None
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=QUALITY, method=4)
    return Photo(base64.b64encode(out.getvalue()).decode("ascii"), clean.width, clean.height)


def receipts_upload(*, shop, files: list, actor=None) -> list[Receipt]:
    """Keep the photos and queue them for reading; ``UploadError`` and nothing kept
    when one of them cannot be taken."""
    if not files:
        raise UploadError(_("Choose a photo of a receipt first."))
    if len(files) > MAX_FILES:
        raise UploadError(_("Send at most 20 photos at a time."))
    encoded = [photo_encode(upload) for upload in files]
    created = []
    with transaction.atomic(), shop_scope(shop):
        for photo in encoded:
            receipt = Receipt(
                shop=shop,
                photo=photo.base64,
                width=photo.width,
                height=photo.height,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            receipt.save()
            created.append(receipt)
            transaction.on_commit(partial(read_receipt.enqueue, receipt_id=receipt.pk))
    return created


def receipt_photo(*, shop, receipt_id: int) -> bytes:
    """The receipt's WebP bytes while it holds them; ``Receipt.DoesNotExist`` otherwise."""
    with shop_scope(shop):
        receipt = Receipt.objects.get(shop=shop, pk=receipt_id)
        if not receipt.photo:
            raise Receipt.DoesNotExist
        return base64.b64decode(str(receipt.photo).encode("ascii"))


def reading_apply(*, receipt: Receipt, reading: reader.Reading) -> Receipt:
    """What the reader found, written into the receipt (within its shop's scope) and
    mapped the way she mapped this store's items before."""
    shop = receipt.shop
    skey = store_key(reading.store)
    learned = {m.item_key: m for m in ItemMapping.objects.filter(shop=shop, store_key=skey) if skey}
    ReceiptItem.objects.filter(shop=shop, receipt=receipt).delete()
    variants = variant_keys(shop)
    items = []
    for position, read in enumerate(reading.items):
        key = item_key(read.name)
        mapping = learned.get(key)
        guessed = None if mapping else best_variant(key, variants)
        items.append(
            ReceiptItem(
                shop=shop,
                receipt=receipt,
                position=position,
                name=read.name[:120],
                key=key,
                qty=read.qty,
                unit_price=read.unit_price,
                total=read.total,
                confidence=read.confidence,
                variant_id=mapping.variant_id if mapping else guessed,
                ingredient=mapping.ingredient if mapping else "",
            )
        )
    ReceiptItem.objects.bulk_create(items)
    receipt.store = reading.store[:120]
    receipt.store_key = skey
    receipt.date = reading.date
    receipt.discount = reading.discount
    receipt.tax = reading.tax
    receipt.total = reading.total
    receipt.payment = (reading.payment or "")[:40]
    reasons = list(reading.reasons)
    if not adds_up(receipt, items):
        reasons.append(_("The items do not add up to the total."))
    if reading.total is None:
        reasons.append(_("The total could not be read."))
    receipt.reasons = reasons
    if receipt.paid_from_id is None:  # where her last expense came from, else cash
        receipt.paid_from_id = quick_choices(shop=shop, user=receipt.uploaded_by).paid_from_id
    if receipt.category_id is None:
        receipt.category_id = accounts_by_key(shop=shop, keys=[DEFAULT_CATEGORY])[DEFAULT_CATEGORY]
    doubtful = reading.needs_review or bool(reasons) or not items
    receipt.status = Receipt.Status.REVIEW if doubtful else Receipt.Status.READY
    receipt.error = ""
    receipt.save()
    return receipt


def variant_keys(shop) -> dict[str, int]:
    """Her variants by the key of their full name, and of the product's name when it
    has only one variant (what a store prints is the product's name)."""
    keys: dict[str, int] = {}
    per_product: dict[int, list] = {}
    for variant in Variant.objects.filter(
        shop=shop, track_stock=True, is_active=True
    ).select_related("product"):
        keys.setdefault(item_key(str(variant)), variant.pk)
        per_product.setdefault(variant.product_id, []).append(variant)
    for variants in per_product.values():
        if len(variants) == 1:
            keys.setdefault(item_key(variants[0].product.name), variants[0].pk)
    return keys


def adds_up(receipt: Receipt, items) -> bool:
    """The lines, less the discount, plus the tax, make the total."""
    if receipt.total is None:
        return False
    lines = sum(item.total for item in items)
    return lines - receipt.discount + receipt.tax == receipt.total or (
        receipt.tax and lines - receipt.discount == receipt.total  # prices with tax in them
    )


def receipt_process(*, receipt_id: int) -> None:
    """Read one receipt (the task worker's job). A receipt read already is left alone."""
    receipt = Receipt.unscoped.select_related("shop").filter(pk=receipt_id).first()
    if receipt is None or receipt.status not in (Receipt.Status.QUEUED, Receipt.Status.READING):
        return
    shop = receipt.shop
    with shop_scope(shop):
        Receipt.objects.filter(shop=shop, pk=receipt.pk).update(status=Receipt.Status.READING)
        data = base64.b64decode(str(receipt.photo).encode("ascii"))
    try:
        reading = reader.receipt_read(data)
    except reader.UnreadableImage:
        return _fail(shop, receipt, _("This photo cannot be read as a receipt."))
    except NotImplementedError:
        return _fail(shop, receipt, _("The receipt reader is not installed on this server."))
    except Exception:  # the reader's own bug: the receipt says so, the worker goes on
        log.exception("receipt %s could not be read", receipt.pk)
        return _fail(shop, receipt, _("Something went wrong while reading this photo."))
    with transaction.atomic(), shop_scope(shop):
        receipt = Receipt.objects.select_for_update().get(shop=shop, pk=receipt.pk)
        if receipt.status == Receipt.Status.READING:
            reading_apply(receipt=receipt, reading=reading)


def _fail(shop, receipt: Receipt, message: str) -> None:
    with shop_scope(shop):
        Receipt.objects.filter(shop=shop, pk=receipt.pk).update(
            status=Receipt.Status.FAILED, error=message
        )


def progress(*, shop, limit: int = 50) -> dict:
    """Her latest receipts and how many are still being read."""
    with shop_scope(shop):
        receipts = list(
            Receipt.objects.filter(shop=shop)
            .exclude(status=Receipt.Status.BOOKED)
            .defer("photo")
            .order_by("-pk")[:limit]
        )
    waiting = sum(r.status in (Receipt.Status.QUEUED, Receipt.Status.READING) for r in receipts)
    to_confirm = sum(r.status in (Receipt.Status.REVIEW, Receipt.Status.READY) for r in receipts)
    return {"receipts": receipts, "waiting": waiting, "to_confirm": to_confirm}
