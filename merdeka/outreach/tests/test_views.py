"""The seller's pages: composer, preview, campaign page, settings, templates."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach import selectors
from merdeka.outreach.models import Campaign, Delivery, WhatsAppCloudSettings, WhatsAppTemplate
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.cloudapi import template_save
from merdeka.outreach.tests.conftest import make_customer
from merdeka.privacy.models import AuditEvent

FORM = {
    "name": "PO Nastar",
    "channel": "walink",
    "purpose": "marketing",
    "body": "Halo {nama_depan}, PO {produk_terakhir} dibuka!",
    "audience_kind": "all",
}


def campaigns(shop):
    with shop_scope(shop):
        return list(Campaign.objects.all())


def test_the_composer_saves_a_draft(ika_client, ika_shop, people):
    response = ika_client.post(reverse("outreach_campaign_new"), FORM)
    [campaign] = campaigns(ika_shop)
    assert response["Location"] == reverse("outreach_campaign", args=[campaign.pk])
    assert campaign.state == Campaign.State.DRAFT and campaign.body == FORM["body"]
    page = ika_client.get(response["Location"]).content.decode()
    assert "Halo Siti" in page or "Halo Budi" in page or "Halo Dewi" in page or "Halo Eka" in page
    with shop_scope(ika_shop):
        assert AuditEvent.objects.filter(action="outreach.campaign_saved").count() == 1


def test_an_unknown_placeholder_is_refused_in_indonesian_and_nothing_is_saved(ika_client, ika_shop):
    response = ika_client.post(
        reverse("outreach_campaign_new"), {**FORM, "body": "Halo {nama}, diskon {diskon}"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Penanda tidak dikenal: {diskon}" in page
    assert campaigns(ika_shop) == []


def test_bad_input_gets_clear_messages(ika_client, ika_shop):
    cases = [
        ({"channel": "email", "subject": ""}, "Email perlu subjek."),
        ({"body": ""}, "Tulis pesannya."),
        ({"audience_kind": "city", "audience_city": ""}, "Tulis kotanya."),
        ({"audience_kind": "chosen", "audience_phones": "0812-9999-0000"}, "baris 1"),
    ]
    for change, message in cases:
        page = ika_client.post(
            reverse("outreach_campaign_new"), {**FORM, **change}
        ).content.decode()
        assert message in page, message
    assert campaigns(ika_shop) == []


def test_customers_can_be_chosen_by_their_numbers(ika_client, ika_shop, people):
    ika_client.post(
        reverse("outreach_campaign_new"),
        {**FORM, "audience_kind": "chosen", "audience_phones": "+62 812 1111 2222\n\n085755556666"},
    )
    [campaign] = campaigns(ika_shop)
    assert sorted(campaign.audience_ids) == sorted([people["siti"].pk, people["dewi"].pk])


def test_the_preview_shows_the_message_for_the_chosen_customer(ika_client, ika_shop, people):
    response = ika_client.post(
        reverse("outreach_preview"),
        {**FORM, "customer": people["dewi"].pk},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "Halo Dewi, PO produk kami dibuka!" in page
    assert "wa.me/6285755556666" in page
    assert "/berhenti/contoh/" in page  # an example link, not a real one
    with shop_scope(ika_shop):
        assert not Delivery.objects.exists()


def test_the_preview_works_without_javascript_too(ika_client, ika_shop, people):
    response = ika_client.post(reverse("outreach_preview"), {**FORM, "customer": people["siti"].pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="composer"' in page and "Halo Siti, PO produk kami dibuka!" in page


def test_hostile_text_is_shown_as_text(ika_client, ika_shop):
    customer = make_customer(ika_shop, "<script>alert(1)</script>", phone="0812-7777-8888")
    response = ika_client.post(
        reverse("outreach_preview"),
        {**FORM, "body": '=HYPERLINK("x") <b>{nama}</b>', "customer": customer.pk},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<b>" not in page


def test_another_shops_customer_cannot_be_previewed(citra_client, citra_shop, people):
    response = citra_client.post(
        reverse("outreach_preview"), {**FORM, "customer": people["siti"].pk}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "Siti" not in page and "tidak ada di toko ini" in page


def test_sending_a_walink_campaign_leads_to_the_queue(ika_client, ika_shop, people):
    campaign = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    response = ika_client.post(
        reverse("outreach_campaign_send", args=[campaign.pk]), {"confirmed": "yes"}
    )
    assert response["Location"] == reverse("outreach_queue", args=[campaign.pk])
    page = ika_client.get(reverse("outreach_campaign", args=[campaign.pk])).content.decode()
    assert "count-sent" not in page and "Menunggu: <strong>2</strong>" in page
    assert "Dilewati: tidak ada persetujuan: <strong>1</strong>" in page
    # a sent campaign cannot be edited any more
    assert (
        ika_client.post(reverse("outreach_campaign_edit", args=[campaign.pk]), FORM).status_code
        == 302
    )
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_staff_compose_but_only_owners_hold_the_whatsapp_keys(rina_client, ika_shop):
    assert rina_client.get(reverse("outreach_campaign_new")).status_code == 200
    for name in ("outreach_whatsapp_settings", "outreach_templates"):
        assert rina_client.get(reverse(name)).status_code == 403
        assert rina_client.post(reverse(name), {}).status_code == 403


def test_the_whatsapp_settings_keep_secrets_encrypted_and_show_the_webhook(
    ika_client, ika_shop, settings
):
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    form = {
        "phone_number_id": "106540352242922",
        "business_account_id": "",
        "access_token": "EAAG-secret",
        "app_secret": "appsecret-xyz",
        "base_url": "https://graph.facebook.com/v21.0",
        "rate_per_minute": "30",
    }
    assert (
        "Wajib diisi"
        in ika_client.post(
            reverse("outreach_whatsapp_settings"), {**form, "access_token": ""}
        ).content.decode()
    )
    ika_client.post(reverse("outreach_whatsapp_settings"), form)
    with shop_scope(ika_shop):
        account = WhatsAppCloudSettings.objects.get()
        raw = WhatsAppCloudSettings.objects.values_list("access_token", "app_secret").get()
    assert account.access_token == "EAAG-secret" and account.rate_per_minute == 30
    assert all("secret" not in value.token for value in raw)
    page = ika_client.get(reverse("outreach_whatsapp_settings")).content.decode()
    assert "EAAG-secret" not in page and "appsecret-xyz" not in page
    assert f"https://toko.example.id/wa/webhook/{account.webhook_key}/" in page
    assert account.verify_token in page


def test_a_marketing_template_must_say_how_to_stop(ika_client, ika_shop):
    form = {
        "name": "promo_po",
        "language": "id",
        "category": "MARKETING",
        "body": "Halo {{1}}, PO dibuka",
    }
    page = ika_client.post(reverse("outreach_templates"), form).content.decode()
    assert "BERHENTI" in page
    assert "harus memberi tahu cara berhenti" in page
    ika_client.post(
        reverse("outreach_templates"), {**form, "body": "Halo {{1}}, PO dibuka. Balas STOP."}
    )
    bad = ika_client.post(
        reverse("outreach_templates"), {**form, "name": "Promo PO!"}
    ).content.decode()
    assert "huruf kecil" in bad
    gap = ika_client.post(
        reverse("outreach_templates"), {**form, "name": "x", "body": "{{1}} {{3}} STOP"}
    ).content.decode()
    assert "tanpa loncat" in gap
    with shop_scope(ika_shop):
        assert list(WhatsAppTemplate.objects.values_list("name", flat=True)) == ["promo_po"]


def test_a_template_in_use_cannot_be_deleted(ika_client, ika_shop):
    template = template_save(
        shop=ika_shop,
        actor=None,
        name="promo",
        language="id",
        category="MARKETING",
        body="Halo {{1}} BERHENTI",
    )
    campaign_save(
        shop=ika_shop,
        actor=None,
        fields={**FORM, "channel": "cloudapi", "template": template, "template_params": ["{nama}"]},
    )
    ika_client.post(reverse("outreach_template_delete", args=[template.pk]))
    with shop_scope(ika_shop):
        assert WhatsAppTemplate.objects.filter(pk=template.pk).exists()


def test_a_cloud_campaign_needs_a_value_per_template_parameter(ika_client, ika_shop):
    template = template_save(
        shop=ika_shop,
        actor=None,
        name="promo",
        language="id",
        category="MARKETING",
        body="Halo {{1}}, {{2}} BERHENTI",
    )
    page = ika_client.post(
        reverse("outreach_campaign_new"),
        {**FORM, "channel": "cloudapi", "template": template.pk, "template_params": "{nama}"},
    ).content.decode()
    assert "perlu 2 isian" in page
    assert campaigns(ika_shop) == []


def test_the_customer_page_include_lists_their_messages(rf, ika, ika_shop, people):
    campaign = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    campaign_send(shop=ika_shop, campaign=campaign)
    request = rf.get("/")
    request.user = ika
    html = render_to_string(
        "outreach/_customer_deliveries.html",
        {
            "deliveries": selectors.customer_deliveries(shop=ika_shop, customer=people["budi"]),
            "customer": people["budi"],
            "current_shop": ika_shop,
        },
        request=request,
    )
    assert "PO Nastar" in html and "Dilewati: tidak ada persetujuan" in html
    assert f"?pelanggan={people['budi'].pk}" in html


def test_a_message_to_one_customer_starts_from_their_page(
    client, ika, citra, citra_shop, ika_shop, people
):
    siti = people["siti"]
    client.force_login(ika)
    ika_client = client
    page = ika_client.get(
        reverse("outreach_campaign_new") + f"?pelanggan={siti.pk}"
    ).content.decode()
    assert "Siti Nurhaliza" in page.split('data-testid="chosen-customers"')[1].split("</p>")[0]
    ika_client.post(
        reverse("outreach_campaign_new"),
        {**FORM, "audience_kind": "chosen", "audience_ids": str(siti.pk)},
    )
    [campaign] = campaigns(ika_shop)
    assert campaign.audience_ids == [siti.pk]
    # another shop's customer id is neither shown nor usable
    client.force_login(citra)
    citra_client = client
    other = citra_client.get(reverse("outreach_campaign_new") + f"?pelanggan={siti.pk}")
    assert "Siti" not in other.content.decode()
    refused = citra_client.post(
        reverse("outreach_campaign_new"),
        {**FORM, "audience_kind": "chosen", "audience_ids": str(siti.pk)},
    ).content.decode()
    assert "Tulis paling tidak satu nomor pelanggan." in refused


def test_a_stop_link_on_this_computer_is_explained_in_words_not_a_setting_name(
    ika_client, ika_shop, settings
):
    settings.MERDEKA_PUBLIC_URL = ""
    campaign = campaign_save(
        shop=ika_shop,
        actor=None,
        fields={"name": "Promo", "channel": "walink", "purpose": "marketing", "body": "Halo"},
    )
    page = ika_client.get(reverse("outreach_campaign", args=[campaign.pk])).content.decode()
    assert "MERDEKA_PUBLIC_URL" not in page and "127.0.0.1" not in page
    assert "Minta pengelola Merdeka mengatur alamat publik toko" in page
