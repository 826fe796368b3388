"""The owner's pages: the business profile with its documents, and the PPh Final year
(each month's tax, due date, payment). Owners only: the profile holds the NPWP, the
tax page shows the turnover."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.books.posting import today
from merdeka.core.decorators import shop_member
from merdeka.core.services import ServiceError
from merdeka.tax import profile as profiles
from merdeka.tax import services
from merdeka.tax.forms import DocumentForm, PaymentForm, ProfileForm
from merdeka.tax.models import BusinessDocument, DocumentKind


@shop_member(owner=True)
def business_profile(request):
    shop = request.shop
    found = profiles.profile_get(shop=shop)
    initial = {
        "legal_form": found.legal_form,
        "business_name": found.business_name,
        "nib": found.nib,
        "npwp": profiles.npwp_format(found.npwp) if found.pk and found.npwp else "",
        "address": (found.address or "") if found.pk else "",
        "started_on": found.started_on,
        "registered_year": found.registered_year,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profiles.profile_update(shop=shop, actor=request.user, request=request, **data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Business profile saved."))
            return redirect("business_profile")
    context = {
        "form": form,
        "profile": found,
        "document_form": DocumentForm(),
        "kept": profiles.documents_kept(shop=shop),
        "kinds": DocumentKind.choices,
        "shared": len(profiles.taxpayer_shops(shop)),
    }
    return render(request, "tax/profile.html", context)


@require_POST
@shop_member(owner=True)
def business_document_add(request):
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            profiles.document_add(
                shop=request.shop,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["photo"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Document kept, encrypted."))
    else:
        messages.error(request, _("Choose the document and a photo of it (JPEG, PNG or WebP)."))
    return redirect("business_profile")


@shop_member(owner=True)
def business_document(request, kind: str):
    if kind not in DocumentKind.values:
        raise Http404
    try:
        photo = profiles.document_photo(
            shop=request.shop, kind=kind, actor=request.user, request=request
        )
    except BusinessDocument.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(photo, content_type="image/webp")
    response["Cache-Control"] = "no-store, private"
    return response


@require_POST
@shop_member(owner=True)
def business_document_remove(request, kind: str):
    if kind not in DocumentKind.values:
        raise Http404
    if not profiles.document_remove(
        shop=request.shop, kind=kind, actor=request.user, request=request
    ):
        raise Http404
    messages.success(request, _("Document removed."))
    return redirect("business_profile")


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today(request.shop).year
    return year if 2018 <= year <= 2100 else today(request.shop).year


@shop_member(owner=True)
def tax_home(request):
    """The year's PPh Final: each month's turnover, tax, due date and what was paid."""
    shop = request.shop
    year = _year(request)
    summary = services.tax_year(shop=shop, year=year)
    day = today(shop)
    forms = {
        m.month: PaymentForm(
            shop=shop, initial={"month": m.month, "amount": m.outstanding, "paid_on": day}
        )
        for m in summary.months
        if m.outstanding and m.month < day.replace(day=1)
    }
    context = {
        "summary": summary,
        "rows": [(m, forms.get(m.month)) for m in summary.months],
        "payments": services.tax_payments(shop=shop, year=year),
        "profile": profiles.profile_get(shop=shop),
        "code": services.PAYMENT_CODE,
        "threshold": services.THRESHOLD,
        "years": (year - 1, year + 1),
        "day": day,
    }
    return render(request, "tax/home.html", context)


@require_POST
@shop_member(owner=True)
def tax_payment_new(request):
    form = PaymentForm(request.POST, shop=request.shop)
    month = None
    if form.is_valid():
        data = form.cleaned_data
        month = data["month"]
        try:
            services.tax_payment_record(
                shop=request.shop,
                key=data["key"],
                month=month,
                amount=int(data["amount"]),
                paid_on=data["paid_on"],
                paid_from_id=data["paid_from"],
                ntpn=data["ntpn"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Payment recorded and posted to the books."))
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) or _("Check the payment."))
    year = month.year if isinstance(month, dt.date) else today(request.shop).year
    return redirect(f"{reverse('tax_home')}?year={year}")
