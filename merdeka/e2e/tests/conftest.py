"""Browser tests: Playwright drives Debian's chromium at a phone's size (360x740).

Never ``playwright install``: the browser is the system's /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe. Set only for the browser tests.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# a phone: every page of these tests, and every second person's browser in a journey
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE, "device_scale_factor": 2}


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """The storefront caches whole pages for a few seconds: none from another test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shot(request, page):
    """``shot("after-login")`` saves a full-page screenshot under test-artifacts/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^\w-]+", "_", request.node.name)

    def take(label: str, target=None):
        (target or page).screenshot(path=str(SCREENSHOTS / f"{test}--{label}.png"), full_page=True)

    return take


@pytest.fixture
def console_errors(page):
    """Collects console errors and page errors (CSP violations show up here)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def sign_in(page, live_server, username: str, password: str):
    page.goto(f"{live_server.url}/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")


def menu_go(page, name: str):
    """Open a page through the seller's menu: one of the four daily places in the phone's
    bottom bar, or one of the rest behind "Lainnya" (opened first)."""
    menu = page.get_by_role("navigation", name=re.compile(r"^(Menu utama|Main menu)$"))
    link = menu.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        menu.locator("#more-menu > summary").click()
    link.click()


def phone_context(page):
    """Another person's phone: a browser context of its own (cookies, session)."""
    return page.context.browser.new_context(**PHONE)


def no_sideways_scroll(page):
    # measured once the page's stylesheet has applied: a click's navigation can still
    # be loading it when the first element shows (the width is then the unstyled one)
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


# -- Bu Ika's online shop and a buyer going through its checkout ----------------------


def open_storefront(shop, **settings):
    """The shop's online shop open for orders: a static QRIS, WhatsApp and pick-up, and
    whatever else ``settings`` turns on (the courier and its fee, ...)."""
    from merdeka.core.scoping import shop_scope
    from merdeka.storefront.models import StorefrontSettings
    from merdeka.storefront.services import storefront_ensure
    from merdeka.storefront.tests.conftest import static_qris

    front = storefront_ensure(shop=shop)
    with shop_scope(shop):
        StorefrontSettings.objects.filter(pk=front.pk).update(
            qris_payload=static_qris(),
            qris_merchant="DAPUR KUE BU IKA",
            whatsapp="+6281311112222",
            pickup_enabled=True,
            pickup_address="Jl. Mawar No. 3, Bandung",
            **settings,
        )
    front.refresh_from_db()
    return front


# Maleber, Andir, Kota Bandung, Jawa Barat: province, city, district, village
BANDUNG = ("32", "32.73", "32.73.05", "32.73.05.1001")
_REGION_SELECTS = ("#id_province", "#id_city", "#id_district", "#id_village")


def choose_region(page, *codes):
    """Pick the region selects level by level, waiting for each level's list to arrive."""
    for index, (select, code) in enumerate(zip(_REGION_SELECTS, codes, strict=False)):
        if index:
            expect(page.locator(f"{select} option[value='{code}']")).to_be_attached()
        page.select_option(select, code)


def fill_buyer(page, *, name, whatsapp, email="", delivery="pickup", street=""):
    """The buyer's part of the checkout (and of joining a group buy); a courier or COD
    delivery goes to Jl. ``street`` in Bandung."""
    page.fill("#id_name", name)
    page.fill("#id_whatsapp", whatsapp)
    if email:
        page.fill("#id_email", email)
    page.locator(f"input[name=delivery][value={delivery}]").check()
    if delivery != "pickup":
        choose_region(page, *BANDUNG)
        page.fill("#id_street", street)


def check_out(page, *, payment="qris", marketing_whatsapp=False, shot=None, **buyer):
    """From the cart: order now, fill in the checkout as Siti (unless told otherwise)
    and place the order; ``shot`` takes the filled-in form's picture first."""
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()
    buyer.setdefault("name", "Siti Nurhaliza")
    buyer.setdefault("whatsapp", "0812 2222 3333")
    fill_buyer(page, **buyer)
    page.locator(f"input[name=payment][value={payment}]").check()
    if marketing_whatsapp:
        page.check("#id_marketing_whatsapp")
    if shot:
        no_sideways_scroll(page)
        shot("checkout")
    page.get_by_test_id("place-order").click()
