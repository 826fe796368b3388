"""A campaign sent to a saved segment of the customer workspace."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Segment
from merdeka.customers.services import segment_create, segment_delete
from merdeka.outreach import selectors
from merdeka.outreach.models import Campaign, Delivery, DeliveryStatus
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.common import OutreachError
from merdeka.outreach.tests.conftest import make_customer

FORM = {
    "name": "Promo Bandung",
    "channel": "walink",
    "purpose": "marketing",
    "body": "Halo {nama_depan}, ada promo!",
    "audience_kind": "segment",
}


def campaigns(shop):
    with shop_scope(shop):
        return list(Campaign.objects.all())


@pytest.fixture
def bandung(ika_shop, people):
    """Ika's saved segment of her Bandung customers: Siti, Budi and Eka (not Dewi)."""
    return segment_create(
        shop=ika_shop, actor=None, name="Orang Bandung", filters={"city": "Bandung"}
    )


def test_a_segment_campaign_reaches_exactly_the_segment_and_only_who_agreed(
    ika_client, ika_shop, people, bandung
):
    response = ika_client.post(
        reverse("outreach_campaign_new"), {**FORM, "audience_segment": bandung.pk}
    )
    [campaign] = campaigns(ika_shop)
    assert response["Location"] == reverse("outreach_campaign", args=[campaign.pk])
    assert campaign.audience_kind == Campaign.Audience.SEGMENT
    assert campaign.audience_segment_id == bandung.pk
    audience = selectors.campaign_audience(shop=ika_shop, campaign=campaign)
    expected = {people["siti"].pk, people["budi"].pk, people["eka"].pk}
    assert set(audience.values_list("pk", flat=True)) == expected

    page = ika_client.get(response["Location"]).content.decode()
    assert 'data-testid="audience-total">3<' in page
    # Budi did not agree and Eka has no number: only Siti gets the promotion
    assert 'data-testid="audience-will-get">1<' in page
    assert "Orang Bandung" in page

    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        statuses = dict(
            Delivery.objects.filter(campaign=campaign).values_list("customer_id", "status")
        )
    assert statuses == {
        people["siti"].pk: DeliveryStatus.QUEUED,
        people["budi"].pk: DeliveryStatus.SKIPPED_NO_CONSENT,
        people["eka"].pk: DeliveryStatus.SKIPPED_NO_CONTACT,
    }


def test_the_segment_is_worked_out_when_sending_and_merged_customers_stay_out(
    ika_shop, people, bandung
):
    campaign = campaign_save(
        shop=ika_shop,
        actor=None,
        fields={**FORM, "audience_segment": bandung},
    )
    later = make_customer(
        ika_shop, "Lina Marlina", phone="0811-7777-8888", city="Bandung", consent=("whatsapp",)
    )
    with shop_scope(ika_shop):
        type(later).objects.filter(pk=people["budi"].pk).update(merged_into=people["siti"])
    ids = set(
        selectors.campaign_audience(shop=ika_shop, campaign=campaign).values_list("pk", flat=True)
    )
    assert ids == {people["siti"].pk, people["eka"].pk, later.pk}


def test_a_segment_is_required_and_another_shops_segment_is_refused(
    ika_client, ika_shop, citra_shop, people
):
    theirs = segment_create(shop=citra_shop, actor=None, name="Milik Citra", filters={})
    missing = ika_client.post(reverse("outreach_campaign_new"), FORM).content.decode()
    assert "Pilih segmen tujuan pesan ini." in missing
    foreign = ika_client.post(
        reverse("outreach_campaign_new"), {**FORM, "audience_segment": theirs.pk}
    ).content.decode()
    assert "Segmen itu tidak ada di toko ini." in foreign
    assert "Milik Citra" not in foreign
    assert campaigns(ika_shop) == []
    with pytest.raises(OutreachError):
        campaign_save(shop=ika_shop, actor=None, fields={**FORM, "audience_segment": theirs})
    assert campaigns(ika_shop) == []


