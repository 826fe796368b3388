"""A product's photos: added (checked, re-encoded, stored) and deleted, with the
product's page cache told. The files themselves are ``merdeka.catalog.photos``."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from merdeka.catalog import photos
from merdeka.catalog.models import Product, ProductPhoto
from merdeka.catalog.services import MAX_PHOTOS, product_touch
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError


@transaction.atomic
def photo_add(*, shop, product: Product, upload) -> ProductPhoto:
    with shop_scope(shop):
        if product.shop_id != shop.pk:
            raise ServiceError(_("That product belongs to another shop."))
        if ProductPhoto.objects.filter(shop=shop, product=product).count() >= MAX_PHOTOS:
            raise ServiceError(_("A product can have at most 8 photos."))
        position = ProductPhoto.objects.filter(shop=shop, product=product).count()
        stored = photos.store(shop_id=shop.pk, upload=upload)
        try:
            with transaction.atomic():
                photo = ProductPhoto.objects.create(
                    shop=shop,
                    product=product,
                    key=stored.key,
                    width=stored.width,
                    height=stored.height,
                    widths=stored.widths,
                    position=position,
                )
                product_touch(product.pk)
        except Exception:
            photos.remove(shop_id=shop.pk, key=stored.key, widths=stored.widths)
            raise
        return photo


@transaction.atomic
def photo_delete(*, shop, photo: ProductPhoto) -> None:
    with shop_scope(shop):
        key, widths, product_id = photo.key, list(photo.widths), photo.product_id
        photo.delete()
        product_touch(product_id)
    transaction.on_commit(lambda: photos.remove(shop_id=shop.pk, key=key, widths=widths))
