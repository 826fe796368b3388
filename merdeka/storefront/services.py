"""Writes of the storefront: its settings, payment details and shipping rates, and the
cart (kept in the buyer's session, never in the database)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from merdeka.catalog.cache import catalog_changed
from merdeka.core import regions
from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record
from merdeka.storefront import qris
from merdeka.storefront.models import ShippingRate, StorefrontSettings

RESERVED_SLUGS = {"admin", "static", "media", "api", "masuk", "keluar", "toko", "s"}
CART_SESSION_KEY = "merdeka_cart"
MAX_CART_QUANTITY = 999
MAX_CART_LINES = 50  # what one order takes (merdeka.orders.services.MAX_LINES)


def storefront_ensure(*, shop) -> StorefrontSettings:
    """The shop's storefront settings, created on first use at the shop's own slug."""
    with shop_scope(shop):
        found = StorefrontSettings.objects.filter(shop=shop).first()
        if found is not None:
            return found
        slug = shop.slug
        if StorefrontSettings.unscoped.filter(slug=slug).exists():
            slug = f"{slug}-{shop.pk}"
        return StorefrontSettings.objects.create(shop=shop, slug=slug)


def parse_accounts(text: str, *, what: str) -> list[dict]:
    """Lines ``Name | number | holder`` -> [{name, number, holder}], with line numbers
    in every complaint."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ServiceError(
                _("%(what)s, line %(line)s: write it as name | number | account holder.")
                % {"what": what, "line": number}
            )
        name, account, holder = parts
        digits = re.sub(r"[\s.\-]", "", account)
        if not digits.isdigit() or not 5 <= len(digits) <= 20:
            raise ServiceError(
                _("%(what)s, line %(line)s: %(number)s is not an account number.")
                % {"what": what, "line": number, "number": account}
            )
        found.append({"name": name[:40], "number": digits, "holder": holder[:60]})
    if len(found) > 10:
        raise ServiceError(_("%(what)s: at most 10 lines.") % {"what": what})
    return found


def accounts_text(accounts: list[dict]) -> str:
    return "\n".join(f"{a['name']} | {a['number']} | {a['holder']}" for a in accounts)


