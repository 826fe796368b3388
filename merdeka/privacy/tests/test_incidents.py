"""The breach register and the 3 x 24-hour duty of UU PDP art. 46."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from merdeka.customers.resolution import customer_merge
from merdeka.customers.services import customer_create
from merdeka.orders.models import Order
from merdeka.privacy import incidents
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import AuditEvent, Incident
from merdeka.privacy.rights import customer_erase

JAYAPURA = zoneinfo.ZoneInfo("Asia/Jayapura")


@pytest.fixture
def people(ika_shop):
    return {
        name: customer_create(
            shop=ika_shop,
            name=name,
            phone=f"+62813000000{i:02d}",
            email=f"{name.split()[0].lower()}@contoh.id",
        )
        for i, name in enumerate(["Ani Lestari", "Budi Santoso", "Cici Paramita", "Dedi Kusuma"])
    }


def at(monkeypatch, when: dt.datetime):
    """Audit events (and rows) written now get ``when`` as their time."""
    monkeypatch.setattr(timezone, "now", lambda: when)


def record(shop, actor, **kwargs):
    values = {
        "what_happened": "HP toko dicuri di pasar",
        "found_at": timezone.now() - dt.timedelta(hours=1),
        "categories": ["name", "phone"],
        "measures": "Kata sandi sudah diganti dan verifikasi dua langkah dinyalakan.",
        "contact": "WhatsApp 0812-1111-2222",
        "scope": "all",
    }
    return incidents.incident_record(shop=shop, actor=actor, **(values | kwargs))


def test_a_window_lists_whose_data_was_opened_in_it_from_the_audit_log(
    ika_shop, ika, rina, people, monkeypatch, in_shop
):
    ani, budi, cici, dedi = people.values()
    with in_shop(ika_shop):
        order = Order.objects.create(
            shop=ika_shop,
            channel="shopee",
            external_id="SHP-1",
            customer=budi,
            ordered_at=timezone.now(),
            total=10000,
        )
    start = timezone.now() + dt.timedelta(days=1)
    at(monkeypatch, start - dt.timedelta(hours=2))  # before the window: not listed
    audit_record(action="customer.viewed", shop=ika_shop, actor=rina, target=cici)
    at(monkeypatch, start + dt.timedelta(hours=1))
    audit_record(action="customer.viewed", shop=ika_shop, actor=rina, target=ani)
    audit_record(action="order.viewed", shop=ika_shop, actor=rina, target=order)
    audit_record(action="customer.data_exported", shop=ika_shop, actor=ika, target=dedi)
    monkeypatch.undo()
    end = start + dt.timedelta(hours=3)

    found = incidents.affected_from_audit(shop=ika_shop, start=start, end=end)
    assert found.customer_ids == {ani.pk, budi.pk, dedi.pk}
    assert found.reads == 3 and found.exports == 0
    # what one account opened, when that account is the one that was misused
    only_rina = incidents.affected_from_audit(shop=ika_shop, start=start, end=end, actor=rina)
    assert only_rina.customer_ids == {ani.pk, budi.pk}

    # a customer merged since is listed as the one they were merged into
    with in_shop(ika_shop):
        customer_merge(shop=ika_shop, survivor=cici, absorbed=ani, reason="phone")
    found = incidents.affected_from_audit(shop=ika_shop, start=start, end=end)
    assert found.customer_ids == {cici.pk, budi.pk, dedi.pk}
    # an erased one is gone
    customer_erase(shop=ika_shop, customer_id=dedi.pk, actor=ika)
    found = incidents.affected_from_audit(shop=ika_shop, start=start, end=end)
    assert found.customer_ids == {cici.pk, budi.pk}


def test_an_export_in_the_window_counts_everyone_who_was_a_customer_then(
    ika_shop, ika, people, monkeypatch
):
    start = timezone.now() + dt.timedelta(days=1)
    at(monkeypatch, start + dt.timedelta(minutes=5))
    audit_record(action="export.created", shop=ika_shop, actor=ika, detail={"customers": 4})
    at(monkeypatch, start + dt.timedelta(minutes=10))
    later = customer_create(shop=ika_shop, name="Eka Baru")
    monkeypatch.undo()
    found = incidents.affected_from_audit(
        shop=ika_shop, start=start, end=start + dt.timedelta(hours=1)
    )
    assert found.exports == 1
    assert found.customer_ids == {c.pk for c in people.values()}
    assert later.pk not in found.customer_ids


def test_another_shops_audit_log_never_adds_to_the_list(
    ika_shop, citra, citra_shop, people, monkeypatch
):
    theirs = customer_create(shop=citra_shop, name="Fajar Citra")
    audit_record(action="customer.viewed", shop=citra_shop, actor=citra, target=theirs)
    audit_record(action="export.created", shop=citra_shop, actor=citra)
    now = timezone.now()
    found = incidents.affected_from_audit(
        shop=ika_shop, start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1)
    )
    assert found.customer_ids == set()


def test_the_owner_names_customers_by_number_email_or_page_number(ika_shop, ika, people):
    ani, budi, cici, _dedi = people.values()
    ids, missing = incidents.customers_chosen(
        shop=ika_shop, lines=["0813-0000-0000", "BUDI@contoh.id", f"#{cici.pk}", "", "0899"]
    )
    assert ids == {ani.pk, budi.pk, cici.pk}
    assert missing == [5]
    with pytest.raises(incidents.IncidentError) as error:
        record(ika_shop, ika, scope="chosen", chosen=["0813-0000-0000", "tidak ada"])
    assert error.value.field == "chosen"
    incident = record(ika_shop, ika, scope="chosen", chosen=["0813-0000-0000", "budi@contoh.id"])
    assert {c.pk for c in incidents.affected_customers(shop=ika_shop, incident=incident)} == {
        ani.pk,
        budi.pk,
    }


def test_the_deadline_is_72_hours_after_finding_out_in_the_shops_time_zone(ika_client, ika_shop):
    ika_shop.time_zone = "Asia/Jayapura"
    ika_shop.save()
    found_local = timezone.localtime(timezone.now(), JAYAPURA).replace(
        second=0, microsecond=0
    ) - dt.timedelta(hours=30)
    response = ika_client.post(
        reverse("incident_new"),
        {
            "what_happened": "Daftar pelanggan tersalin oleh mantan karyawan",
            "found_at": found_local.strftime("%Y-%m-%dT%H:%M"),
            "categories": ["name", "phone", "address"],
            "scope": "all",
            "measures": "Akun karyawan ditutup.",
            "contact": "0812-1111-2222",
        },
    )
    assert response.status_code == 302
    incident = Incident.unscoped.get(shop=ika_shop)
    # the time typed was read as WIT, not as the server's zone
    assert incident.found_at == found_local
    deadline = timezone.localtime(incidents.deadline(incident), JAYAPURA)
    assert deadline == found_local + dt.timedelta(hours=72)
    page = ika_client.get(response["Location"]).content.decode()
    assert "WIT" in page
    assert "41 jam lagi" in page or "42 jam lagi" in page

    due = incidents.due(incident, now=incident.found_at + dt.timedelta(hours=70, minutes=30))
    assert (due.hours_left, due.overdue) == (1, False)
    due = incidents.due(incident, now=incident.found_at + dt.timedelta(hours=75, minutes=1))
    assert (due.hours_late, due.overdue) == (3, True)


def test_a_time_found_in_the_future_is_refused(ika_shop, ika):
    with pytest.raises(incidents.IncidentError):
        record(ika_shop, ika, found_at=timezone.now() + dt.timedelta(hours=2))


def test_the_home_page_shows_the_deadline_to_owners_until_both_notices_are_marked_sent(
    client, ika, rina, ika_shop, people
):
    incident = record(ika_shop, ika)
    client.force_login(ika)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-incident"' in page
    assert "jam lagi" in page
    client.force_login(rina)
    assert 'data-testid="home-incident"' not in client.get(reverse("home")).content.decode()

    client.force_login(ika)
    url = reverse("incident_mark", kwargs={"incident_id": incident.pk})
    client.post(url, {"notice": "customers"})
    assert 'data-testid="home-incident"' in client.get(reverse("home")).content.decode()
    client.post(url, {"notice": "authority"})
    assert 'data-testid="home-incident"' not in client.get(reverse("home")).content.decode()
    actions = list(
        AuditEvent.unscoped.filter(shop=ika_shop, action__startswith="incident.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "incident.authority_notified",
        "incident.customers_notified",
        "incident.recorded",
    ]


def test_the_customers_notice_is_drafted_in_indonesian_with_what_the_law_asks(
    ika_client, ika_shop, ika, people
):
    incident = record(
        ika_shop,
        ika,
        window_start=timezone.now() - dt.timedelta(days=2),
        window_end=timezone.now() - dt.timedelta(days=1),
        scope="window",
    )
    ika_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    notice = incidents.customer_notice(shop=ika_shop, incident=incident, name="Ani")
    body = notice["body"]
    assert body.startswith("Halo Ani,")
    assert "Dapur Kue Bu Ika" in body and "HP toko dicuri di pasar" in body
    assert "nama, nomor WhatsApp atau telepon" in body  # which data
    assert "antara" in body and "WIB" in body  # when
    assert "Kata sandi sudah diganti" in body  # what the shop does
    assert "0812-1111-2222" in body  # whom to ask
    assert "Pasal 46" in body
    assert "Pemberitahuan" in notice["subject"]
    page = ika_client.get(reverse("incident_detail", kwargs={"incident_id": incident.pk}))
    assert "Halo {nama}," in page.content.decode()


def test_the_letter_to_the_authority_names_the_controller_the_data_and_the_count(
    ika_client, ika_shop, ika, people
):
    incident = record(ika_shop, ika, categories=["name", "address"])
    page = ika_client.get(reverse("incident_authority_notice", kwargs={"incident_id": incident.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Dapur Kue Bu Ika" in body and "Ika Rahmawati" in body
    assert "Alamat pengiriman" in body
    assert "4 subjek data" in body
    assert "Kata sandi sudah diganti" in body
    assert "<script src=" in body and "<script>" not in body  # the print button, CSP-safe


def test_the_notices_go_out_as_service_messages_and_are_audited(
    ika_client, ika_shop, ika, people, in_shop
):
    from merdeka.outreach.models import Delivery

    incident = record(ika_shop, ika)
    response = ika_client.post(
        reverse("incident_send", kwargs={"incident_id": incident.pk}), {"channel": "email"}
    )
    assert response.status_code == 302
    with in_shop(ika_shop):
        deliveries = list(Delivery.objects.all())
        assert len(deliveries) == 4
        assert {d.purpose for d in deliveries} == {"service"}
        assert deliveries[0].body.startswith("Halo ")
        event = AuditEvent.objects.get(action="incident.notices_sent")
    assert event.detail == {"channel": "email", "messages": 4, "skipped": 0}


def test_the_download_has_each_notice_and_a_whatsapp_link_and_is_audited(
    ika_client, ika_shop, ika, people, in_shop
):
    incident = record(ika_shop, ika, scope="chosen", chosen=["0813-0000-0001"])
    response = ika_client.get(reverse("incident_download", kwargs={"incident_id": incident.pk}))
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Nama"
    assert rows[1][0] == "Budi Santoso"
    assert rows[1][1] == "'+6281300000001"  # formula-safe
    assert rows[1][3].startswith("Halo Budi Santoso,")
    assert rows[1][4].startswith("https://wa.me/6281300000001?text=Halo%20Budi")
    with in_shop(ika_shop):
        assert AuditEvent.objects.filter(action="incident.notices_downloaded").count() == 1


def test_an_incident_is_in_the_customers_own_data_and_goes_with_their_erasure(
    ika_shop, ika, people, in_shop
):
    from merdeka.privacy.selectors import customer_data

    ani = people["Ani Lestari"]
    incident = record(ika_shop, ika, scope="chosen", chosen=[f"#{ani.pk}"])
    data = customer_data(shop=ika_shop, customer=ani)
    assert data["other"]["privacy.incidentcustomer"][0]["incident_id"] == incident.pk
    customer_erase(shop=ika_shop, customer_id=ani.pk, actor=ika)
    assert incidents.affected_count(shop=ika_shop, incident=incident) == 0


def test_staff_and_other_shops_never_reach_an_incident(
    client, ika_shop, ika, rina, citra, citra_shop
):
    incident = record(ika_shop, ika)
    url = reverse("incident_detail", kwargs={"incident_id": incident.pk})
    client.force_login(rina)
    assert client.get(url).status_code == 403
    assert client.get(reverse("incident_list")).status_code == 403
    client.force_login(citra)
    assert client.get(url).status_code == 404
    assert "HP toko dicuri" not in client.get(reverse("incident_list")).content.decode()
    assert 'data-testid="home-incident"' not in client.get(reverse("home")).content.decode()
