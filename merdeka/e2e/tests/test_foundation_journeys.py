"""The foundation's journeys on a phone: sign in, switch shop, manage the team."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core import services
from merdeka.customers.services import customer_create
from merdeka.e2e.tests.conftest import menu_go, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop_with_customers(ika_shop):
    for i, name in enumerate(("Siti Nurhaliza", "Budi Santoso", "Dewi Anggraini"), start=1):
        customer_create(shop=ika_shop, name=name, phone=f"+628123450000{i}")
    return ika_shop


def test_a_seller_signs_in_on_a_phone_and_sees_her_shop(
    live_server, page, shot, shop_with_customers, console_errors
):
    sign_in(page, live_server, "ika", "salah-sekali")
    expect(page.locator(".form-errors")).to_contain_text("salah")
    assert page.url.endswith("/masuk/")
    shot("wrong-password")

    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    expect(page.get_by_test_id("customers-total")).to_have_text("3")
    expect(page.get_by_role("link", name="Pelanggan", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("home")
    assert not console_errors, console_errors


def test_a_person_in_two_shops_switches_between_them(live_server, page, shot, ika, ika_shop):
    services.shop_create(name="Warung Kopi Ika", owner=ika, slug="kopi-ika")
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    page.locator("#account-menu summary").click()
    shot("account-menu")
    page.get_by_test_id("switch-kopi-ika").click()
    expect(page.locator("main h1")).to_have_text("Warung Kopi Ika")
    expect(page.locator("#account-menu summary")).to_have_text("Warung Kopi Ika")
    expect(page.get_by_test_id("customers-total")).to_have_text("0")
    shot("switched")


def test_an_owner_adds_a_staff_member_who_then_signs_in(
    live_server, page, browser, browser_context_args, shot, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    menu_go(page, "Tim")
    expect(page).to_have_url(f"{live_server.url}/tim/")
    page.fill("#id_username", "dimas")
    page.fill("#id_first_name", "Dimas Prasetyo")
    page.select_option("#id_role", "staff")
    page.get_by_role("button", name="Tambahkan ke tim").click()
    expect(page.get_by_test_id("temporary-password")).to_be_visible()
    expect(page.get_by_test_id("member-dimas")).to_contain_text("Staf")
    password = page.get_by_test_id("password").inner_text()
    assert re.fullmatch(r"[\w]{4}-[\w]{4}-[\w]{4}", password)
    shot("staff-added")
    assert not console_errors, console_errors

    helper = browser.new_context(**browser_context_args)
    phone = helper.new_page()
    sign_in(phone, live_server, "dimas", password)
    expect(phone).to_have_url(f"{live_server.url}/akun/kata-sandi/")
    phone.fill("#id_old_password", password)
    phone.fill("#id_new_password1", "klepon-gula-jawa-9")
    phone.fill("#id_new_password2", "klepon-gula-jawa-9")
    phone.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(phone).to_have_url(f"{live_server.url}/")
    expect(phone.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    # staff serve customers but do not manage the team
    expect(phone.get_by_role("link", name="Pelanggan", exact=True)).to_be_visible()
    expect(phone.locator("a[href='/tim/']")).to_have_count(0)
    helper.close()


def test_an_owner_removes_a_staff_member_without_a_page_reload(
    live_server, page, shot, ika_shop, rina
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/tim/")
    page.evaluate("window.__noReload = true")
    page.once("dialog", lambda dialog: dialog.accept())
    card = page.get_by_test_id("member-rina")
    card.get_by_role("button", name="Keluarkan").click()
    expect(card).to_have_count(0)
    assert page.evaluate("window.__noReload") is True  # htmx swapped, no navigation
    shot("staff-removed")
    page.reload()
    expect(page.get_by_test_id("member-rina")).to_have_count(0)


def test_the_interface_switches_to_english(live_server, page, ika_shop):
    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")


@pytest.mark.parametrize(
    "path", ["/", "/tim/", "/pelanggan/", "/pelanggan/baru/", "/audit/", "/keamanan/"]
)
def test_pages_fit_a_phone_and_break_no_security_policy(
    live_server, page, path, ika_shop, rina, console_errors, shot
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert not console_errors, console_errors
    shot(path.strip("/").replace("/", "-") or "home")
