"""No page of Merdeka scrolls sideways on a 360 px phone.

The walk takes every URL pattern from Django's resolver, fills its path parameters with
the ids of a shop that uses every feature (merdeka/e2e/tests/full_shop.py) and opens it
at 360x740: the seller's pages as the owner, the public ones in a stranger's browser. It
fails listing every page whose document is wider than the screen (scrollWidth >
clientWidth), with the elements that stick out, and every page where content runs out of
its box over its neighbours. Patterns that cannot be opened with a GET are in ``SKIPPED``
with the reason; a new pattern that is in neither list fails the test, so that every new
page is walked. The picture of each page found wrong is saved as
test-artifacts/screenshots/width--*.png, for whoever fixes it; a page that fits gets none
(the checks read the layout, not pixels).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.chart import accounts_by_key
from merdeka.books.pack import pack_make
from merdeka.books.pack_share import share_create
from merdeka.e2e.tests.conftest import PHONE, SCREENSHOTS, sign_in
from merdeka.e2e.tests.full_shop import full_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Page:
    """One page to open: its path parameters from the shop's objects (``w``)."""

    kwargs: Callable[[dict], dict] = field(default=lambda w: {})
    public: bool = False  # opened without signing in, as a buyer or a visitor
    state: str = ""  # when one pattern is opened in several states


def _gb(w):
    return w["groupbuy"]


def _cash_account(w):
    return accounts_by_key(shop=w["shop"], keys=["cash"])["cash"]


def _export_job(w, state: str):
    """An export of the shop, on its way (part way through the orders) or ready."""
    from merdeka.imports.models import ExportJob

    key = f"export_{state}"
    if key not in w:
        w[key] = ExportJob.unscoped.create(
            shop=w["shop"],
            token=f"lebar0{state}".ljust(32, "0"),
            state=state,
            part="orders" if state == "running" else "csv",
            done=312_500,
            total=625_000,
            size=48_000_000,
        )
    return w[key]


def _pack_token(w):
    """A link for a lender to a pack of the shop, made the first time it is asked."""
    if "pack_token" not in w:
        made = pack_make(shop=w["shop"], months=12)
        _share, w["pack_token"] = share_create(
            shop=w["shop"], pack_id=made.pack.pk, label="Bank", days=7
        )
    return w["pack_token"]


def _slug(w):
    return w["storefront"].slug


