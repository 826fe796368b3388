from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.privacy import services
from merdeka.privacy.selectors import audit_events, audit_targets
from merdeka.privacy.tasks import rotate_shop_keys


@shop_member(owner=True)
def audit_log(request):
    page = Paginator(audit_events(shop=request.shop), 50).get_page(request.GET.get("page"))
    page.object_list = audit_targets(shop=request.shop, events=page.object_list)
    return render(request, "privacy/audit_log.html", {"page": page})


@shop_member(owner=True)
def security(request):
    status = services.keys_status(shop=request.shop)
    return render(request, "privacy/security.html", {"status": status})


@shop_member(owner=True)
@require_POST
def keys_rotate(request):
    transaction.on_commit(
        partial(rotate_shop_keys.enqueue, shop_id=request.shop.pk, actor_id=request.user.pk)
    )
    messages.success(
        request,
        _("Key rotation has started in the background. Refresh this page to follow it."),
    )
    return redirect("security")
