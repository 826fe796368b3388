"""Shops, people and roles. Every write goes through one of these functions."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from merdeka.core import twofactor
from merdeka.core.models import Membership, Role, Shop, User
from merdeka.core.scoping import shop_scope
from merdeka.core.text import clean_text
from merdeka.privacy.audit import audit_record
from merdeka.privacy.services import shop_keys_create


class ServiceError(Exception):
    """A rule was broken; the message is meant for the person who asked."""


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "toko"
    slug = base
    while Shop.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(4, 'abcdefghjkmnpqrstuvwxyz23456789')}"
    return slug


def temporary_password() -> str:
    """Readable enough to dictate over WhatsApp, strong enough to pass validation."""
    words = secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
    return f"{words[:4]}-{words[4:8]}-{words[8:12]}"


@transaction.atomic
def user_create(
    *, username: str, password: str | None = None, first_name: str = "", email: str = ""
) -> tuple[User, str | None]:
    """Create a person. Without a password one is generated and must be changed."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(
            _("The username %(username)s is already taken.") % {"username": username}
        )
    generated = None
    if password is None:
        generated = password = temporary_password()
    user = User(username=username, first_name=clean_text(first_name).strip(), email=email.strip())
    if generated is None:
        validate_password(password, user)
    user.set_password(password)
    user.must_change_password = generated is not None
    user.save()
    return user, generated


@transaction.atomic
def shop_create(
    *,
    name: str,
    owner: User,
    slug: str | None = None,
    time_zone: str = "Asia/Jakarta",
    actor: User | None = None,
) -> Shop:
    name = clean_text(name).strip()
    if not name:
        raise ServiceError(_("A shop needs a name."))
    slug = slugify(slug) if slug else unique_slug(name)
    if Shop.objects.filter(slug=slug).exists():
        raise ServiceError(_("The short name %(slug)s is already used.") % {"slug": slug})
    shop = Shop.objects.create(name=name, slug=slug, time_zone=time_zone)
    shop_keys_create(shop=shop)
    with shop_scope(shop):
        Membership.objects.create(shop=shop, user=owner, role=Role.OWNER)
    audit_record(action="shop.created", shop=shop, actor=actor or owner, target=shop)
    return shop


@transaction.atomic
def shop_update(
    *,
    shop: Shop,
    actor: User,
    name: str,
    time_zone: str,
    require_two_factor: bool | None = None,
    request=None,
) -> Shop:
    """Change the shop's settings. Requiring two-factor sign-in of everyone needs the
    owner who turns it on to have it first (they would be sent to set it up at once)."""
    detail = {"time_zone": time_zone}
    if require_two_factor is not None and require_two_factor != shop.require_two_factor:
        if require_two_factor and not twofactor.has_two_factor(actor):
            raise ServiceError(
                _("Turn on two-factor sign-in for yourself first (Security → Two-factor sign-in).")
            )
        shop.require_two_factor = require_two_factor
        detail["require_two_factor"] = require_two_factor
    shop.name = clean_text(name).strip()
    shop.time_zone = time_zone
    shop.save(update_fields=["name", "time_zone", "require_two_factor"])
    audit_record(
        action="shop.updated",
        shop=shop,
        actor=actor,
        target=shop,
        request=request,
        detail=detail,
    )
    return shop


@transaction.atomic
def staff_add(
    *,
    shop: Shop,
    actor: User,
    username: str,
    role: str,
    first_name: str = "",
    email: str = "",
    request=None,
) -> tuple[Membership, str | None]:
    """Add a person to the shop, creating their account if it does not exist yet.

    Returns the membership and, for a new account, its one-time password.
    """
    if role not in Role.values:
        raise ServiceError(_("Unknown role."))
    user = User.objects.filter(username__iexact=username.strip()).first()
    generated = None
    if user is None:
        user, generated = user_create(username=username, first_name=first_name, email=email)
    with shop_scope(shop):
        try:
            with transaction.atomic():
                membership = Membership.objects.create(shop=shop, user=user, role=role)
        except IntegrityError:
            raise ServiceError(
                _("%(username)s is already in this shop.") % {"username": user.username}
            ) from None
    audit_record(
        action="staff.added",
        shop=shop,
        actor=actor,
        target=user,
        request=request,
        detail={"role": role, "new_account": generated is not None},
    )
    return membership, generated


@transaction.atomic
def staff_remove(*, shop: Shop, actor: User, membership_id: int, request=None) -> None:
    with shop_scope(shop):
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.role == Role.OWNER:
            owners = Membership.objects.filter(role=Role.OWNER).count()
            if owners <= 1:
                raise ServiceError(_("A shop keeps at least one owner."))
        user = membership.user
        membership.delete()
    audit_record(
        action="staff.removed",
        shop=shop,
        actor=actor,
        target=user,
        request=request,
        detail={"role": membership.role},
    )


@transaction.atomic
def staff_set_role(
    *, shop: Shop, actor: User, membership_id: int, role: str, request=None
) -> Membership:
    if role not in Role.values:
        raise ServiceError(_("Unknown role."))
    with shop_scope(shop):
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        demoting_last_owner = (
            membership.role == Role.OWNER
            and role != Role.OWNER
            and Membership.objects.filter(role=Role.OWNER).count() <= 1
        )
        if demoting_last_owner:
            raise ServiceError(_("A shop keeps at least one owner."))
        membership.role = role
        membership.save(update_fields=["role"])
    audit_record(
        action="staff.role_changed",
        shop=shop,
        actor=actor,
        target=membership.user,
        request=request,
        detail={"role": role},
    )
    return membership


@transaction.atomic
def staff_export_set(*, shop: Shop, actor: User, allowed: bool, request=None) -> Shop:
    """Let the staff role export customers and orders (files with personal data), or
    keep exports an owner's right (the default)."""
    shop.staff_may_export = bool(allowed)
    shop.save(update_fields=["staff_may_export"])
    audit_record(
        action="shop.export_policy_changed",
        shop=shop,
        actor=actor,
        target=shop,
        request=request,
        detail={"staff_may_export": shop.staff_may_export},
    )
    return shop


def password_change(*, user: User, new_password: str, request=None) -> None:
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from None
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    shop = getattr(request, "shop", None) if request is not None else None
    audit_record(action="auth.password_changed", shop=shop, actor=user, request=request)


@transaction.atomic
def staff_password_reset(*, shop: Shop, actor: User, membership_id: int, request=None) -> str:
    """Give a team member a new one-time password (they forgot theirs).

    Refused when the person also belongs to a shop where ``actor`` is not an owner:
    an owner of one shop must never be able to take over an account used elsewhere.
    """
    with shop_scope(shop):
        membership = Membership.objects.select_related("user").get(pk=membership_id)
    user = membership.user
    if user.pk == actor.pk:
        raise ServiceError(_("Change your own password from the account menu."))
    their_shops = set(Membership.unscoped.filter(user=user).values_list("shop_id", flat=True))
    owned = set(
        Membership.unscoped.filter(user=actor, role=Role.OWNER).values_list("shop_id", flat=True)
    )
    if not their_shops <= owned:
        raise ServiceError(
            _(
                "%(username)s also works in another shop, so only they can change their "
                "password. An administrator can run: merdeka changepassword %(username)s"
            )
            % {"username": user.username}
        )
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        action="staff.password_reset", shop=shop, actor=actor, target=user, request=request
    )
    # a person who lost their password may have lost the phone too: the account starts
    # over, and sets up its second step again (at once, where the shop requires it)
    twofactor.two_factor_disable(user=user, actor=actor, request=request, shop=shop)
    return password
