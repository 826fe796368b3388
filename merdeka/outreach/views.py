from __future__ import annotations

import json
import logging
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from merdeka.core.confirm import confirmed, refuse_unconfirmed
from merdeka.core.decorators import shop_member
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.selectors import customer_get, with_known_as
from merdeka.outreach import selectors
from merdeka.outreach.channels import get_channel
from merdeka.outreach.channels.cloudapi import signature_valid
from merdeka.outreach.channels.walink import wa_me_url
from merdeka.outreach.forms import (
    CampaignForm,
    PreviewCustomerForm,
    TemplateForm,
    WhatsAppSettingsForm,
)
from merdeka.outreach.models import (
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
    WhatsAppCloudSettings,
    WhatsAppTemplate,
)
from merdeka.outreach.placeholders import PLACEHOLDERS
from merdeka.outreach.services import asking, campaigns, cloudapi, common, sending, webhooks
from merdeka.outreach.services.unsubscribe import unsubscribe_confirm, unsubscribe_lookup
from merdeka.privacy.consent import consent_allows
from merdeka.storefront.selectors import storefront_for

logger = logging.getLogger(__name__)


def _campaign_or_404(request, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get(shop=request.shop, campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404 from None


def _public_url_warning() -> bool:
    url = common.public_url("/")
    return "127.0.0.1" in url or "localhost" in url


@shop_member
def campaign_list(request):
    page = Paginator(selectors.campaign_list(shop=request.shop), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "outreach/list.html", {"page": page})


def _chosen_customers(request, form) -> list:
    """The customers already chosen for the audience (from a customer's page, or saved)."""
    import re

    raw = form["audience_ids"].value() or ""
    ids = [int(i) for i in re.findall(r"\d+", str(raw))][:50]
    if not ids:
        return []
    with shop_scope(request.shop):
        return list(
            Customer.objects.filter(shop=request.shop, pk__in=ids, merged_into__isnull=True)
        )


def _compose_context(request, form, campaign=None) -> dict:
    chosen = _chosen_customers(request, form)
    previewed = selectors.preview_customers(shop=request.shop)
    with_known_as(shop=request.shop, customers=[*chosen, *previewed])
    return {
        "chosen_customers": chosen,
        "form": form,
        "campaign": campaign,
        "placeholders": PLACEHOLDERS,
        "preview_customers": previewed,
        "templates": selectors.templates_list(shop=request.shop),
    }


@shop_member
def campaign_new(request):
    if request.method == "POST":
        form = CampaignForm(request.POST, shop=request.shop)
        if form.is_valid():
            campaign = campaigns.campaign_save(
                shop=request.shop,
                actor=request.user,
                fields=form.campaign_fields(),
                request=request,
            )
            messages.success(request, _("Campaign saved as a draft. Check it, then send it."))
            return redirect("outreach_campaign", campaign_id=campaign.pk)
    else:
        initial = {}
        chosen = request.GET.get("pelanggan", "")
        segment = request.GET.get("segmen", "")
        if chosen.isdigit():
            initial = {"audience_kind": Campaign.Audience.CHOSEN, "audience_ids": chosen}
        elif segment.isdigit() and len(segment) < 19:
            # only one of this shop's segments is preselected; any other id is ignored
            found = selectors.segments_list(shop=request.shop).filter(pk=int(segment)).first()
            if found is not None:
                initial = {"audience_kind": Campaign.Audience.SEGMENT, "audience_segment": found.pk}
        form = CampaignForm(shop=request.shop, initial=initial)
    return render(request, "outreach/compose.html", _compose_context(request, form))


def _seen_at(value: str):
    """The draft's ``updated_at`` the edit form was opened with (None if unreadable)."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@shop_member
def campaign_edit(request, campaign_id: int):
    campaign = _campaign_or_404(request, campaign_id)
    if campaign.state != Campaign.State.DRAFT:
        messages.error(request, _("This campaign was already sent and cannot be changed."))
        return redirect("outreach_campaign", campaign_id=campaign.pk)
    # what the form was opened with: a save refuses a draft changed since (another tab)
    seen = request.POST.get("seen", "") if request.method == "POST" else ""
    seen = seen or campaign.updated_at.isoformat()
    if request.method == "POST":
        form = CampaignForm(request.POST, shop=request.shop)
        if form.is_valid():
            try:
                campaigns.campaign_save(
                    shop=request.shop,
                    actor=request.user,
                    fields=form.campaign_fields(),
                    campaign=campaign,
                    seen_at=_seen_at(seen),
                    request=request,
                )
            except common.OutreachError as exc:
                if _campaign_or_404(request, campaign_id).state != Campaign.State.DRAFT:
                    messages.error(request, str(exc))
                    return redirect("outreach_campaign", campaign_id=campaign.pk)
                form.add_error(None, str(exc))  # her words stay on the page to copy
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("outreach_campaign", campaign_id=campaign.pk)
    else:
        form = CampaignForm(shop=request.shop, initial=CampaignForm.initial_from(campaign))
    context = _compose_context(request, form, campaign)
    context["seen"] = seen
    return render(request, "outreach/compose.html", context)


@shop_member
@require_POST
def campaign_preview(request):
    """The composer's preview: the message as one chosen customer would get it."""
    form = CampaignForm(request.POST, shop=request.shop)
    picked = PreviewCustomerForm(request.POST)
    context = {"form": form}
    customer = None
    if picked.is_valid() and picked.cleaned_data["customer"]:
        try:
            customer = customer_get(shop=request.shop, customer_id=picked.cleaned_data["customer"])
        except Customer.DoesNotExist:
            context["preview_error"] = _("That customer was not found in this shop.")
    if customer is None and "preview_error" not in context:
        context["preview_error"] = _("Choose a customer to see the message as they get it.")
    form.is_valid()  # the preview shows the same errors the save would
    wanted = {"body", "subject", "template", "template_params", "channel", "purpose"}
    if customer is not None and not (wanted & set(form.errors)):
        fields = {
            "channel": form.cleaned_data["channel"],
            "purpose": form.cleaned_data["purpose"],
            "body": form.cleaned_data.get("body", ""),
            "subject": form.cleaned_data.get("subject", ""),
            "template": form.cleaned_data.get("template"),
            "template_params": form.cleaned_data.get("template_params", []),
        }
        context["preview"] = campaigns.campaign_preview(
            shop=request.shop, campaign_fields=fields, customer=customer
        )
        context["preview_customer"] = customer
    if request.htmx:
        return render(request, "outreach/_preview.html", context)
    # without JavaScript: the composer again, as filled in, with the preview
    campaign = None
    campaign_id = request.POST.get("campaign_id", "")
    if campaign_id.isdigit():
        campaign = Campaign.objects.filter(
            shop=request.shop, pk=int(campaign_id), state=Campaign.State.DRAFT
        ).first()
    context = {**_compose_context(request, form, campaign), **context}
    return render(
        request, "outreach/compose.html", context, status=200 if "preview" in context else 400
    )


def _ways_to_ask(request) -> dict:
    """Where the ways of asking for consent are: the one-to-one request, the parcel
    cards, and the online shop's checkout (when the shop has one)."""
    return {"storefront": storefront_for(shop=request.shop)}


@shop_member
def campaign_detail(request, campaign_id: int):
    campaign = _campaign_or_404(request, campaign_id)
    context = {
        "campaign": campaign,
        "ways": _ways_to_ask(request),
        "summary": selectors.audience_summary(shop=request.shop, campaign=campaign),
        "counts": selectors.campaign_status_counts(shop=request.shop, campaign=campaign),
        "unavailable": get_channel(campaign.channel).unavailable_reason(request.shop),
        "public_url_warning": _public_url_warning(),
        "segment": selectors.campaign_segment(shop=request.shop, campaign=campaign),
        "audience_problem": selectors.audience_problem(shop=request.shop, campaign=campaign),
        "made": campaigns.campaign_counts(shop=request.shop, campaign=campaign)
        if campaign.preparing
        else None,
    }
    if campaign.state == Campaign.State.DRAFT:
        customers = selectors.preview_customers(shop=request.shop, campaign=campaign, limit=30)
        with_known_as(shop=request.shop, customers=customers)
        picked = PreviewCustomerForm(request.GET)
        chosen = None
        if picked.is_valid() and picked.cleaned_data["customer"]:
            chosen = next((c for c in customers if c.pk == picked.cleaned_data["customer"]), None)
        chosen = chosen or (customers[0] if customers else None)
        context["preview_customers"] = customers
        if chosen is not None:
            context["preview_customer"] = chosen
            context["preview"] = campaigns.campaign_preview(
                shop=request.shop,
                campaign_fields={
                    "channel": campaign.channel,
                    "purpose": campaign.purpose,
                    "body": campaign.body,
                    "subject": campaign.subject,
                    "template": campaign.template,
                    "template_params": campaign.template_params,
                },
                customer=chosen,
            )
    else:
        deliveries = selectors.campaign_deliveries(shop=request.shop, campaign=campaign)
        status = request.GET.get("status", "")
        if status in DeliveryStatus.values:
            deliveries = deliveries.filter(status=status)
        context["page"] = Paginator(deliveries, 50).get_page(request.GET.get("page"))
        with_known_as(shop=request.shop, customers=[d.customer for d in context["page"]])
        context["status_filter"] = status
    return render(request, "outreach/detail.html", context)


@shop_member
@require_POST
def campaign_send(request, campaign_id: int):
    campaign = _campaign_or_404(request, campaign_id)
    if not confirmed(request):
        refuse_unconfirmed(request)
        return redirect("outreach_campaign", campaign_id=campaign.pk)
    try:
        counts = campaigns.campaign_send(
            shop=request.shop, campaign=campaign, actor=request.user, request=request
        )
    except common.OutreachError as exc:
        messages.error(request, str(exc))
        return redirect("outreach_campaign", campaign_id=campaign.pk)
    if counts is None:  # made in the background: the campaign page shows how far it got
        messages.success(
            request, _("The messages are being made in the background; this page follows them.")
        )
        return redirect("outreach_campaign", campaign_id=campaign.pk)
    messages.success(
        request,
        _("%(queued)s messages ready, %(skipped)s customers skipped (reasons in the log).")
        % counts,
    )
    if campaign.channel == ChannelKind.WALINK:
        return redirect("outreach_queue", campaign_id=campaign.pk)
    return redirect("outreach_campaign", campaign_id=campaign.pk)


def _queue_row(delivery, shop) -> dict:
    """A queue row; its link only while the customer's consent still allows the message
    (checked again, and recorded, when the link is tapped)."""
    row = {"delivery": delivery, "wa_url": "", "again_url": "", "withdrawn": False}
    if delivery.status not in (DeliveryStatus.QUEUED, DeliveryStatus.SENT):
        return row
    channel = get_channel(ChannelKind.WALINK)
    phone = channel.address(delivery.customer)
    if not phone:
        return row
    if not consent_allows(
        shop=shop,
        customer=delivery.customer,
        channel=channel.consent_channel,
        purpose=delivery.purpose,
    ):
        row["withdrawn"] = True
        return row
    url = wa_me_url(phone, delivery.body or "")
    row["wa_url" if delivery.status == DeliveryStatus.QUEUED else "again_url"] = url
    return row


@shop_member
def consent_ask(request):
    """Ask customers for consent one to one: the customers never asked, to pick from
    (or all of them at once); the request becomes a wa.me send queue."""
    if request.method == "POST":
        everyone = request.POST.get("everyone") == "yes"
        picked = [pk for pk in request.POST.getlist("customer") if pk.isdigit()]
        if not everyone and not picked:
            messages.error(request, _("Choose the customers to ask, or ask everyone."))
            return redirect("outreach_consent_ask")
        try:
            campaign = asking.consent_request_create(
                shop=request.shop,
                actor=request.user,
                customer_ids=None if everyone else picked,
                request=request,
            )
        except common.OutreachError as exc:
            messages.error(request, str(exc))
            if len(picked) == 1 and request.POST.get("from") == "customer":
                return redirect("customer_detail", customer_id=int(picked[0]))
            return redirect("outreach_consent_ask")
        messages.success(
            request,
            _("The requests are in the send queue: tap each customer to send it from your phone."),
        )
        return redirect("outreach_queue", campaign_id=campaign.pk)
    customers = selectors.not_asked_customers(shop=request.shop)
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    with_known_as(shop=request.shop, customers=list(page))
    first = page[0] if page.object_list else None
    context = {"page": page, "ways": _ways_to_ask(request), "preview_customer": first}
    if first is not None:
        context["preview"] = campaigns.campaign_preview(
            shop=request.shop,
            campaign_fields={
                "channel": ChannelKind.WALINK,
                "purpose": Purpose.SERVICE,
                "body": asking.consent_request_text(shop=request.shop),
            },
            customer=first,
        )
    return render(request, "outreach/consent_ask.html", context)


@shop_member
def campaign_queue(request, campaign_id: int):
    """The phone-first send queue of a wa.me campaign: one tap per customer."""
    campaign = _campaign_or_404(request, campaign_id)
    if campaign.channel != ChannelKind.WALINK:
        raise Http404
    deliveries = selectors.campaign_deliveries(shop=request.shop, campaign=campaign)
    waiting = deliveries.filter(status=DeliveryStatus.QUEUED).count()
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    with_known_as(shop=request.shop, customers=[d.customer for d in page])
    rows = [_queue_row(d, request.shop) for d in page]
    return render(
        request,
        "outreach/queue.html",
        {"campaign": campaign, "page": page, "rows": rows, "waiting": waiting},
    )


@shop_member
@require_POST
def campaign_queue_mark(request, campaign_id: int, delivery_id: int):
    """A tap on a wa.me link (or the "mark as sent" button): record it as sent."""
    campaign = _campaign_or_404(request, campaign_id)
    try:
        delivery = sending.walink_mark_sent(
            shop=request.shop, delivery_id=delivery_id, campaign_id=campaign.pk
        )
    except Delivery.DoesNotExist:
        raise Http404 from None
    ok = delivery.status == DeliveryStatus.SENT
    with_known_as(shop=request.shop, customers=[delivery.customer])
    if request.headers.get("X-Merdeka-Queue") == "1":
        row = render_to_string(
            "outreach/_queue_row.html",
            {"row": {"delivery": delivery}, "campaign": campaign},
            request=request,
        )
        return JsonResponse(
            {"ok": ok, "url": getattr(delivery, "open_url", "") if ok else "", "row": row}
        )
    if ok:
        messages.success(request, _("Marked as sent."))
    else:
        messages.error(
            request,
            _("Not sent: %(reason)s") % {"reason": delivery.get_status_display()},
        )
    return redirect("outreach_queue", campaign_id=campaign.pk)


@shop_member(owner=True)
def whatsapp_settings(request):
    account = None
    with shop_scope(request.shop):
        account = WhatsAppCloudSettings.objects.filter(shop=request.shop).first()
    initial = {}
    if account is not None:
        initial = {
            "phone_number_id": account.phone_number_id,
            "business_account_id": account.business_account_id,
            "base_url": account.base_url,
            "rate_per_minute": account.rate_per_minute,
        }
    form = WhatsAppSettingsForm(request.POST or None, initial=initial, existing=account)
    if request.method == "POST" and form.is_valid():
        cloudapi.whatsapp_settings_save(
            shop=request.shop, actor=request.user, fields=form.cleaned_data, request=request
        )
        messages.success(request, _("WhatsApp Cloud API settings saved."))
        return redirect("outreach_whatsapp_settings")
    webhook_url = ""
    if account is not None:
        from django.urls import reverse

        webhook_url = common.public_url(reverse("outreach_webhook", args=[account.webhook_key]))
    return render(
        request,
        "outreach/whatsapp_settings.html",
        {
            "form": form,
            "account": account,
            "webhook_url": webhook_url,
            "public_url_warning": _public_url_warning(),
        },
    )


@shop_member(owner=True)
def templates(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cloudapi.template_save(
            shop=request.shop, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("Template saved."))
        return redirect("outreach_templates")
    return render(
        request,
        "outreach/templates.html",
        {"form": form, "templates": selectors.templates_list(shop=request.shop)},
    )


@shop_member(owner=True)
@require_POST
def templates_sync(request):
    try:
        counts = cloudapi.templates_sync(shop=request.shop, actor=request.user, request=request)
    except common.OutreachError as exc:
        messages.error(request, str(exc))
        return redirect("outreach_templates")
    messages.success(
        request,
        _("%(saved)s approved templates saved, %(skipped)s left out.") % counts,
    )
    return redirect("outreach_templates")


@shop_member(owner=True)
@require_POST
def template_delete(request, template_id: int):
    try:
        cloudapi.template_delete(
            shop=request.shop, actor=request.user, template_id=template_id, request=request
        )
    except WhatsAppTemplate.DoesNotExist:
        raise Http404 from None
    except common.OutreachError as exc:
        messages.error(request, str(exc))
        return redirect("outreach_templates")
    messages.success(request, _("Template deleted."))
    return redirect("outreach_templates")


# -- public: no sign-in ----------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, key: str):
    """Meta's webhook for one shop's WhatsApp account (the key in the URL picks it)."""
    with scopes_disabled():
        account = (
            WhatsAppCloudSettings.objects.select_related("shop").filter(webhook_key=key).first()
        )
    if account is None:
        raise Http404
    if request.method == "GET":
        if (
            request.GET.get("hub.mode") == "subscribe"
            and account.verify_token
            and _same(request.GET.get("hub.verify_token", ""), account.verify_token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    body = request.body
    if not signature_valid(
        app_secret=account.app_secret or "",
        body=body,
        header=request.headers.get("X-Hub-Signature-256"),
    ):
        logger.warning("WhatsApp webhook with a bad signature for shop %s", account.shop_id)
        return HttpResponseForbidden()
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    webhooks.webhook_receive(account=account, payload=payload)
    return HttpResponse("ok", content_type="text/plain")


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


@csrf_exempt  # the signed token is the authority; mail apps POST one-click (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    delivery = unsubscribe_lookup(token=token)
    if delivery is None:
        return render(request, "outreach/unsubscribe.html", {"invalid": True}, status=404)
    context = {
        "shop_name": delivery.shop.name,
        "channel": get_channel(delivery.channel).consent_channel,
        "token": token,
    }
    if delivery.unsubscribed_at is not None:
        context["already"] = True
        return render(request, "outreach/unsubscribe.html", context)
    if request.method == "POST":
        unsubscribe_confirm(delivery=delivery)
        context["done"] = True
    return render(request, "outreach/unsubscribe.html", context)
