from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Segment
from merdeka.customers.selectors import FilterError, segment_customers
from merdeka.orders.models import OrderLine
from merdeka.outreach.channels import get_channel
from merdeka.outreach.models import (
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
    WhatsAppTemplate,
)
from merdeka.privacy.consent import consented_customer_ids


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
    """How many customers the campaign reaches, without decrypting anyone."""
    channel = get_channel(campaign.channel)
    with shop_scope(shop):
        audience = campaign_audience(shop=shop, campaign=campaign)
        total = audience.count()
        if campaign.channel == ChannelKind.EMAIL:
            reachable = audience.filter(email_index__isnull=False)
        else:
            reachable = audience.filter(phone_index__isnull=False)
        if campaign.purpose == Purpose.MARKETING:
            consenting = reachable.filter(
                pk__in=consented_customer_ids(shop=shop, channel=channel.consent_channel)
            ).count()
        else:
            consenting = reachable.count()
        return {"total": total, "reachable": reachable.count(), "will_get": consenting}


def campaign_list(*, shop):
    with shop_scope(shop):
        return (
            Campaign.objects.filter(shop=shop)
            .annotate(recipients=Count("deliveries"))
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
