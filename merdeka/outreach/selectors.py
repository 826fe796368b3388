from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Segment
from merdeka.customers.selectors import FilterError, segment_customers
from merdeka.orders.models import OrderLine
from merdeka.outreach.channels import get_channel
from merdeka.outreach.models import (
    SENT_STATUSES,
    SKIPPED_STATUSES,
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
    WhatsAppTemplate,
)
from merdeka.privacy.consent import restricted_customer_ids
from merdeka.privacy.models import Consent, ConsentChannel


def campaign_audience(*, shop, campaign):
    """The customers a campaign is for, as a queryset.

    The one place an audience is worked out: all customers, the customers of one
    city, customers chosen by hand, or the customers of a saved segment as it stands
    now. A segment that was deleted, or whose filters no longer validate, reaches
    nobody (fails closed) rather than everybody.
    """
    with shop_scope(shop):
        customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
        if campaign.audience_kind == Campaign.Audience.SEGMENT:
            segment = campaign_segment(shop=shop, campaign=campaign)
            if segment is None:
                return customers.none()
            try:
                members = segment_customers(shop=shop, segment=segment)
            except FilterError:
                return customers.none()
            customers = members.filter(merged_into__isnull=True)
        elif campaign.audience_kind == Campaign.Audience.CITY:
            # the city is sealed: found through its blind index (any case, any spacing)
            index = Customer._meta.get_field("city_index").index_for(
                shop.pk, campaign.audience_city
            )
            customers = customers.filter(city_index=index) if index else customers.none()
        elif campaign.audience_kind == Campaign.Audience.CHOSEN:
            customers = customers.filter(pk__in=[int(i) for i in campaign.audience_ids])
        return customers.order_by("pk")


def campaign_segment(*, shop, campaign):
    """The saved segment a segment campaign is for; None when it was deleted (or,
    defensively, belongs to another shop)."""
    if campaign.audience_segment_id is None:
        return None
    with shop_scope(shop):
        return Segment.objects.filter(shop=shop, pk=campaign.audience_segment_id).first()


def audience_problem(*, shop, campaign) -> str:
    """Why a segment campaign reaches nobody ("" when it is fine): for the campaign page."""
    if campaign.audience_kind != Campaign.Audience.SEGMENT:
        return ""
    segment = campaign_segment(shop=shop, campaign=campaign)
    if segment is None:
        return "deleted"
    try:
        segment_customers(shop=shop, segment=segment)
    except FilterError:
        return "invalid"
    return ""


def with_last_product(customers, *, shop):
    """Annotate ``last_product``: the first line of the customer's latest order."""
    with shop_scope(shop):
        last = (
            OrderLine.objects.filter(shop=shop, order__customer=OuterRef("pk"))
            .order_by("-order__ordered_at", "-order_id", "position")
            .values("name")[:1]
        )
        return customers.annotate(last_product=Subquery(last))


def audience_summary(*, shop, campaign) -> dict:
    """Who of the audience the campaign reaches, and why each of the others is left
    out, without decrypting anyone: for the seller to read before sending.

    The reasons follow the order in which a send decides (``campaign_prepare``), so
    the numbers add up to ``total`` and match the delivery log afterwards:
    ``opted_out`` (said no, or replied STOP), ``not_asked`` (no choice recorded for
    this channel: every imported customer starts so), ``restricted`` (processing on
    hold), ``no_contact`` (no number, or no email), ``will_get``. ``askable`` is how
    many of the not asked could be asked one to one on WhatsApp (they have a number
    and are not on hold); ``reachable`` counts those with a number or email at all.
    """
    channel = get_channel(campaign.channel)
    contact = "email_index" if campaign.channel == ChannelKind.EMAIL else "phone_index"
    with shop_scope(shop):
        audience = campaign_audience(shop=shop, campaign=campaign)
        held = restricted_customer_ids(shop=shop)
        summary = dict.fromkeys(
            ("opted_out", "not_asked", "restricted", "no_contact", "askable"), 0
        )
        summary["total"] = audience.count()
        summary["reachable"] = audience.filter(**{f"{contact}__isnull": False}).count()
        if campaign.purpose == Purpose.MARKETING:
            choices = Consent.objects.filter(shop=shop, channel=channel.consent_channel)
            summary["opted_out"] = audience.filter(
                pk__in=choices.filter(granted=False).values("customer_id")
            ).count()
            not_asked = audience.exclude(pk__in=choices.values("customer_id"))
            summary["not_asked"] = not_asked.count()
            if channel.consent_channel == "whatsapp":
                summary["askable"] = (
                    not_asked.filter(phone_index__isnull=False).exclude(pk__in=held).count()
                )
            candidates = audience.filter(pk__in=choices.filter(granted=True).values("customer_id"))
        else:
            candidates = audience
        summary["restricted"] = candidates.filter(pk__in=held).count()
        candidates = candidates.exclude(pk__in=held)
        summary["no_contact"] = candidates.filter(**{f"{contact}__isnull": True}).count()
        summary["will_get"] = candidates.filter(**{f"{contact}__isnull": False}).count()
        return summary