# Every page reachable with a GET, by URL name; several entries open it in several states.
PAGES: dict[str, list[Page]] = {
    # the seller's pages, as the shop's owner
    "home": [Page()],
    "password_change": [Page()],
    "shop_settings": [Page()],
    "staff": [Page()],
    "customer_list": [Page()],
    "customer_add": [Page()],
    "customer_detail": [Page(lambda w: {"customer_id": w["customer"].pk})],
    "customer_edit": [Page(lambda w: {"customer_id": w["customer"].pk})],
    "review_queue": [Page()],
    "review_group": [Page(lambda w: {"group": w["suggestion"].pk})],
    "segment_list": [Page()],
    "segment_detail": [Page(lambda w: {"segment_id": w["segment"].pk})],
    "import_home": [Page()],
    "import_run": [
        Page(lambda w: {"run_id": w["run"].pk}, state="done"),
        Page(lambda w: {"run_id": w["busy_run"].pk}, state="running"),
        Page(lambda w: {"run_id": w["failed_run"].pk}, state="failed"),
    ],
    "import_mapping": [
        Page(lambda w: {"run_id": w["run"].pk, "file_id": w["waiting_file"].pk}),
    ],
    "shop_export_job": [
        Page(lambda w: {"token": _export_job(w, "running").token}, state="running"),
        Page(lambda w: {"token": _export_job(w, "done").token}, state="done"),
    ],
    "order_list": [Page()],
    "order_detail": [
        Page(lambda w: {"order_id": w["order"].pk}, state="paid"),
        Page(lambda w: {"order_id": w["order_world"]["unpaid"].pk}, state="unpaid"),
        Page(lambda w: {"order_id": w["shipped"].pk}, state="shipped"),
        Page(lambda w: {"order_id": w["done"].pk}, state="completed"),
        Page(lambda w: {"order_id": w["imported"].pk}, state="imported"),
    ],
    "order_manual_new": [Page()],
    "order_invoice": [Page(lambda w: {"order_id": w["shipped"].pk})],
    "order_packing_slip": [Page(lambda w: {"order_id": w["shipped"].pk})],
    "audit_log": [Page()],
    "books_home": [Page()],
    "books_report": [Page()],
    "books_recap": [Page()],
    "books_profit_and_loss": [Page()],
    "books_cash_flow": [Page()],
    "books_position": [Page()],
    "books_trial_balance": [Page()],
    "books_ledger": [Page(lambda w: {"account_id": _cash_account(w)})],
    "books_expenses": [Page()],
    "books_expense_new": [Page()],
    "books_expense_detail": [Page(lambda w: {"entry_id": w["expense"].pk})],
    "books_recurring": [Page()],
    "books_accounts": [Page()],
    "books_gross_profit": [Page()],
    "books_notes": [Page()],
    "business_profile": [Page()],
    "tax_home": [Page()],
    "books_pack": [Page()],
    # the lender's side, without an account
    "pack_shared": [Page(lambda w: {"token": _pack_token(w)}, public=True)],
    "pack_verify": [Page(public=True)],
    "pack_keys": [Page(lambda w: {"slug": w["shop"].slug}, public=True)],
    "books_settlements": [Page()],
    "books_skus": [Page()],
    "stock_count": [Page()],
    "debt_receivables": [Page()],
    "debt_payables": [Page()],
    "debt_receivable_new": [Page()],
    "debt_payable_new": [Page()],
    "debt_detail": [
        Page(lambda w: {"debt_id": w["debt"].pk}, state="receivable"),
        Page(lambda w: {"debt_id": w["payable"].pk}, state="payable"),
    ],
    "order_debt": [Page(lambda w: {"order_id": w["unpaid_delivered"].pk})],
    # receipts and suppliers (merdeka/receipts/tests/world.py)
    "receipts_home": [Page()],
    "receipts_progress": [Page()],
    "receipt_detail": [
        Page(lambda w: {"receipt_id": w["receipts"]["review"].pk}, state="review"),
        Page(lambda w: {"receipt_id": w["receipts"]["booked"].pk}, state="booked"),
    ],
    "price_list": [Page()],
    "price_item": [Page(lambda w: {"key": w["receipts"]["item_key"]})],
    "supplier_list": [Page()],
    "supplier_detail": [Page(lambda w: {"supplier_id": w["receipts"]["supplier"].pk})],
    "po_new": [Page(lambda w: {"supplier_id": w["receipts"]["supplier"].pk})],
    "po_detail": [Page(lambda w: {"order_id": w["receipts"]["order"].pk})],
    "incident_list": [Page()],
    "incident_new": [Page()],
    "incident_detail": [Page(lambda w: {"incident_id": w["incident"].pk})],
    "incident_authority_notice": [Page(lambda w: {"incident_id": w["incident"].pk})],
    "two_factor": [Page()],
    "two_factor_enrol": [Page()],
    "security": [Page()],
    "processing_record": [Page()],
    "customer_rights": [Page(lambda w: {"customer_id": w["customer"].pk})],
    "customer_correct": [Page(lambda w: {"customer_id": w["customer"].pk})],
    "customer_erase": [Page(lambda w: {"customer_id": w["customer"].pk})],
    "card_batches": [Page()],
    "card_print": [Page(lambda w: {"batch_id": w["card_batch"].pk})],
    "product_list": [Page()],
    "product_add": [Page()],
    "catalog_categories": [Page()],
    "catalog_locations": [Page()],
    "product_edit": [Page(lambda w: {"product_id": w["product"].pk})],
    "product_stock": [Page(lambda w: {"product_id": w["product"].pk})],
    "stock_purchase": [Page(lambda w: {"product_id": w["product"].pk})],
    "stock_opening_value": [Page(lambda w: {"product_id": w["product"].pk})],
    "storefront_settings": [Page()],
    "outreach_campaigns": [Page()],
    "outreach_campaign_new": [Page()],
    "outreach_campaign": [
        Page(lambda w: {"campaign_id": w["outreach"]["draft"].pk}, state="draft"),
        Page(lambda w: {"campaign_id": w["outreach"]["campaign"].pk}, state="sending"),
    ],
    "outreach_campaign_edit": [Page(lambda w: {"campaign_id": w["outreach"]["draft"].pk})],
    "outreach_queue": [Page(lambda w: {"campaign_id": w["outreach"]["campaign"].pk})],
    "outreach_whatsapp_settings": [Page()],
    "outreach_templates": [Page()],
    "outreach_consent_ask": [Page()],
    "groupbuy_list": [Page()],
    "groupbuy_offer_add": [Page()],
    "groupbuy_offer_edit": [Page(lambda w: {"offer_id": _gb(w)["offer"].pk})],
    "groupbuy_seller_open": [Page()],
    "groupbuy_detail": [
        Page(lambda w: {"group_id": _gb(w)["group"].pk}, state="open"),
        Page(lambda w: {"group_id": _gb(w)["closed"].pk}, state="closed"),
    ],
    "preorder_list": [Page()],
    "preorder_new": [Page()],
    "preorder_detail": [
        Page(lambda w: {"batch_id": w["preorder"].pk}, state="open"),
        Page(lambda w: {"batch_id": w["preorder_closed"].pk}, state="closed"),
    ],
    # public pages, in a stranger's browser (the cart holds a product by then)
    "login": [Page(public=True)],
    "security_policy": [Page(public=True)],
    "storefront_shop": [Page(lambda w: {"slug": _slug(w)}, public=True)],
    "storefront_product": [
        Page(lambda w: {"slug": _slug(w), "product_slug": w["product"].slug}, public=True)
    ],
    "storefront_cart": [Page(lambda w: {"slug": _slug(w)}, public=True)],
    "storefront_checkout": [Page(lambda w: {"slug": _slug(w)}, public=True)],
    "storefront_order": [
        Page(lambda w: {"slug": _slug(w), "token": w["order"].public_token}, public=True)
    ],
    "storefront_preorder": [
        Page(lambda w: {"slug": _slug(w), "token": w["preorder"].token}, public=True)
    ],
    "groupbuy_open": [Page(lambda w: {"slug": _slug(w), "offer_id": _gb(w)["offer"].pk}, True)],
    "groupbuy_public": [
        Page(lambda w: {"slug": _slug(w), "token": _gb(w)["group"].share_token}, True, "open"),
        Page(lambda w: {"slug": _slug(w), "token": _gb(w)["closed"].share_token}, True, "closed"),
    ],
    "groupbuy_member": [
        Page(
            lambda w: {
                "slug": _slug(w),
                "token": _gb(w)["group"].share_token,
                "order_token": _gb(w)["member"].order.public_token,
            },
            public=True,
        )
    ],
    "groupbuy_coordinator": [
        Page(lambda w: {"slug": _slug(w), "token": _gb(w)["group"].coordinator_token}, True)
    ],
    "signup": [Page(lambda w: {"shop_slug": w["shop"].slug, "token": w["card_batch"].token}, True)],
    "signup_thanks": [
        Page(lambda w: {"shop_slug": w["shop"].slug, "token": w["card_batch"].token}, True)
    ],
    "outreach_unsubscribe": [Page(lambda w: {"token": _unsubscribe_token(w)}, public=True)],
}

