"""Another shop's owner can neither see nor change this shop's campaigns and messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Campaign, Delivery, WhatsAppCloudSettings, WhatsAppTemplate
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.cloudapi import template_save
from merdeka.outreach.services.common import OutreachError
from merdeka.outreach.tests.conftest import make_customer


def state(shop):
    with shop_scope(shop):
        return (
            sorted(Campaign.objects.values_list("pk", "state", "name", "body")),
            sorted(Delivery.objects.values_list("pk", "status", "attempts", "sent_at")),
            sorted(WhatsAppTemplate.objects.values_list("pk", "name")),
            sorted(WhatsAppCloudSettings.objects.values_list("phone_number_id", "rate_per_minute")),
        )


@pytest.fixture
def ika_outreach(ika_shop, cloud):
    siti = make_customer(ika_shop, "Siti Rahasia", phone="0812-1111-2222", consent=("whatsapp",))
    draft = campaign_save(
        shop=ika_shop,
        actor=None,
        fields={
            "name": "Rahasia Ika",
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo {nama}",
            "audience_kind": "all",
        },
    )
    sent = campaign_save(
        shop=ika_shop,
        actor=None,
        fields={
            "name": "Terkirim Ika",
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo {nama}",
            "audience_kind": "all",
        },
    )
    campaign_send(shop=ika_shop, campaign=sent)
    template = template_save(
        shop=ika_shop,
        actor=None,
        name="rahasia",
        language="id",
        category="MARKETING",
        body="Halo {{1}} BERHENTI",
    )
    with shop_scope(ika_shop):
        delivery = Delivery.objects.get(campaign=sent)
    return {"draft": draft, "sent": sent, "delivery": delivery, "template": template, "siti": siti}


def test_another_owner_gets_404_and_changes_nothing(
    citra_client, citra_shop, ika_shop, ika_outreach
):
    o = ika_outreach
    before = state(ika_shop)
    gets = [
        reverse("outreach_campaign", args=[o["draft"].pk]),
        reverse("outreach_campaign", args=[o["sent"].pk]),
        reverse("outreach_campaign_edit", args=[o["draft"].pk]),
        reverse("outreach_queue", args=[o["sent"].pk]),
    ]
    posts = [
        *gets[2:3],
        reverse("outreach_campaign_send", args=[o["draft"].pk]),
        reverse("outreach_queue_mark", args=[o["sent"].pk, o["delivery"].pk]),
        reverse("outreach_template_delete", args=[o["template"].pk]),
    ]
    for url in gets:
        response = citra_client.get(url)
        assert response.status_code == 404, url
        assert "Rahasia" not in response.content.decode()
    for url in posts:
        response = citra_client.post(url, {"name": "diubah", "body": "x"}, HTTP_X_MERDEKA_QUEUE="1")
        assert response.status_code == 404, url
    for url in (
        reverse("outreach_campaigns"),
        reverse("outreach_templates"),
        reverse("outreach_whatsapp_settings"),
    ):
        page = citra_client.get(url).content.decode()
        assert "Rahasia" not in page and "rahasia" not in page and "Terkirim Ika" not in page
    # Citra's own settings and sync touch only Citra's shop
    citra_client.post(reverse("outreach_templates_sync"))
    assert state(ika_shop) == before


def test_a_campaign_cannot_use_another_shops_template(citra_shop, ika_outreach):
    with pytest.raises(OutreachError):
        campaign_save(
            shop=citra_shop,
            actor=None,
            fields={
                "name": "x",
                "channel": "cloudapi",
                "purpose": "marketing",
                "body": "",
                "template": ika_outreach["template"],
                "template_params": ["{nama}"],
                "audience_kind": "all",
            },
        )


def test_a_chosen_audience_never_reaches_another_shops_customers(citra_shop, ika_outreach):
    from merdeka.outreach.selectors import campaign_audience

    campaign = campaign_save(
        shop=citra_shop,
        actor=None,
        fields={
            "name": "x",
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo",
            "audience_kind": "chosen",
            "audience_ids": [ika_outreach["siti"].pk],
        },
    )
    assert list(campaign_audience(shop=citra_shop, campaign=campaign)) == []
