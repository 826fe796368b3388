"""Group buying pages: the public ones under the storefront's slug (found by unguessable
tokens, in the storefront shop's scope) and the seller's dashboard (staff, own shop)."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from merdeka.catalog.models import Variant
from merdeka.core.addresses import public_address_context, public_url
from merdeka.core.confirm import confirmed, refuse_unconfirmed
from merdeka.core.decorators import shop_member
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.groupbuy import selectors, services
from merdeka.groupbuy.forms import (
    CONSENT_TEXT_VERSION,
    JoinForm,
    OfferForm,
    OpenForm,
    SellerOpenForm,
)
from merdeka.groupbuy.models import CloseReason, GroupStatus
from merdeka.groupbuy.tiers import tiers_text
from merdeka.privacy.audit import audit_record
from merdeka.storefront import selectors as storefront_selectors
from merdeka.storefront.public import page_context, public_storefront
from merdeka.storefront.tokens import form_renewed, token_issue, token_known


def _no_store(response):
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response


def share_url(storefront, group) -> str:
    return reverse("groupbuy_public", kwargs={"slug": storefront.slug, "token": group.share_token})


def coordinator_url(storefront, group) -> str:
    return reverse(
        "groupbuy_coordinator", kwargs={"slug": storefront.slug, "token": group.coordinator_token}
    )


def _share_text(request, storefront, group, progress) -> str:
    url = public_url(request, share_url(storefront, group))
    price = progress.price or progress.base_price
    text = _("Let's buy %(product)s together: %(price)s a piece now, cheaper as we grow.") % {
        "product": str(group.variant),
        "price": format_rupiah(price),
    }
    if progress.next_tier:
        text += " " + _("%(needed)s more pieces and everyone pays %(price)s.") % {
            "needed": progress.needed,
            "price": format_rupiah(progress.next_tier.price),
        }
    return f"{text}\n{url}"


def _progress_context(request, storefront, group):
    progress = services.group_progress(group)
    now = timezone.now()
    return {
        "group": group,
        "product": group.variant.product,
        "progress": progress,
        "time_left": group.deadline - now if group.deadline > now else None,
        "refusal": services.group_refusal(group, now),
        "share_link": public_url(request, share_url(storefront, group)),
        "wa_share": "https://wa.me/?text="
        + quote(_share_text(request, storefront, group, progress)),
        "photo": group.variant.product.photos.order_by("position", "id").first(),
    }


# -- public ---------------------------------------------------------------------------------


@public_storefront
def groupbuy_open(request, storefront, offer_id):
    shop = storefront.shop
    offer = selectors.offer_get(shop=shop, offer_id=offer_id)
    if offer is None or not offer.is_active or not offer.variant.product.is_published:
        raise Http404
    form = OpenForm(request.POST or None, max_days=offer.max_days)
    if request.method == "POST":
        token = request.POST.get("token", "")[:64]
        if not token_known(request, token):
            form = form_renewed(request, OpenForm, max_days=offer.max_days)
        elif not storefront.is_open:
            messages.error(request, _("This shop is not taking orders right now."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                group, _created = services.group_open(
                    shop=shop,
                    offer=offer,
                    days=data["days"],
                    key=data["token"],
                    coordinator_name=data["name"],
                    coordinator_phone=data["whatsapp"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Your group buy is open. Keep this page: its address is your private link."),
                )
                return redirect(coordinator_url(storefront, group))
    else:
        form = OpenForm(initial={"token": token_issue(request)}, max_days=offer.max_days)
    context = page_context(
        request,
        storefront,
        form=form,
        offer=offer,
        tiers=services.offer_tiers(offer),
        product=offer.variant.product,
    )
    return _no_store(render(request, "groupbuy/open.html", context))


@public_storefront
def groupbuy_public(request, storefront, token):
    """The page the share link opens: how far the group is, and the form to join."""
    shop = storefront.shop
    group = selectors.group_by_share_token(shop=shop, token=token)
    if group is None:
        raise Http404
    if request.method == "POST":
        form = JoinForm(request.POST, storefront=storefront)
        key = request.POST.get("token", "")[:64]
        repeated = services.member_by_key(shop, key) if key else None
        if repeated is not None and repeated.group_id == group.pk:  # a double tap
            return redirect(member_url(storefront, group, repeated))
        if not token_known(request, key):
            form = form_renewed(request, JoinForm, storefront=storefront)
        elif services.group_refusal(group):
            messages.error(request, services.group_refusal(group))
        elif not storefront.is_open:
            messages.error(request, _("This shop is not taking orders right now."))
        elif request.POST.get("step") == "regions":
            pass
        elif form.is_valid():
            buyer, fee = form.buyer_and_fee()
            if buyer is not None:
                data = form.cleaned_data
                try:
                    member, _created = services.group_join(
                        shop=shop,
                        group=group,
                        key=data["token"],
                        join=services.JoinRequest(
                            buyer=buyer,
                            quantity=data["quantity"],
                            delivery_method=data["delivery"],
                            payment_method=data["payment"],
                            shipping_fee=fee,
                            note=data.get("note") or "",
                        ),
                        consent_evidence={"text": CONSENT_TEXT_VERSION},
                    )
                except ServiceError as exc:
                    form.add_error(None, str(exc))
                else:
                    return redirect(member_url(storefront, group, member))
    else:
        form = JoinForm(storefront=storefront, initial={"token": token_issue(request)})
    context = page_context(
        request, storefront, form=form, **_progress_context(request, storefront, group)
    )
    return _no_store(render(request, "groupbuy/public.html", context))


def member_url(storefront, group, member) -> str:
    return reverse(
        "groupbuy_member",
        kwargs={
            "slug": storefront.slug,
            "token": group.share_token,
            "order_token": member.order.public_token,
        },
    )


@require_GET
@public_storefront
def groupbuy_member(request, storefront, token, order_token):
    """A member's own place in the group: what they pay now, or at close, and how."""
    shop = storefront.shop
    group = selectors.group_by_share_token(shop=shop, token=token)
    member = (
        selectors.member_by_order_token(shop=shop, group=group, token=order_token)
        if group
        else None
    )
    if member is None:
        raise Http404
    progress = services.group_progress(group)
    price_now = group.final_price or progress.price or progress.base_price
    context = page_context(
        request,
        storefront,
        member=member,
        order=member.order,
        price_now=price_now,
        pay_now=price_now * member.quantity + (member.order.shipping_fee or 0),
        **_progress_context(request, storefront, group),
    )
    return _no_store(render(request, "groupbuy/member.html", context))


