"""The evidence pack on the phone.

The owner's page (``pack_home``): make a pack of the last months, download it, give a
lender a link (shown once), revoke it, and see who opened which link and when; the
journal chain's head at each month's end. Owners only: the pack shows the profit.

Public, no account: the lender's link (``pack_shared``, ``pack_shared_download``), the
verification page where anyone uploads a pack (``pack_verify``) and each shop's page
with its published signing keys (``pack_keys``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from merdeka.books import chain, pack_share
from merdeka.books.models import EvidencePack
from merdeka.books.pack import MAX_MONTHS, month_heads, pack_make, pack_name, published_keys
from merdeka.books.pack_verify import MAX_PACK_BYTES, verify_zip
from merdeka.books.posting import today
from merdeka.core.decorators import shop_member
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError


class PackForm(forms.Form):
    months = forms.IntegerField(
        label=gettext_lazy("Months"), min_value=1, max_value=MAX_MONTHS, initial=12
    )


class ShareForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Lender's name"), max_length=80)
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=pack_share.MAX_DAYS,
        initial=14,
    )


class VerifyForm(forms.Form):
    pack = forms.FileField(label=gettext_lazy("The pack (zip)"))


def _zip_response(pack: EvidencePack) -> HttpResponse:
    response = HttpResponse(bytes(pack.data), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack_name(pack)}"'
    return response


@shop_member(owner=True)
def pack_home(request):
    shop = request.shop
    form = PackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = pack_make(
            shop=shop, months=form.cleaned_data["months"], actor=request.user, request=request
        )
        messages.success(request, _("The pack is made and signed."))
        return redirect(f"{reverse('books_pack')}#pack-{made.pack.pk}")
    with shop_scope(shop):
        packs = list(EvidencePack.objects.filter(shop=shop).defer("data")[:20])
    day = today(shop)
    current, _recorded = chain.heads(shop=shop)
    context = {
        "form": form,
        "share_form": ShareForm(),
        "packs": packs,
        "shares": pack_share.shares_of(shop=shop),
        "heads": list(reversed(month_heads(shop, day.replace(month=1, day=1), day))),
        "chain": current,
        "new_link": request.session.pop("pack_link", None),
    }
    return render(request, "books/pack.html", context)


@shop_member(owner=True)
def pack_download(request, pack_id: int):
    with shop_scope(request.shop):
        pack = get_object_or_404(EvidencePack, shop=request.shop, pk=pack_id)
    return _zip_response(pack)


@require_POST
@shop_member(owner=True)
def pack_share_new(request, pack_id: int):
    with shop_scope(request.shop):
        get_object_or_404(EvidencePack.objects.defer("data"), shop=request.shop, pk=pack_id)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            _share, token = pack_share.share_create(
                shop=request.shop,
                pack_id=pack_id,
                label=form.cleaned_data["label"],
                days=form.cleaned_data["days"],
                actor=request.user,
                request=request,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            link = request.build_absolute_uri(reverse("pack_shared", args=[token]))
            request.session["pack_link"] = link  # shown once, on the next page
            return redirect(f"{reverse('books_pack')}#new-link")
    else:
        messages.error(request, _("Give the lender's name and 1 to 90 days."))
    return redirect("books_pack")


@require_POST
@shop_member(owner=True)
def pack_share_revoke(request, share_id: int):
    if pack_share.share_revoke(
        shop=request.shop, share_id=share_id, actor=request.user, request=request
    ):
        messages.success(request, _("The link no longer opens."))
    else:
        raise Http404
    return redirect("books_pack")


# -- public: the lender's link, the verification page ------------------------------------


def pack_shared(request, token: str):
    share = pack_share.share_find(token)
    if share is None:
        return render(request, "books/pack_gone.html", status=404)
    pack_share.share_opened(share, request=request, what="view")
    verdict = verify_zip(bytes(share.pack.data))
    context = {"share": share, "pack": share.pack, "verdict": verdict, "token": token}
    return render(request, "books/pack_shared.html", context)


def pack_shared_download(request, token: str):
    share = pack_share.share_find(token)
    if share is None:
        return render(request, "books/pack_gone.html", status=404)
    pack_share.share_opened(share, request=request, what="download")
    return _zip_response(share.pack)


def pack_verify(request):
    verdict = None
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["pack"]
        if upload.size > MAX_PACK_BYTES:
            form.add_error("pack", _("The file is far larger than a pack."))
        else:
            verdict = verify_zip(upload.read())
    return render(request, "books/pack_verify.html", {"form": form, "verdict": verdict})


def pack_keys(request, slug: str):
    shop = get_object_or_404(Shop, slug=slug)
    return render(
        request, "books/pack_keys.html", {"owner": shop, "public_keys": published_keys(shop)}
    )
