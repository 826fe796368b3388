"""The suppliers' pages: the list, a supplier, a purchase order (WhatsApp, PDF,
goods received in parts, the bill)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from PIL import ImageFile

from merdeka.books.debts import money_accounts
from merdeka.books.posting import today
from merdeka.catalog.models import Variant
from merdeka.core.csp import form_to_whatsapp
from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.outreach.channels.walink import wa_me_url
from merdeka.privacy.audit import audit_record
from merdeka.suppliers import services
from merdeka.suppliers.models import PurchaseOrder, Supplier

NEW_LINES = 5


@shop_member
def supplier_list(request):
    shop = request.shop
    if request.method == "POST":
        try:
            supplier = services.supplier_add(
                shop=shop,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect("supplier_list")
        messages.success(request, _("The supplier is added."))
        return redirect("supplier_detail", supplier_id=supplier.pk)
    with shop_scope(shop):
        suppliers = list(Supplier.objects.filter(shop=shop))
    suppliers.sort(key=lambda s: str(s.name).casefold())
    return render(request, "suppliers/list.html", {"suppliers": suppliers})


def _supplier(shop, supplier_id: int) -> Supplier:
    with shop_scope(shop):
        try:
            return Supplier.objects.get(shop=shop, pk=supplier_id)
        except Supplier.DoesNotExist:
            raise Http404 from None


@shop_member
def supplier_detail(request, supplier_id: int):
    shop = request.shop
    supplier = _supplier(shop, supplier_id)
    if request.method == "POST":
        try:
            services.supplier_update(
                shop=shop,
                supplier_id=supplier.pk,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("supplier_detail", supplier_id=supplier.pk)
    audit_record(action="suppliers.viewed", shop=shop, actor=request.user, target=supplier)
    context = {
        "supplier": supplier,
        "orders": services.supplier_orders(shop=shop, supplier=supplier),
    }
    return render(request, "suppliers/detail.html", context)


@shop_member
def po_new(request, supplier_id: int):
    shop = request.shop
    supplier = _supplier(shop, supplier_id)
    with shop_scope(shop):
        variants = list(
            Variant.objects.filter(shop=shop).select_related("product").order_by("product__name")
        )
    if request.method == "POST":
        lines = []
        try:
            for index in range(NEW_LINES):
                variant = request.POST.get(f"variant-{index}", "")
                if not variant:
                    continue
                lines.append(
                    services.LineInput(
                        variant_id=int(variant),
                        quantity=int(request.POST.get(f"qty-{index}", "0") or 0),
                        unit_price=int(
                            (request.POST.get(f"price-{index}", "0") or "0").replace(".", "")
                        ),
                    )
                )
            order = services.po_create(
                shop=shop,
                supplier_id=supplier.pk,
                key=request.POST.get("key", "")[:80] or secrets.token_hex(8),
                lines=lines,
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except ValueError:
            messages.error(request, _("Write quantities and prices as whole numbers."))
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("po_detail", order_id=order.pk)
    context = {
        "supplier": supplier,
        "variants": variants,
        "rows": range(NEW_LINES),
        "key": secrets.token_hex(8),
    }
    return render(request, "suppliers/po_new.html", context)


def _order(shop, order_id: int) -> PurchaseOrder:
    try:
        return services.po_get(shop=shop, order_id=order_id)
    except PurchaseOrder.DoesNotExist:
        raise Http404 from None


@shop_member
@form_to_whatsapp  # its "Send on WhatsApp" form is answered with a wa.me link
def po_detail(request, order_id: int):
    shop = request.shop
    order = _order(shop, order_id)
    lines = services.po_lines(shop=shop, order=order)
    context = {
        "order": order,
        "lines": lines,
        "total": services.po_total(lines),
        "unbilled": services.po_unbilled(shop=shop, order=order),
        "accounts": money_accounts(shop=shop),
        "due": today(shop) + dt.timedelta(days=14),
        "key": secrets.token_hex(6),
        "message": services.po_message(shop=shop, order=order),
    }
    return render(request, "suppliers/po_detail.html", context)


@shop_member
@require_POST
def po_whatsapp(request, order_id: int):
    shop = request.shop
    order = _order(shop, order_id)
    if not order.supplier.phone:
        messages.error(request, _("Add the supplier's WhatsApp number first."))
        return redirect("supplier_detail", supplier_id=order.supplier_id)
    services.po_mark_sent(shop=shop, order_id=order.pk)
    return redirect(
        wa_me_url(str(order.supplier.phone), services.po_message(shop=shop, order=order))
    )


@shop_member
def po_pdf(request, order_id: int):
    shop = request.shop
    order = _order(shop, order_id)
    lines = services.po_lines(shop=shop, order=order)
    html = render_to_string(
        "suppliers/po_print.html",
        {"order": order, "lines": lines, "total": services.po_total(lines), "shop": shop},
    )
    # local: WeasyPrint takes about a second to import; only this download needs it
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint's import turns it on (books/pdf.py)
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pesanan-{order.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@shop_member
@require_POST
def po_receive(request, order_id: int):
    shop = request.shop
    order = _order(shop, order_id)
    quantities = {}
    for name, value in request.POST.items():
        if name.startswith("qty-") and value.strip():
            try:
                quantities[int(name[4:])] = int(value)
            except ValueError:
                messages.error(request, _("Write quantities and prices as whole numbers."))
                return redirect("po_detail", order_id=order.pk)
    paid_from = request.POST.get("paid_from", "")
    try:
        services.po_receive(
            shop=shop,
            order_id=order.pk,
            key=request.POST.get("key", "")[:16] or secrets.token_hex(6),
            quantities=quantities,
            paid_from=int(paid_from) if paid_from.isdigit() else None,
            actor=request.user,
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The goods are in stock."))
    return redirect("po_detail", order_id=order.pk)


@shop_member
@require_POST
def po_bill(request, order_id: int):
    shop = request.shop
    order = _order(shop, order_id)
    try:
        due = dt.date.fromisoformat(request.POST.get("due_date", ""))
    except ValueError:
        messages.error(request, _("Write the due date as a date, such as 2026-05-04."))
        return redirect("po_detail", order_id=order.pk)
    try:
        debt = services.po_bill(
            shop=shop, order_id=order.pk, due_date=due, actor=request.user, request=request
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("po_detail", order_id=order.pk)
    messages.success(request, _("The bill is recorded as a payable."))
    return redirect(reverse("debt_detail", args=[debt.pk]))