@public_storefront
def groupbuy_coordinator(request, storefront, token):
    """The coordinator's private page: the same progress, members by first name, and
    closing or cancelling the group."""
    shop = storefront.shop
    group = selectors.group_by_coordinator_token(shop=shop, token=token)
    if group is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if not confirmed(request):
            refuse_unconfirmed(request)
        elif action == "close":
            done = services.group_close(
                shop=shop, group_id=group.pk, reason=CloseReason.COORDINATOR
            )
            if done is not None:
                messages.success(request, _("The group buy is closed. Members are told the price."))
        elif action == "cancel":
            done = services.group_cancel(shop=shop, group_id=group.pk)
            if done is not None:
                messages.success(request, _("The group buy is cancelled. Members are told."))
        return redirect(coordinator_url(storefront, group))
    rows = [
        (selectors.first_name(m.order.recipient_name), m.quantity)
        for m in selectors.members(shop=shop, group=group)
    ]
    context = page_context(
        request, storefront, rows=rows, **_progress_context(request, storefront, group)
    )
    return _no_store(render(request, "groupbuy/coordinator.html", context))


# -- the seller -----------------------------------------------------------------------------


@shop_member
def groupbuy_list(request):
    shop = request.shop
    groups = selectors.groups(shop=shop)
    rows = [(group, services.group_progress(group)) for group in groups]
    offers = [
        (offer, tiers_text(services.offer_tiers(offer))) for offer in selectors.offers(shop=shop)
    ]
    return render(
        request,
        "groupbuy/list.html",
        {
            "rows": rows,
            "offers": offers,
            "storefront": storefront_selectors.storefront_for(shop=shop),
        },
    )