# Patterns not opened, and why: each answers only a POST (the page it came from is walked),
# or sends a file or a fragment rather than a page.
SKIPPED: dict[str, str] = {
    "favicon": "the app's icon, an image",
    "storefront_order_qris": "a PNG image of the order's QRIS (storefront tests scan it back)",
    "security_txt": "plain text for scanners (merdeka/core/tests/test_disclosure.py)",
    "incident_download": "a CSV file of the notices",
    "incident_send": "POST only: sends the notices (the incident's page is walked)",
    "incident_mark": "POST only: marks a notice sent (the incident's page is walked)",
    "login_verify": "only between a password and its code (test_security_journey.py)",
    "two_factor_disable": "needs two-factor on; its form: core/tests/test_twofactor.py",
    "two_factor_recovery_codes": "needs two-factor on; core/tests/test_twofactor.py",
    "logout": "POST only",
    "books_reports_access": "POST only (the owners' switch on the reports' page)",
    "receipt_photo": "the receipt's photo, an image (shown on the review page)",
    "receipt_delete": "POST only (the receipt's review page)",
    "receipts_queue": "redirects to the next receipt to confirm while there is one: the queue's "
    "review and its end page are walked at 360 px in test_receipts_queue_journey",
    "books_expense_cancel": "POST only (the expense's page)",
    "books_expense_receipt_delete": "POST only (the expense's page)",
    "po_whatsapp": "POST only: a redirect to wa.me (the order's page is walked)",
    "po_pdf": "a PDF file of the purchase order",
    "po_receive": "POST only (the order's page)",
    "po_bill": "POST only (the order's page)",
    "books_month_close": "POST only (the reports' summary page, closing the books)",
    "books_month_reopen": "POST only (the reports' summary page, closing the books)",
    "shop_switch": "POST only (the account menu)",
    "set_language": "POST only (the footer's language buttons)",
    "staff_remove": "POST only (staff page)",
    "staff_role": "POST only (staff page)",
    "staff_password_reset": "POST only (staff page)",
    "review_decide": "POST only (review queue)",
    "review_group_decide": "POST only (a group's page in the review queue)",
    "merge_undo": "POST only (customer page)",
    "customer_export": "POST only, sends a CSV/XLSX file",
    "segment_export": "POST only, sends a CSV/XLSX file",
    "segment_delete": "POST only (segment page)",
    "customer_tag_add": "POST only (customer page)",
    "customer_tag_remove": "POST only (customer page)",
    "customer_note_add": "POST only (customer page)",
    "customer_consent": "POST only (customer page)",
    "import_mapping_cancel": "POST only (mapping page)",
    "import_mapping_delete": "POST only (import page)",
    "order_step": "POST only (order page)",
    "order_pay": "POST only (order page)",
    "order_ship": "POST only (order page)",
    "order_complete": "POST only (order page)",
    "order_cancel": "POST only (order page)",
    "order_return": "POST only (order page)",
    "order_note": "POST only (order page)",
    "order_notify_whatsapp": "POST only (order page)",
    "order_payment_proof": "sends the proof photo, an image",
    "order_export": "POST only, sends a CSV/XLSX file",
    "order_labels": "needs orders ticked (?id=...): walked at 360 px in test_seller_notice_journey",
    "order_news": "JSON for the new-order notifications (orders/notify.js)",
    "staff_export": "POST only (staff page)",
    "shop_export": "POST only, starts the export and goes to its page",
    "shop_export_download": "sends a zip file",
    "storefront_checkout_totals": "an htmx fragment of the checkout's totals",
    "keys_rotate": "POST only (security page)",
    "customer_data_export": "sends the customer's data as a file",
    "customer_restrict": "POST only (rights page)",
    "customer_restriction_lift": "POST only (rights page)",
    "customer_consent_withdraw": "POST only (rights page)",
    "product_photo_add": "POST only (product page)",
    "product_photo_delete": "POST only (product page)",
    "storefront_photo": "sends a product photo, an image",
    "storefront_cart_add": "POST only (product page)",
    "storefront_regions": "an htmx fragment of the checkout's region selects",
    "outreach_preview": "POST only, an htmx fragment of the campaign form",
    "outreach_campaign_send": "POST only (campaign page)",
    "outreach_queue_mark": "POST only (send queue)",
    "outreach_templates_sync": "POST only (templates page)",
    "outreach_template_delete": "POST only (templates page)",
    "outreach_webhook": "Meta's webhook: a plain-text handshake, not a page",
    "preorder_close": "POST only (pre-order page)",
    "preorder_cancel": "POST only (pre-order page)",
    "preorder_message": "POST only; a GET goes back to the pre-order page",
    "debt_pay": "POST only (debt page)",
    "debt_remind": "POST only (debt page); a wa.me reminder goes to WhatsApp",
    "debt_void": "POST only (debt page)",
    "books_expense_receipt": "the receipt's photo, an image (shown on the expense's page)",
    "books_recurring_stop": "POST only (monthly expenses page)",
    "books_account_change": "POST only (categories and accounts page)",
    "business_document_add": "POST only (business profile page)",
    "business_document": "a document's photo, an image (opened from the business profile)",
    "business_document_remove": "POST only (business profile page)",
    "tax_payment_new": "POST only (PPh Final page)",
    "books_pack_download": "a zip file (the pack page's download link)",
    "books_pack_share": "POST only (the pack page)",
    "books_pack_share_revoke": "POST only (the pack page)",
    "pack_shared_download": "a zip file (the lender's page's download link)",
}


