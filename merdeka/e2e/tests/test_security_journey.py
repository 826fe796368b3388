"""On a phone: turning on two-factor sign-in and signing in with a code; recording a
data protection incident and seeing its 3 x 24-hour deadline."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core import twofactor
from merdeka.core.tests.test_twofactor import key_from
from merdeka.customers.services import customer_create
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_owner_turns_on_two_factor_sign_in_and_signs_in_with_a_code(
    live_server, page, shot, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page.get_by_test_id("offer-two-factor")).to_be_visible()
    page.get_by_test_id("offer-two-factor").get_by_role("button").click()
    expect(page.get_by_test_id("two-factor-qr")).to_be_visible()
    assert page.get_by_test_id("two-factor-qr").evaluate("img => img.naturalWidth") > 0
    key = key_from(page.get_by_test_id("two-factor-secret").inner_text())
    no_sideways_scroll(page)
    shot("enrol")

    page.fill("#id_code", twofactor.code_for(key))
    page.get_by_role("button", name="Nyalakan").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    no_sideways_scroll(page)
    shot("recovery-codes")
    page.get_by_role("button", name="Sudah kusimpan").click()
    expect(page.get_by_test_id("offer-two-factor")).to_have_count(0)

    page.locator("#account-menu summary").click()
    page.get_by_role("button", name="Keluar").click()
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page.locator("main h1")).to_have_text("Kode masuk")
    no_sideways_scroll(page)
    shot("code-step")
    page.fill("#id_code", twofactor.code_for(key, at=time.time() + 30))
    page.get_by_role("button", name="Lanjut").click()
    expect(page.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    assert not console_errors


def test_an_owner_records_an_incident_and_sees_the_deadline_on_her_phone(
    live_server, page, shot, ika_shop, console_errors
):
    for name, phone in (("Ani Lestari", "0813-1000-0001"), ("Budi Santoso", "0813-1000-0002")):
        customer_create(shop=ika_shop, name=name, phone=phone)
    found = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    found -= timezone.timedelta(hours=2)

    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/keamanan/")
    page.get_by_test_id("security-incidents").click()
    page.get_by_test_id("incident-new").click()
    page.fill("#id_what_happened", "HP toko dicuri di pasar; WhatsApp Web masih masuk.")
    page.fill("#id_found_at", found.strftime("%Y-%m-%dT%H:%M"))
    page.check("input[name=categories][value=name]")
    page.check("input[name=categories][value=phone]")
    page.check("input[name=scope][value=all]")
    page.fill("#id_measures", "Kata sandi diganti, WhatsApp Web dikeluarkan dari semua perangkat.")
    page.fill("#id_contact", "WhatsApp 0812-1111-2222")
    no_sideways_scroll(page)
    shot("incident-form")
    page.get_by_test_id("incident-save").click()

    expect(page.get_by_test_id("incident-time-left")).to_have_text("69 jam lagi")
    expect(page.get_by_test_id("incident-deadline")).to_contain_text("WIB")
    expect(page.get_by_test_id("incident-notice")).to_contain_text("Halo {nama},")
    expect(page.get_by_role("heading", name="2 pelanggan terdampak")).to_be_visible()
    no_sideways_scroll(page)
    shot("incident")

    page.get_by_role("link", name="Beranda").click()
    expect(page.get_by_test_id("home-incident")).to_contain_text("69 jam lagi")
    no_sideways_scroll(page)
    shot("home-deadline")

    page.get_by_test_id("home-incident").get_by_role("link").click()
    page.get_by_test_id("incident-authority").click()
    expect(page.get_by_test_id("authority-count")).to_contain_text("2 subjek data")
    no_sideways_scroll(page)
    shot("authority-letter")
    page.go_back()
    page.get_by_test_id("mark-customers").click()
    page.get_by_test_id("mark-authority").click()
    page.get_by_role("link", name="Beranda").click()
    expect(page.get_by_test_id("home-incident")).to_have_count(0)
    assert not console_errors