def test_the_segment_is_dropped_when_another_audience_is_chosen(ika_client, ika_shop, bandung):
    ika_client.post(
        reverse("outreach_campaign_new"),
        {**FORM, "audience_kind": "all", "audience_segment": bandung.pk},
    )
    [campaign] = campaigns(ika_shop)
    assert campaign.audience_kind == Campaign.Audience.ALL
    assert campaign.audience_segment_id is None


def test_a_deleted_segment_reaches_nobody_and_the_campaign_page_says_so(
    ika_client, ika_shop, people, bandung
):
    campaign = campaign_save(
        shop=ika_shop, actor=None, fields={**FORM, "audience_segment": bandung}
    )
    segment_delete(shop=ika_shop, actor=None, segment=bandung)
    with shop_scope(ika_shop):
        campaign.refresh_from_db()
    assert campaign.audience_kind == Campaign.Audience.SEGMENT
    assert campaign.audience_segment_id is None
    assert selectors.campaign_audience(shop=ika_shop, campaign=campaign).count() == 0
    page = ika_client.get(reverse("outreach_campaign", args=[campaign.pk])).content.decode()
    assert 'data-testid="audience-problem"' in page
    assert "Segmen kampanye ini sudah dihapus" in page
    assert 'data-testid="audience-total">0<' in page
    # sending is refused instead of quietly sending to nobody (or to everybody)
    response = ika_client.post(
        reverse("outreach_campaign_send", args=[campaign.pk]), {"confirmed": "yes"}
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        campaign.refresh_from_db()
        assert Delivery.objects.filter(campaign=campaign).count() == 0
    assert campaign.state == Campaign.State.DRAFT


def test_a_segment_whose_filters_no_longer_validate_reaches_nobody(ika_shop, people):
    with shop_scope(ika_shop):
        broken = Segment.objects.create(shop=ika_shop, name="Rusak", filters={"orders_min": "-3"})
    campaign = campaign_save(shop=ika_shop, actor=None, fields={**FORM, "audience_segment": broken})
    assert selectors.campaign_audience(shop=ika_shop, campaign=campaign).count() == 0
    assert selectors.audience_problem(shop=ika_shop, campaign=campaign) == "invalid"
    with pytest.raises(OutreachError):
        campaign_send(shop=ika_shop, campaign=campaign)


def test_segmen_in_the_address_preselects_the_segment(ika_client, ika_shop, citra_shop, bandung):
    page = ika_client.get(
        reverse("outreach_campaign_new") + f"?segmen={bandung.pk}"
    ).content.decode()
    assert 'name="audience_kind" value="segment"' in page
    assert f'<option value="{bandung.pk}" selected>Orang Bandung</option>' in page
    for radio in page.split('name="audience_kind"')[1:]:
        assert ("checked" in radio.split(">")[0]) == radio.startswith(' value="segment"')

    theirs = segment_create(shop=citra_shop, actor=None, name="Milik Citra", filters={})
    other = ika_client.get(
        reverse("outreach_campaign_new") + f"?segmen={theirs.pk}"
    ).content.decode()
    assert "Milik Citra" not in other
    assert "selected>Orang Bandung" not in other
    assert 'value="segment" checked' not in other.replace("\n", " ")


def test_editing_keeps_the_chosen_segment(ika_client, ika_shop, bandung):
    campaign = campaign_save(
        shop=ika_shop, actor=None, fields={**FORM, "audience_segment": bandung}
    )
    page = ika_client.get(reverse("outreach_campaign_edit", args=[campaign.pk])).content.decode()
    assert f'<option value="{bandung.pk}" selected>Orang Bandung</option>' in page


def test_the_segment_page_links_to_the_composer_with_the_segment(ika_client, bandung):
    page = ika_client.get(reverse("segment_detail", args=[bandung.pk])).content.decode()
    link = reverse("outreach_campaign_new") + f"?segmen={bandung.pk}"
    assert f'href="{link}"' in page
    assert "Kirim pesan ke segmen ini" in page
    composer = ika_client.get(link).content.decode()
    assert f'<option value="{bandung.pk}" selected>Orang Bandung</option>' in composer