def _unsubscribe_token(world):
    from merdeka.outreach.services.unsubscribe import unsubscribe_token

    return unsubscribe_token(world["outreach"]["delivery"])


def url_names(resolver: URLResolver | None = None) -> set[str]:
    """The name of every URL pattern, through every include."""
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            names |= url_names(entry)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            names.add(entry.name)
    return names


def test_every_url_pattern_is_walked_or_skipped_with_a_reason():
    names = url_names()
    missing = sorted(names - set(PAGES) - set(SKIPPED))
    assert not missing, (
        f"New URL patterns: {missing}. Add each to PAGES in {__name__} (opened at 360 px) "
        "or, if it cannot be opened with a GET, to SKIPPED with the reason."
    )
    assert not set(PAGES) & set(SKIPPED), set(PAGES) & set(SKIPPED)
    stale = sorted((set(PAGES) | set(SKIPPED)) - names)
    assert not stale, f"PAGES or SKIPPED name patterns that no longer exist: {stale}"


# The elements that stick out past the right edge, outermost first, leaving out those
# inside a box that scrolls or clips on its own (they do not widen the page) and the
# fixed menu bar (as wide as the widened page).
OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const clipped = (el) => {
    if (getComputedStyle(el).position === 'fixed') return true;  // the menu bar
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== 'visible' || style.position === 'fixed') return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.getBoundingClientRect().right <= width + 0.5 || clipped(el)) continue;
    if (found.some((outer) => outer.contains(el))) continue;
    found.push(el);
  }
  return {scroll: root.scrollWidth, width, culprits: found.slice(0, 6).map(
    (el) => name(el) + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')};
}"""


# Boxes whose content is wider than themselves without scrolling: the page may still fit,
# but the content runs over what is beside it (a sum of money in a half-width figure).
# Hidden elements, the menu and visually hidden labels (1px wide) are left out.
SPILLS = """() => [...document.body.querySelectorAll('*')].filter((el) => {
  if (el.clientWidth <= 1 || !el.checkVisibility() || el.closest('.appnav')) return false;
  const style = getComputedStyle(el);
  return style.display !== 'inline' && style.overflowX === 'visible'
    && el.scrollWidth > el.clientWidth + 1;
}).slice(0, 6).map((el) => el.tagName.toLowerCase()
  + (el.classList.length ? '.' + [...el.classList].join('.') : '')
  + ' ' + el.scrollWidth + 'px in ' + el.clientWidth + 'px')"""


class Walk:
    """Opens pages of the app and keeps what was found on them."""

    def __init__(self, base: str, world: dict):
        self.base, self.world = base, world
        self.opened: set[str] = set()
        self.too_wide: dict[str, dict] = {}
        self.spills: dict[str, list] = {}

    def pages(self, page, *, public: bool):
        for name, variants in PAGES.items():
            for variant in variants:
                if variant.public == public:
                    path = reverse(name, kwargs=variant.kwargs(self.world))
                    self.open(page, path, f"{name}-{variant.state}" if variant.state else name)
                    self.opened.add(name)

    def open(self, page, path: str, label: str):
        response = page.goto(self.base + path)
        assert response is not None and response.status == 200, (label, path, response.status)
        assert urlsplit(page.url).path == path, f"{label}: {path} went to {page.url}"
        page.wait_for_load_state("load")
        too_wide, spills = page.evaluate(OVERFLOW), page.evaluate(SPILLS)
        if too_wide:
            self.too_wide[label] = too_wide
        if spills:
            self.spills[label] = spills
        if too_wide or spills:  # a picture for whoever fixes it; a page that fits needs none
            page.screenshot(path=str(SCREENSHOTS / f"width--{label}.png"), full_page=True)


@pytest.mark.slow
def test_no_page_scrolls_sideways_on_a_phone(live_server, page, ika, ika_shop, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"  # this test's own photos and sealed uploads
    walk = Walk(live_server.url, full_shop(ika_shop, ika))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    walk.pages(page, public=False)

    stranger = page.context.browser.new_context(**PHONE, device_scale_factor=2).new_page()
    # a product in the stranger's cart, so that the cart and the checkout show it
    world = walk.world
    stranger.goto(
        live_server.url + reverse("storefront_product", args=[_slug(world), world["product"].slug])
    )
    stranger.locator("main form button[type=submit]").first.click()
    expect(stranger).to_have_url(re.compile(r"/keranjang/$"))
    walk.pages(stranger, public=True)

    assert walk.opened == set(PAGES), sorted(set(PAGES) - walk.opened)
    report = "\n".join(
        f"  {label}: {found['scroll']}px in {found['width']}px, {', '.join(found['culprits'])}"
        for label, found in sorted(walk.too_wide.items())
    )
    assert not walk.too_wide, f"Pages that scroll sideways at 360 px:\n{report}"
    report = "\n".join(
        f"  {label}: {', '.join(found)}" for label, found in sorted(walk.spills.items())
    )
    assert not walk.spills, f"Pages whose content runs out of its box at 360 px:\n{report}"