def not_asked_customers(*, shop):
    """The customers a one-to-one WhatsApp request for consent can go to: live, with a
    number, never asked about WhatsApp promotions (no choice recorded, either way: a
    "no" is never asked again), and not on hold. A queryset, oldest first."""
    with shop_scope(shop):
        return (
            Customer.objects.filter(shop=shop, merged_into__isnull=True, phone_index__isnull=False)
            .exclude(
                pk__in=Consent.objects.filter(shop=shop, channel=ConsentChannel.WHATSAPP).values(
                    "customer_id"
                )
            )
            .exclude(pk__in=restricted_customer_ids(shop=shop))
            .order_by("pk")
        )


def campaign_list(*, shop):
    """The shop's campaigns, newest first, each with how many messages actually left
    (``sent``: sent, delivered or read) and how many customers it could not reach
    (``not_reached``: skipped for a reason, or failed). A campaign that reached
    nobody says so, instead of counting everyone it was meant for."""
    missed = {*SKIPPED_STATUSES, DeliveryStatus.FAILED}
    with shop_scope(shop):
        return (
            Campaign.objects.filter(shop=shop)
            .annotate(
                sent=Count("deliveries", filter=Q(deliveries__status__in=SENT_STATUSES)),
                not_reached=Count("deliveries", filter=Q(deliveries__status__in=missed)),
            )
            .order_by("-created_at", "-id")
        )


def campaign_get(*, shop, campaign_id: int) -> Campaign:
    with shop_scope(shop):
        return Campaign.objects.select_related("template").get(shop=shop, pk=campaign_id)


def campaign_deliveries(*, shop, campaign):
    with shop_scope(shop):
        return (
            Delivery.objects.filter(shop=shop, campaign=campaign)
            .select_related("customer")
            .order_by("id")
        )


def campaign_status_counts(*, shop, campaign) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status the campaign's messages are in."""
    with shop_scope(shop):
        counts = dict(
            Delivery.objects.filter(shop=shop, campaign=campaign)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
    return [(s.value, s.label, counts[s.value]) for s in DeliveryStatus if counts.get(s.value)]


def customer_deliveries(*, shop, customer, limit: int = 50):
    """The messages sent (or not) to one customer, newest first, for their page."""
    with shop_scope(shop):
        return list(
            Delivery.objects.filter(shop=shop, customer=customer)
            .select_related("campaign")
            .order_by("-created_at", "-id")[:limit]
        )


def segments_list(*, shop):
    """The shop's saved segments, by name, for the composer's segment select."""
    with shop_scope(shop):
        return Segment.objects.filter(shop=shop).order_by("name", "id")


def templates_list(*, shop):
    with shop_scope(shop):
        return WhatsAppTemplate.objects.filter(shop=shop)


def preview_customers(*, shop, campaign=None, limit: int = 30):
    """A few customers to preview a message for (of the audience when it is known)."""
    with shop_scope(shop):
        if campaign is not None:
            customers = campaign_audience(shop=shop, campaign=campaign)
        else:
            customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
        return list(customers.order_by("-pk")[:limit])
