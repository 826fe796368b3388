"""Owner-only pages for customers' rights and the shop's record of processing."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.customers.models import Customer
from merdeka.customers.selectors import customer_get, with_known_as
from merdeka.privacy import rights
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import consent_state, is_restricted
from merdeka.privacy.forms import (
    CorrectionForm,
    EraseForm,
    RestrictionForm,
    RetentionForm,
    WithdrawForm,
)
from merdeka.privacy.models import ProcessingRestriction
from merdeka.privacy.record import processing_record as record_of_processing
from merdeka.privacy.selectors import customer_data


def _customer_or_404(request, customer_id: int) -> Customer:
    try:
        customer = customer_get(shop=request.shop, customer_id=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
    with_known_as(shop=request.shop, customers=[customer])  # named as on her page
    return customer


def _rights_page(request, customer, *, status=200, **forms):
    restriction = ProcessingRestriction.objects.filter(
        shop=request.shop, customer=customer, lifted_at__isnull=True
    ).first()
    context = {
        "customer": customer,
        "restriction": restriction,
        "restricted": is_restricted(shop=request.shop, customer=customer),
        "consents": consent_state(shop=request.shop, customer=customer),
        "restrict_form": forms.get("restrict_form") or RestrictionForm(),
        "erase_form": forms.get("erase_form") or EraseForm(),
    }
    return render(request, "privacy/customer_rights.html", context, status=status)


@shop_member(owner=True)
def customer_rights(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    return _rights_page(request, customer)


@shop_member(owner=True)
def customer_data_export(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    data = customer_data(shop=request.shop, customer=customer)
    audit_record(
        action="customer.data_exported",
        shop=request.shop,
        target=customer,
        request=request,
        detail={"orders": len(data["orders"]), "identities": len(data["identities"])},
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="data-pelanggan-{customer.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@shop_member(owner=True)
def customer_correct(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    initial = {f: getattr(customer, f) or "" for f in rights.CORRECTABLE}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method != "POST":  # the form shows the customer's full record
        audit_record(action="customer.viewed", shop=request.shop, target=customer, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            changed = rights.customer_correct(
                shop=request.shop,
                customer_id=customer.pk,
                actor=request.user,
                request=request,
                **{f: form.cleaned_data[f] for f in rights.CORRECTABLE},
            )
        except rights.RightsError as exc:
            form.add_error(exc.field, str(exc))
        else:
            if changed:
                messages.success(request, _("The customer's data was corrected."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("customer_rights", customer_id=customer.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "privacy/customer_correct.html",
        {"customer": customer, "form": form},
        status=status,
    )


@shop_member(owner=True)
@require_POST
def customer_restrict(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    form = RestrictionForm(request.POST)
    if not form.is_valid():
        return _rights_page(request, customer, status=400, restrict_form=form)
    rights.customer_restrict(
        shop=request.shop,
        customer_id=customer.pk,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        request=request,
    )
    messages.success(
        request, _("Processing is restricted: this customer gets no messages until you lift it.")
    )
    return redirect("customer_rights", customer_id=customer.pk)


@shop_member(owner=True)
@require_POST
def customer_restriction_lift(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    if rights.customer_restriction_lift(
        shop=request.shop, customer_id=customer.pk, actor=request.user, request=request
    ):
        messages.success(request, _("The restriction was lifted."))
    return redirect("customer_rights", customer_id=customer.pk)


@shop_member(owner=True)
@require_POST
def customer_consent_withdraw(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown channel."))
        return redirect("customer_rights", customer_id=customer.pk)
    rights.customer_consent_withdraw(
        shop=request.shop,
        customer_id=customer.pk,
        actor=request.user,
        channel=form.cleaned_data["channel"],
        request=request,
    )
    messages.success(request, _("Consent withdrawn. No more offers go out on that channel."))
    return redirect("customer_rights", customer_id=customer.pk)


@shop_member(owner=True)
def customer_erase(request, customer_id: int):
    customer = _customer_or_404(request, customer_id)
    if request.method != "POST":
        return render(
            request, "privacy/customer_erase.html", {"customer": customer, "form": EraseForm()}
        )
    form = EraseForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "privacy/customer_erase.html",
            {"customer": customer, "form": form},
            status=400,
        )
    rights.customer_erase(
        shop=request.shop, customer_id=customer.pk, actor=request.user, request=request
    )
    messages.success(
        request,
        _("The customer was erased. Their orders stay in your books without their name."),
    )
    return redirect("customer_list")


@shop_member(owner=True)
def processing_record(request):
    record = record_of_processing(shop=request.shop)
    form = RetentionForm(
        request.POST or None,
        initial={"retention_months": record["retention_months"] or ""},
    )
    if request.method == "POST":
        if form.is_valid():
            rights.privacy_settings_update(
                shop=request.shop,
                actor=request.user,
                retention_months=form.cleaned_data["retention_months"],
                request=request,
            )
            messages.success(request, _("Retention period saved."))
            return redirect("processing_record")
        status = 400
    else:
        status = 200
    return render(
        request, "privacy/processing_record.html", {"record": record, "form": form}, status=status
    )
