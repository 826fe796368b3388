"""The receipts' pages: photos in, the review beside the photo, the prices they tell."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from merdeka.books.accounts import EXPENSE, MONEY, chart_accounts
from merdeka.books.posting import today
from merdeka.catalog.models import Variant
from merdeka.core.confirm import confirmed, refuse_unconfirmed
from merdeka.core.decorators import shop_member
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import proofs
from merdeka.receipts import booking, capture, prices, selectors
from merdeka.receipts.models import PricePoint, Receipt, ReceiptItem
from merdeka.receipts.names import item_key


@shop_member
def receipts_home(request):
    """The upload (camera or gallery, several at once) and her latest receipts."""
    shop = request.shop
    if request.method == "POST":
        try:
            created = capture.receipts_upload(
                shop=shop, files=request.FILES.getlist("photos"), actor=request.user
            )
        except capture.UploadError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s photo received: it is being read. You may leave this page.",
                    "%(count)s photos received: they are being read. You may leave this page.",
                    len(created),
                )
                % {"count": len(created)},
            )
            return redirect("receipts_progress")
    context = capture.progress(shop=shop)
    context["alerts"] = prices.recent_alerts(shop=shop)
    status = 400 if request.method == "POST" else 200
    return render(request, "receipts/home.html", context, status=status)


@shop_member
def receipts_progress(request):
    """How far the reading is: refreshes itself while something is waiting."""
    return render(request, "receipts/progress.html", capture.progress(shop=request.shop))


def _receipt(shop, receipt_id: int) -> Receipt:
    with shop_scope(shop):
        try:
            return Receipt.objects.defer("photo").get(shop=shop, pk=receipt_id)
        except Receipt.DoesNotExist:
            raise Http404 from None


def _day(value: str):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise ServiceError(_("Write the date as a date, such as 2026-05-04.")) from None


def _int_or_none(value: str):
    try:
        return int(value) if value else None
    except ValueError:
        return -1  # refused by the service as "not from the list"


def _items_from(post) -> tuple[list[booking.ItemInput], booking.ItemInput]:
    items = []
    for index in range(int(post.get("item_count") or 0)):
        prefix = f"item-{index}-"
        items.append(
            booking.ItemInput(
                name=post.get(prefix + "name", ""),
                qty=post.get(prefix + "qty", "1"),
                unit_price=post.get(prefix + "unit_price", ""),
                total=post.get(prefix + "total", ""),
                variant_id=_int_or_none(post.get(prefix + "variant", "")),
                ingredient=post.get(prefix + "ingredient", ""),
                delete=bool(post.get(prefix + "delete")),
            )
        )
    new = booking.ItemInput(
        name=post.get("new-name", ""),
        qty=post.get("new-qty", "1") or "1",
        unit_price=post.get("new-unit_price", ""),
        total=post.get("new-total", ""),
        variant_id=_int_or_none(post.get("new-variant", "")),
        ingredient=post.get("new-ingredient", ""),
    )
    return items, new


@shop_member
def receipt_detail(request, receipt_id: int):
    """The review: the photo beside every field, each fixable; Save, or confirm in one
    tap (which saves what she changed first)."""
    shop = request.shop
    receipt = _receipt(shop, receipt_id)
    in_queue = (request.POST or request.GET).get(QUEUE_FLAG) == "1"
    error = ""
    if request.method == "POST":
        items, new = _items_from(request.POST)
        try:
            booking.receipt_update(
                shop=shop,
                receipt_id=receipt.pk,
                store=request.POST.get("store", ""),
                day=_day(request.POST.get("date", "")),
                total=request.POST.get("total", ""),
                discount=request.POST.get("discount", ""),
                tax=request.POST.get("tax", ""),
                paid_from_id=_int_or_none(request.POST.get("paid_from", "")),
                category_id=_int_or_none(request.POST.get("category", "")),
                items=items,
                new_item=new,
            )
            if request.POST.get("do") == "confirm":
                done = booking.receipt_confirm(
                    shop=shop, receipt_id=receipt.pk, actor=request.user, request=request
                )
                if in_queue:
                    messages.success(
                        request,
                        _("%(store)s, %(total)s, is in your books.")
                        % {
                            "store": done.store or _("The receipt"),
                            "total": format_rupiah(done.total or 0),
                        },
                    )
                    return _queue_go(shop, after=receipt.pk)
                messages.success(request, _("The receipt is in your books."))
            else:
                messages.success(request, _("Saved."))
            return redirect(_detail_url(receipt.pk, in_queue))
        except ServiceError as exc:
            error = str(exc)
        receipt = _receipt(shop, receipt_id)
    with shop_scope(shop):
        items = list(
            ReceiptItem.objects.filter(shop=shop, receipt=receipt).select_related(
                "variant__product"
            )
        )
        variants = list(
            Variant.objects.filter(shop=shop, is_active=True)
            .select_related("product")
            .order_by("product__name")
        )
        has_photo = Receipt.objects.filter(shop=shop, pk=receipt.pk, photo__isnull=False).exists()
    keyed = [
        (f"v{i.variant_id}" if i.variant_id else item_key(i.ingredient or i.name),
         str(i.variant) if i.variant_id else (i.ingredient or i.name),
         round(i.total / i.qty) if i.qty else i.unit_price)
        for i in items
    ]  # fmt: skip
    for item, (key, _label, _price) in zip(items, keyed, strict=True):
        item.price_key = key if receipt.status == Receipt.Status.BOOKED and key else ""
    alerts = prices.alerts_for(
        shop=shop, items=keyed, day=receipt.date or today(shop), exclude_receipt=receipt.pk
    )
    booked = receipt.status == Receipt.Status.BOOKED
    deletable = booking.deletable(shop=shop, receipt=receipt)
    context = {
        "receipt": receipt,
        "has_photo": has_photo,
        "items": items,
        "variants": variants,
        "accounts": chart_accounts(shop=shop, group=MONEY, active_only=True),
        "categories": chart_accounts(shop=shop, group=EXPENSE, active_only=True),
        "alerts": alerts,
        "error": error,
        "editable": receipt.status in booking.OPEN,
        "lines_total": sum(i.total for i in items),
        "today": today(shop),
        "delete_url": reverse("receipt_delete", args=[receipt.pk]),
        "in_queue": in_queue and receipt.status in booking.OPEN,
        "may_delete": deletable and (not booked or request.membership.is_owner),
        "cancelled": booked and deletable,  # its expense reversed
    }
    if context["in_queue"]:
        context["queue"] = selectors.queue_counts(shop=shop, after=receipt.pk, current=receipt.pk)
        context["skip_url"] = _queue_url(after=receipt.pk)
    return render(request, "receipts/detail.html", context, status=400 if error else 200)


QUEUE_FLAG = "antrian"


def _detail_url(receipt_id: int, in_queue: bool) -> str:
    url = reverse("receipt_detail", args=[receipt_id])
    return f"{url}?{QUEUE_FLAG}=1" if in_queue else url


def _queue_url(*, after: int = 0) -> str:
    url = reverse("receipts_queue")
    return f"{url}?setelah={after}" if after else url


def _queue_go(shop, *, after: int):
    """To the next receipt of the queue, else to the queue's page (still reading, or done)."""
    following = selectors.queue_next(shop=shop, after=after)
    if following is not None:
        return redirect(_detail_url(following.pk, True))
    return redirect(_queue_url(after=after))


