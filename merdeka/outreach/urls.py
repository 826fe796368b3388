from django.urls import path

from merdeka.outreach import views

urlpatterns = [
    path("kampanye/", views.campaign_list, name="outreach_campaigns"),
    path("kampanye/baru/", views.campaign_new, name="outreach_campaign_new"),
    path("kampanye/pratinjau/", views.campaign_preview, name="outreach_preview"),
    path("kampanye/minta-izin/", views.consent_ask, name="outreach_consent_ask"),
    path("kampanye/<int:campaign_id>/", views.campaign_detail, name="outreach_campaign"),
    path("kampanye/<int:campaign_id>/ubah/", views.campaign_edit, name="outreach_campaign_edit"),
    path("kampanye/<int:campaign_id>/kirim/", views.campaign_send, name="outreach_campaign_send"),
    path("kampanye/<int:campaign_id>/antrean/", views.campaign_queue, name="outreach_queue"),
    path(
        "kampanye/<int:campaign_id>/antrean/<int:delivery_id>/terkirim/",
        views.campaign_queue_mark,
        name="outreach_queue_mark",
    ),
    path("kampanye/whatsapp-api/", views.whatsapp_settings, name="outreach_whatsapp_settings"),
    path("kampanye/whatsapp-api/template/", views.templates, name="outreach_templates"),
    path(
        "kampanye/whatsapp-api/template/ambil/",
        views.templates_sync,
        name="outreach_templates_sync",
    ),
    path(
        "kampanye/whatsapp-api/template/<int:template_id>/hapus/",
        views.template_delete,
        name="outreach_template_delete",
    ),
    # public: Meta calls the webhook; customers open unsubscribe links
    path("wa/webhook/<str:key>/", views.webhook, name="outreach_webhook"),
    path("berhenti/<str:token>/", views.unsubscribe, name="outreach_unsubscribe"),
]