def _variants(shop):
    with shop_scope(shop):
        return list(
            Variant.objects.filter(shop=shop, is_active=True)
            .select_related("product")
            .order_by("product__name", "position", "id")
        )


def _offer_form(request, offer=None):
    shop = request.shop
    variants = _variants(shop)
    initial = {"is_active": True, "max_days": 7}
    if offer is not None:
        initial = {
            "variant": offer.variant_id,
            "tiers": tiers_text(services.offer_tiers(offer)),
            "max_days": offer.max_days,
            "is_active": offer.is_active,
        }
    form = OfferForm(request.POST or None, variants=variants, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        variant = next(v for v in variants if v.pk == data["variant"])
        if offer is not None:
            variant = offer.variant  # the product of an offer stays
        try:
            services.offer_save(
                shop=shop,
                actor=request.user,
                variant=variant,
                tiers=data["tiers"],
                max_days=data["max_days"],
                is_active=data["is_active"],
                offer=offer,
                request=request,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Group buy offer saved."))
            return redirect("groupbuy_list")
    if offer is not None:
        form.fields["variant"].disabled = True
    return render(request, "groupbuy/offer_form.html", {"form": form, "offer": offer})


@shop_member
def groupbuy_offer_add(request):
    return _offer_form(request)


@shop_member
def groupbuy_offer_edit(request, offer_id: int):
    offer = selectors.offer_get(shop=request.shop, offer_id=offer_id)
    if offer is None:
        raise Http404
    return _offer_form(request, offer)


@shop_member
def groupbuy_seller_open(request):
    """The seller opens a group herself, to share in her own WhatsApp groups."""
    shop = request.shop
    storefront = storefront_selectors.storefront_for(shop=shop)
    offers = [o for o in selectors.offers(shop=shop) if o.is_active]
    form = SellerOpenForm(
        request.POST or None, offers=offers, initial={"token": secrets.token_urlsafe(24)}
    )
    if request.method == "POST" and form.is_valid():
        offer = next(o for o in offers if o.pk == form.cleaned_data["offer"])
        try:
            group, _created = services.group_open(
                shop=shop,
                offer=offer,
                days=form.cleaned_data["days"],
                key=form.cleaned_data["token"],
                coordinator_name=request.user.get_full_name() or shop.name,
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            audit_record(action="groupbuy.opened", shop=shop, target=group, request=request)
            return redirect("groupbuy_detail", group_id=group.pk)
    return render(
        request,
        "groupbuy/seller_open.html",
        {"form": form, "offers": offers, "storefront": storefront},
    )


@shop_member
def groupbuy_detail(request, group_id: int):
    shop = request.shop
    group = selectors.group_get(shop=shop, group_id=group_id)
    if group is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if not confirmed(request):
            refuse_unconfirmed(request)
        elif action == "close":
            done = services.group_close(
                shop=shop,
                group_id=group.pk,
                reason=CloseReason.SELLER,
                actor=request.user,
                request=request,
            )
            if done is not None:
                messages.success(request, _("The group buy is closed. Members are told the price."))
        elif action == "cancel":
            done = services.group_cancel(
                shop=shop, group_id=group.pk, actor=request.user, request=request
            )
            if done is not None:
                messages.success(request, _("The group buy is cancelled. Members are told."))
        return redirect("groupbuy_detail", group_id=group.pk)
    members = selectors.members(shop=shop, group=group)
    # members' names, phones and addresses are personal data: reading them is logged
    audit_record(action="groupbuy.viewed", shop=shop, target=group, request=request)
    storefront = storefront_selectors.storefront_for(shop=shop)
    context = {
        "group": group,
        "members": members,
        "progress": services.group_progress(group),
        "storefront": storefront,
        "is_open": group.status == GroupStatus.OPEN,
        "share_link": public_url(request, share_url(storefront, group)) if storefront else "",
        "coordinator_link": public_url(request, coordinator_url(storefront, group))
        if storefront
        else "",
        **public_address_context(request),
    }
    return render(request, "groupbuy/detail.html", context)