@shop_member
def receipts_queue(request):
    """Her receipts one after another: the next read one opens; while the next is still
    being read this page waits (it refreshes itself); at the end, what she booked today
    and the ones she skipped."""
    shop = request.shop
    try:
        after = max(0, int(request.GET.get("setelah") or 0))
    except ValueError:
        after = 0
    following = selectors.queue_next(shop=shop, after=after)
    if following is not None:
        return redirect(_detail_url(following.pk, True))
    counts = selectors.queue_counts(shop=shop, after=after)
    booked, booked_total = selectors.booked_today(shop=shop)
    context = {
        **counts,
        "booked": booked,
        "booked_total": booked_total,
        "again_url": _queue_url(),
        "refresh_url": _queue_url(after=after),
    }
    return render(request, "receipts/queue.html", context)


@shop_member
def receipt_photo(request, receipt_id: int):
    """The receipt's photo while it is here (booked as an expense, it is the expense's)."""
    try:
        photo = capture.receipt_photo(shop=request.shop, receipt_id=receipt_id)
    except Receipt.DoesNotExist:
        raise Http404 from None
    return proofs.photo_response(photo, filename=f"nota-{receipt_id}.webp")


@shop_member
@require_POST
def receipt_delete(request, receipt_id: int):
    receipt = _receipt(request.shop, receipt_id)
    if not confirmed(request):
        refuse_unconfirmed(request)
        return redirect("receipt_detail", receipt_id=receipt.pk)
    if receipt.status == Receipt.Status.BOOKED and not request.membership.is_owner:
        messages.error(request, _("Only the shop's owners can delete a booked receipt."))
        return redirect("receipt_detail", receipt_id=receipt.pk)
    try:
        booking.receipt_delete(
            shop=request.shop, receipt_id=receipt.pk, actor=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("receipt_detail", receipt_id=receipt.pk)
    messages.success(request, _("The receipt and its photo are deleted."))
    return redirect("receipts_home")


@shop_member
def price_list(request):
    """Every item she bought, its last price and the cheapest place lately; the owner
    sets the alert's threshold here."""
    shop = request.shop
    if request.method == "POST":
        if not request.membership.is_owner:
            messages.error(request, _("Only the shop's owners can change this."))
        else:
            try:
                prices.alert_percent_set(shop=shop, percent=request.POST.get("alert_percent", ""))
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Saved."))
        return redirect("price_list")
    context = {
        "rows": prices.items_overview(shop=shop),
        "alerts": prices.recent_alerts(shop=shop, limit=20),
        "alert_percent": prices.alert_percent(shop=shop),
    }
    return render(request, "receipts/prices.html", context)


@shop_member
def price_item(request, key: str):
    """One item's prices over time per place: the chart and its table."""
    shop = request.shop
    try:
        label, points = prices.item_history(shop=shop, item_key=key)
    except PricePoint.DoesNotExist:
        raise Http404 from None
    context = {
        "label": label,
        "points": list(reversed(points)),
        "chart": prices.price_chart(label=label, points=points[-40:]),
        "cheapest": prices.cheapest_lately(points, at=today(shop)),
        "back": reverse("price_list"),
    }
    return render(request, "receipts/price_item.html", context)
