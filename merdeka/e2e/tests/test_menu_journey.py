"""The seller's menu on a phone: four daily places in a bar at the bottom, the rest behind
"Lainnya"; the open page is always marked where she can see it. On a wide screen the same
menu is a row under the header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import SCREENSHOTS, menu_go, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAILY = ["Beranda", "Pesanan", "Pelanggan", "Produk"]
MORE_FOR_OWNER = [
    "Nota",
    "Pemasok",
    "Toko online",
    "Beli bareng",
    "PO",
    "Kampanye",
    "Kartu paket",
    "Impor",
    "Tim",
    "Pengaturan",
    "Keamanan",
    "Log audit",
]
OWNER_ONLY = ["Toko online", "Tim", "Pengaturan", "Keamanan", "Log audit"]


def on_screen(locator, width=360, height=740):
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box


def viewport_shot(page, label):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"menu--{label}.png"))


def test_the_sellers_menu_on_a_phone(live_server, page, ika_shop, console_errors):
    sign_in(page, live_server, "ika", PASSWORD)
    menu = page.get_by_role("navigation", name="Menu utama")
    bar = menu.locator(".appnav-bar > li > a, #more-menu > summary")
    expect(bar).to_have_text([*DAILY, "Lainnya"])
    for index in range(5):  # all five in reach of a thumb, at the bottom of the screen
        on_screen(bar.nth(index))
        assert bar.nth(index).bounding_box()["y"] > 740 - 90
    expect(menu.get_by_role("link", name="Beranda")).to_have_attribute("aria-current", "page")
    no_sideways_scroll(page)
    viewport_shot(page, "home")

    # "Lainnya" opens the rest of the menu above the bar, every link on the screen
    page.locator("#more-menu > summary").click()
    for name in MORE_FOR_OWNER:
        on_screen(menu.get_by_role("link", name=name, exact=True))
    viewport_shot(page, "more-open")

    # a page of the "Lainnya" menu: "Lainnya" is marked, and the page inside it
    menu.get_by_role("link", name="Kampanye", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/kampanye/")
    expect(page.locator("#more-menu > summary")).to_have_class("current")
    expect(menu.locator("[aria-current=page]")).to_have_count(1)
    on_screen(page.locator("#more-menu > summary"))
    viewport_shot(page, "campaigns")
    page.locator("#more-menu > summary").click()
    expect(menu.get_by_role("link", name="Kampanye", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    viewport_shot(page, "campaigns-more-open")

    # a daily place: marked in the bar, "Lainnya" is not
    menu_go(page, "Pesanan")
    expect(page).to_have_url(f"{live_server.url}/pesanan/")
    expect(menu.get_by_role("link", name="Pesanan")).to_have_attribute("aria-current", "page")
    expect(page.locator("#more-menu > summary")).not_to_have_class("current")
    # the bar never hides the end of a page
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    footer = page.locator("footer.site-footer")
    assert (
        footer.bounding_box()["y"] + footer.bounding_box()["height"]
        <= (page.locator("nav.appnav").bounding_box()["y"])
    )
    assert not console_errors, console_errors


def test_staff_see_no_owner_pages_in_the_menu(live_server, page, ika_shop, rina):
    sign_in(page, live_server, "rina", PASSWORD)
    menu = page.get_by_role("navigation", name="Menu utama")
    page.locator("#more-menu > summary").click()
    expect(menu.get_by_role("link", name="Kampanye", exact=True)).to_be_visible()
    for name in OWNER_ONLY:
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_count(0)
    viewport_shot(page, "staff-more-open")


def test_on_a_wide_screen_the_menu_is_a_row_under_the_header(live_server, browser, ika_shop):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, "ika", PASSWORD)
    menu = page.get_by_role("navigation", name="Menu utama")
    first, main = menu.get_by_role("link", name="Beranda"), page.locator("main")
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] < main.bounding_box()["y"]
    page.locator("#more-menu > summary").click()
    keamanan = menu.get_by_role("link", name="Keamanan", exact=True)
    on_screen(keamanan, width=1280, height=800)
    viewport_shot(page, "wide-more-open")
    keamanan.click()
    expect(page.locator("#more-menu > summary")).to_have_class("current")
    viewport_shot(page, "wide-security")
    context.close()