def _rupiah(text: str) -> Decimal | None:
    cleaned = re.sub(r"(?i)^rp\.?\s*", "", text.strip()).replace(".", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value >= 0 and value == value.to_integral_value() else None


def parse_rates(text: str) -> list[tuple[str, str, Decimal]]:
    """Lines ``Jawa Barat = 15000`` or ``Jawa Barat, Kota Bandung = 10000``."""
    found: dict[tuple[str, str], Decimal] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        area, sep, fee_text = line.rpartition("=")
        fee = _rupiah(fee_text) if sep else None
        if not sep or fee is None:
            raise ServiceError(
                _("Shipping rates, line %(line)s: write it as province[, city] = fee.")
                % {"line": number}
            )
        province_name, _comma, city_name = area.partition(",")
        province = regions.find(province_name.strip())
        if province is None:
            raise ServiceError(
                _("Shipping rates, line %(line)s: there is no province called %(name)s.")
                % {"line": number, "name": province_name.strip()}
            )
        city_code = ""
        if city_name.strip():
            city = regions.find(city_name.strip(), parent_code=province.code)
            if city is None:
                raise ServiceError(
                    _(
                        "Shipping rates, line %(line)s: %(name)s is not a regency or city in "
                        "%(province)s (write Kota … or Kabupaten …)."
                    )
                    % {"line": number, "name": city_name.strip(), "province": province.name}
                )
            city_code = city.code
        found[(province.code, city_code)] = fee
    return [(p, c, fee) for (p, c), fee in found.items()]


def rates_text(*, shop) -> str:
    with shop_scope(shop):
        rates = list(ShippingRate.objects.filter(shop=shop))
    lines = []
    for rate in rates:
        province = regions.region(rate.province_code)
        area = province.name if province else rate.province_code
        if rate.city_code:
            city = regions.region(rate.city_code)
            area += f", {city.name if city else rate.city_code}"
        lines.append(f"{area} = {int(rate.fee)}")
    return "\n".join(lines)


@transaction.atomic
def storefront_update(
    *,
    shop,
    actor,
    slug: str,
    is_open: bool,
    tagline: str,
    whatsapp: str,
    qris_text: str,
    banks_text: str,
    ewallets_text: str,
    pickup_enabled: bool,
    pickup_address: str,
    courier_enabled: bool,
    courier_flat_fee: Decimal | None,
    rates_text_value: str,
    cod_enabled: bool,
    request=None,
) -> StorefrontSettings:
    """Save the storefront settings; every part is checked first, nothing partial."""
    settings = storefront_ensure(shop=shop)
    slug = slugify(slug)[:60]
    if not slug or slug in RESERVED_SLUGS:
        raise ServiceError(_("Choose another address for the online shop."))
    if StorefrontSettings.unscoped.filter(slug=slug).exclude(pk=settings.pk).exists():
        raise ServiceError(
            _("The address %(slug)s is already used by another shop.") % {"slug": slug}
        )
    phone = ""
    if whatsapp.strip():
        phone = normalize_phone(whatsapp)
        if phone is None:
            raise ServiceError(_("The shop's WhatsApp number is not a valid phone number."))
    static = qris.static_parse(qris_text) if qris_text.strip() else None
    banks = parse_accounts(banks_text, what=_("Bank accounts"))
    wallets = parse_accounts(ewallets_text, what=_("E-wallets"))
    rates = parse_rates(rates_text_value)
    if pickup_enabled and not pickup_address.strip():
        raise ServiceError(_("Write the pick-up address, or turn pick-up off."))
    if not (pickup_enabled or courier_enabled or cod_enabled):
        raise ServiceError(_("Turn on at least one way for buyers to get their order."))
    if is_open and not (static or banks or wallets or cod_enabled):
        raise ServiceError(
            _("Add at least one way to pay (QRIS, a bank account, an e-wallet or COD).")
        )
    with shop_scope(shop):
        settings.slug = slug
        settings.is_open = is_open
        settings.tagline = tagline.strip()[:160]
        settings.whatsapp = phone
        settings.qris_payload = static.payload if static else ""
        settings.qris_merchant = static.merchant_name[:60] if static else ""
        settings.bank_accounts = banks
        settings.ewallets = wallets
        settings.pickup_enabled = pickup_enabled
        settings.pickup_address = pickup_address.strip()
        settings.courier_enabled = courier_enabled
        settings.courier_flat_fee = courier_flat_fee
        settings.cod_enabled = cod_enabled
        settings.save()
        ShippingRate.objects.filter(shop=shop).delete()
        ShippingRate.objects.bulk_create(
            [
                ShippingRate(shop=shop, province_code=p, city_code=c, fee=fee, position=i)
                for i, (p, c, fee) in enumerate(rates)
            ]
        )
    catalog_changed(shop_id=shop.pk)
    audit_record(
        action="storefront.updated",
        shop=shop,
        actor=actor,
        target=settings,
        request=request,
        detail={"slug": slug, "qris": bool(static), "open": is_open},
    )
    return settings


# -- the cart, in the session --------------------------------------------------------


def cart_get(session, shop) -> dict[str, int]:
    carts = session.get(CART_SESSION_KEY) or {}
    cart = carts.get(str(shop.pk)) or {}
    return {k: int(v) for k, v in cart.items() if str(k).isdigit() and int(v) > 0}


def cart_set(session, shop, variant_id: int, quantity: int) -> None:
    """Set a line's quantity (0 removes it). A product new to a full cart is refused
    with a ``ServiceError`` for the buyer; a cart that is already over the limit (kept
    from before it) may still be changed and emptied, and checkout says what is too much.
    """
    carts = dict(session.get(CART_SESSION_KEY) or {})
    cart = dict(carts.get(str(shop.pk)) or {})
    key = str(variant_id)
    if quantity <= 0:
        cart.pop(key, None)
    else:
        if key not in cart and len(cart) >= MAX_CART_LINES:
            raise ServiceError(_("A cart can hold at most 50 different products."))
        cart[key] = min(quantity, MAX_CART_QUANTITY)
    carts[str(shop.pk)] = cart
    session[CART_SESSION_KEY] = carts


def cart_update(session, shop, variant_id: int, quantity: int) -> None:
    """The cart page's change to one of its lines. A product that is not in the cart is
    left out: adding goes through ``cart_add``, after the view checked it is sold."""
    if str(variant_id) in cart_get(session, shop):
        cart_set(session, shop, variant_id, quantity)


def cart_add(session, shop, variant_id: int, quantity: int) -> None:
    cart_set(session, shop, variant_id, cart_get(session, shop).get(str(variant_id), 0) + quantity)


def cart_clear(session, shop) -> None:
    carts = dict(session.get(CART_SESSION_KEY) or {})
    carts.pop(str(shop.pk), None)
    session[CART_SESSION_KEY] = carts
