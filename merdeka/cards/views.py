from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from merdeka.cards import selectors, services
from merdeka.cards.forms import BatchForm, SignUpForm
from merdeka.cards.models import CardBatch
from merdeka.cards.qr import qr_shared
from merdeka.cards.wording import NOTICE_TEXT, consent_text
from merdeka.core.addresses import public_address_context, public_url
from merdeka.core.decorators import shop_member
from merdeka.privacy.audit import client_ip

CARDS_PER_SHEET = 4  # A6 cards on one A4 sheet
SIGNED_UP_SESSION_KEY = "cards_signed_up"
MAX_SIGNUP_BODY = 8 * 1024  # the form is a few short fields


def signup_url(request, batch: CardBatch) -> str:
    """The address a card's QR code carries: printed, so at the public address."""
    path = reverse("signup", kwargs={"shop_slug": batch.shop.slug, "token": batch.token})
    return public_url(request, path)


@shop_member
def batch_list(request):
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        batch = services.batch_create(
            shop=request.shop, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("Batch saved. Print the cards and put one in each parcel."))
        return redirect("card_print", batch_id=batch.pk)
    batches = selectors.batch_list(shop=request.shop)
    for batch in batches:
        batch.conversion = round(100 * batch.signups_total / batch.count) if batch.count else 0
    context = {
        "form": form,
        "batches": batches,
        "invitation_signups": selectors.invitation_signups(shop=request.shop),
        **public_address_context(request),
    }
    return render(request, "cards/batches.html", context)


@shop_member
def card_print(request, batch_id: int):
    try:
        batch = selectors.batch_get(shop=request.shop, batch_id=batch_id)
    except CardBatch.DoesNotExist:
        raise Http404 from None
    url = signup_url(request, batch)
    qr = qr_shared(
        url,
        symbol_id=f"qr-{batch.pk}",
        label=_("QR code to sign up at %(shop)s") % {"shop": request.shop.name},
    )
    sheets = [
        range(start, min(start + CARDS_PER_SHEET, batch.count))
        for start in range(0, batch.count, CARDS_PER_SHEET)
    ]
    context = {
        "batch": batch,
        "qr": qr,
        "url": url,
        "sheets": sheets,
        **public_address_context(request),
    }
    return render(request, "cards/print.html", context)


def _public_batch(shop_slug: str, token: str) -> CardBatch:
    try:
        return selectors.batch_for_signup(shop_slug=shop_slug, token=token)
    except CardBatch.DoesNotExist:
        raise Http404 from None


@never_cache
@csrf_protect
def signup(request, shop_slug: str, token: str):
    """The public page a card's QR code opens: no account needed."""
    batch = _public_batch(shop_slug, token)
    shop = batch.shop
    form = SignUpForm(None)
    status = 200
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_SIGNUP_BODY:
            return HttpResponse(_("The form is too large."), status=413)
        form = SignUpForm(request.POST)
        if not services.signup_attempt_allowed(batch=batch, ip=client_ip(request)):
            form.is_valid()
            status = 429
            form.add_error(
                None, _("Too many sign-ups from this connection. Please try again in a while.")
            )
        elif form.is_bot:
            return redirect("signup_thanks", shop_slug=shop.slug, token=batch.token)
        elif form.is_valid():
            data = form.cleaned_data
            services.signup_submit(
                batch=batch,
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                consent_whatsapp=data["consent_whatsapp"],
                consent_email=data["consent_email"],
            )
            done = set(request.session.get(SIGNED_UP_SESSION_KEY, []))
            done.add(batch.token)
            request.session[SIGNED_UP_SESSION_KEY] = sorted(done)[-20:]
            return redirect("signup_thanks", shop_slug=shop.slug, token=batch.token)
        else:
            status = 400
    context = {
        "batch": batch,
        "shop": shop,
        "form": form,
        "consent_whatsapp_text": consent_text("whatsapp", shop.name),
        "consent_email_text": consent_text("email", shop.name),
        "notice": str(NOTICE_TEXT) % {"shop": shop.name},
    }
    return render(request, "cards/signup.html", context, status=status)


@never_cache
def signup_thanks(request, shop_slug: str, token: str):
    batch = _public_batch(shop_slug, token)
    signed_up = batch.token in request.session.get(SIGNED_UP_SESSION_KEY, [])
    context = {"batch": batch, "shop": batch.shop, "signed_up": signed_up}
    return render(request, "cards/thanks.html", context)
