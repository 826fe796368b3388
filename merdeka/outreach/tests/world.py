"""Outreach objects of the first shop for the cross-shop walk (core/tests/crossshop.py)."""

from __future__ import annotations

from merdeka.core.scoping import shop_scope


def outreach_world(world: dict) -> dict:
    """A campaign, a queued wa.me message and a template of ``world["shop"]``, made once."""
    if "outreach" in world:
        return world["outreach"]
    from merdeka.outreach.models import (
        Campaign,
        Delivery,
        WhatsAppCloudSettings,
        WhatsAppTemplate,
    )

    shop, customer = world["shop"], world["customer"]
    with shop_scope(shop):
        campaign = Campaign.objects.create(
            shop=shop,
            name="Kanari Rahasia Ika promo",
            channel="walink",
            body="Halo {nama}, Kanari Rahasia Ika",
            state=Campaign.State.SENDING,
        )
        draft = Campaign.objects.create(
            shop=shop, name="Kanari Rahasia Ika draf", channel="walink", body="Halo {nama}"
        )
        delivery = Delivery.objects.create(
            shop=shop,
            campaign=campaign,
            customer=customer,
            channel="walink",
            purpose="service",
            body="Kanari Rahasia Ika",
        )
        template = WhatsAppTemplate.objects.create(
            shop=shop, name="kanari_rahasia_ika", body="Kanari Rahasia Ika {{1}} BERHENTI"
        )
        WhatsAppCloudSettings.objects.create(
            shop=shop, phone_number_id="1234567890", access_token="t", app_secret="s"
        )
    world["outreach"] = {
        "campaign": campaign,
        "draft": draft,
        "delivery": delivery,
        "template": template,
    }
    return world["outreach"]
