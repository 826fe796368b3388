"""Outreach's background tasks: each one only calls a service.

The services enqueue these tasks, so each task imports its service inside the function
(the way HackSoft's styleguide breaks the cycle between tasks and services)."""

from __future__ import annotations

from django_tasks import task

from merdeka.core.models import Shop


@task()
def send_delivery(shop_id: int, delivery_id: int) -> str:
    """Send one queued message (a campaign's or an order-service one)."""
    from merdeka.outreach.services.sending import delivery_send  # cycle: see above

    shop = Shop.objects.get(pk=shop_id)
    delivery = delivery_send(shop=shop, delivery_id=delivery_id)
    return delivery.status if delivery is not None else "missing"


@task()
def send_due_deliveries() -> int:
    """Catch up on every message whose retry time has come."""
    from merdeka.outreach.services.sending import deliveries_send_due  # cycle: see above

    return deliveries_send_due()


@task()
def prepare_campaign(shop_id: int, campaign_id: int) -> dict:
    """Make a sending campaign's messages (safe to run again: see campaign_prepare)."""
    from merdeka.outreach.services.campaigns import campaign_prepare  # cycle: see above

    shop = Shop.objects.get(pk=shop_id)
    return campaign_prepare(shop=shop, campaign_id=campaign_id)
