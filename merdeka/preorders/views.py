"""The seller's pre-order pages, and the public page of one batch on the storefront."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.core.wording import preorder_title
from merdeka.orders.manual import manual_catalog
from merdeka.preorders import selectors, services
from merdeka.preorders.forms import BatchForm, MessageForm
from merdeka.privacy.audit import audit_record
from merdeka.storefront.public import page_context, public_storefront
from merdeka.storefront.selectors import storefront_for


@shop_member
def batch_list(request):
    rows = selectors.batch_list(shop=request.shop)
    return render(request, "preorders/list.html", {"rows": rows, "now": timezone.now()})


@shop_member
def batch_new(request):
    shop = request.shop
    variants = manual_catalog(shop=shop)
    form = BatchForm(request.POST or None, shop=shop, variants=variants)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = services.batch_open(
                shop=shop,
                actor=request.user,
                request=request,
                product_id=int(data["product"]),
                variant_ids=[int(pk) for pk in data["variants"]],
                title=data["title"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                ships_on=data["ships_on"],
                min_quantity=data["min_quantity"],
                max_quantity=data["max_quantity"],
                price=data["price"],
                note=data["note"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("%(title)s opened.") % {"title": preorder_title(batch.title)}
            )
            return redirect("preorder_detail", batch_id=batch.pk)
    return render(request, "preorders/new.html", {"form": form, "has_catalog": bool(variants)})


def _batch(request, batch_id):
    batch = selectors.batch_get(shop=request.shop, batch_id=batch_id)
    if batch is None:
        raise Http404
    return batch


@shop_member
@require_GET
def batch_detail(request, batch_id: int):
    return _detail(request, _batch(request, batch_id))


def _detail(request, batch, message_form=None):
    buyers = selectors.batch_buyers(shop=request.shop, batch=batch)
    # the buyers' names and numbers are personal data: reading them is logged
    audit_record(action="preorder.buyers_viewed", shop=request.shop, target=batch, request=request)
    context = {
        "batch": batch,
        "totals": selectors.batch_totals(shop=request.shop, batch=batch),
        "buyers": buyers,
        "open_now": selectors.is_open(batch),
        "now": timezone.now(),
        "message_form": message_form or MessageForm(),
        "slug": _slug(request.shop),
    }
    return render(request, "preorders/detail.html", context)


def _slug(shop) -> str:
    front = storefront_for(shop=shop)
    return front.slug if front else ""


@shop_member
@require_POST
def batch_close(request, batch_id: int):
    batch = _batch(request, batch_id)
    if services.batch_close(shop=request.shop, actor=request.user, batch=batch, request=request):
        messages.success(request, _("The pre-order is closed."))
    return redirect("preorder_detail", batch_id=batch.pk)


@shop_member(owner=True)
@require_POST
def batch_cancel(request, batch_id: int):
    batch = _batch(request, batch_id)
    count = services.batch_cancel(
        shop=request.shop, actor=request.user, batch=batch, request=request
    )
    messages.success(
        request, _("The pre-order is cancelled; %(count)s orders cancelled.") % {"count": count}
    )
    return redirect("preorder_detail", batch_id=batch.pk)


@shop_member
def batch_message(request, batch_id: int):
    batch = _batch(request, batch_id)
    if request.method != "POST":
        return redirect("preorder_detail", batch_id=batch.pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.batch_message_buyers(
                shop=request.shop,
                actor=request.user,
                request=request,
                batch=batch,
                body=data["body"],
                channel=data["channel"],
                subject=data["subject"],
            )
        except ServiceError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(
                request,
                _("%(sent)s messages on their way; %(skipped)s orders without a customer.")
                % result,
            )
            return redirect("preorder_detail", batch_id=batch.pk)
    return _detail(request, batch, message_form=form)


@require_GET
@public_storefront
def public_batch(request, storefront, token):
    shop = storefront.shop
    batch = selectors.batch_public(shop=shop, token=token)
    if batch is None or batch.state == batch.State.CANCELLED:
        raise Http404
    with shop_scope(shop):
        variants = list(
            batch.product.variants.filter(
                is_active=True, pk__in=batch.items.values("variant_id")
            ).order_by("position", "id")
        )
    response = render(
        request,
        "preorders/public.html",
        page_context(
            request,
            storefront,
            batch=batch,
            product=batch.product,
            variants=variants,
            totals=selectors.batch_totals(shop=shop, batch=batch),
            open_now=selectors.is_open(batch),
            now=timezone.now(),
        ),
    )
    response["Cache-Control"] = "no-store"
    return response
