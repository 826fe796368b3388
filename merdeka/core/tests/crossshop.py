"""The cross-shop route walker that every URL must be registered with.

``ROUTES`` says, for each named URL, how to fill its arguments with another shop's
objects and what to post. ``test_cross_shop`` walks every route as a member of a
second shop and expects 404/403 (or, for routes without arguments, only the
visitor's own data), and fails when a URL exists that is not registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from merdeka.books.chart import accounts_by_key
from merdeka.customers.tests import crossshop_world as _ws


@dataclass
class Route:
    kwargs: Callable[[dict], dict] = field(default=lambda world: {})
    post: Callable[[dict], dict] | None = field(default=lambda world: {})
    # Routes without arguments act on the visitor's own shop: they answer, but must
    # show none of the other shop's data.
    own_shop: bool = False


# Anyone may open these; they hold no shop data.
PUBLIC = {"login", "set_language"}
# The public storefront: a shop's published catalog, found by its public slug, and a
# buyer's own order behind an unguessable token. Their isolation (another shop's
# products, photos and orders under this slug give 404) is tested in
# merdeka/storefront/tests/test_public.py.
PUBLIC |= {
    "storefront_shop",
    "storefront_product",
    "storefront_photo",
    "storefront_cart",
    "storefront_cart_add",
    "storefront_checkout",
    "storefront_checkout_totals",
    "storefront_regions",
    "storefront_order",
    "storefront_order_qris",
    # a pre-order batch behind its unguessable token (merdeka/preorders/tests/test_views.py)
    "storefront_preorder",
}
# Public, but keyed by a secret in the URL (tested in merdeka/outreach/tests).
PUBLIC |= {"outreach_webhook", "outreach_unsubscribe"}
# How to report a security problem: the same text for everyone, no shop's data
# (merdeka/core/tests/test_disclosure.py).
PUBLIC |= {"security_txt", "security_policy"}
# The app's icon, the same for everyone.
PUBLIC |= {"favicon"}

ROUTES: dict[str, Route] = {
    "home": Route(own_shop=True, post=None),
    "logout": Route(own_shop=True),
    "password_change": Route(own_shop=True, post=lambda w: {"old_password": "x"}),
    # two-factor sign-in: the visitor's own account only (merdeka/core/tests/test_twofactor.py)
    "login_verify": Route(own_shop=True, post=lambda w: {"code": "123456"}),
    "two_factor": Route(own_shop=True, post=None),
    "two_factor_enrol": Route(own_shop=True, post=lambda w: {"code": "123456"}),
    "two_factor_disable": Route(own_shop=True, post=lambda w: {"password": "x", "code": "1"}),
    "two_factor_recovery_codes": Route(
        own_shop=True, post=lambda w: {"password": "x", "code": "1"}
    ),
    "shop_switch": Route(post=lambda w: {"shop_id": w["shop"].pk}),
    "shop_settings": Route(own_shop=True, post=lambda w: {"name": ""}),
    "staff": Route(own_shop=True, post=lambda w: {"username": ""}),
    "staff_export": Route(own_shop=True, post=lambda w: {"staff_may_export": "on"}),
    "staff_remove": Route(kwargs=lambda w: {"membership_id": w["membership"].pk}),
    "staff_role": Route(
        kwargs=lambda w: {"membership_id": w["membership"].pk}, post=lambda w: {"role": "owner"}
    ),
    "staff_password_reset": Route(kwargs=lambda w: {"membership_id": w["membership"].pk}),
    "customer_list": Route(own_shop=True, post=None),
    "customer_add": Route(own_shop=True, post=lambda w: {"name": ""}),
    "customer_detail": Route(kwargs=lambda w: {"customer_id": w["customer"].pk}, post=None),
    "review_queue": Route(own_shop=True, post=None),
    "review_decide": Route(
        kwargs=lambda w: {"suggestion_id": w["suggestion"].pk, "decision": "gabung"}
    ),
    "merge_undo": Route(kwargs=lambda w: {"merge_id": w["merge"].pk}),
    # a suggestion not grouped yet is a group of one, under its own id
    "review_group": Route(kwargs=lambda w: {"group": w["suggestion"].pk}, post=None),
    "review_group_decide": Route(
        kwargs=lambda w: {"group": w["suggestion"].pk, "decision": "gabung"},
        post=lambda w: {"member": w["suggestion"].pk},
    ),
    "import_home": Route(own_shop=True, post=lambda w: {}),
    "shop_export": Route(own_shop=True, post=lambda w: {}),
    "shop_export_job": Route(kwargs=lambda w: {"token": _export_job(w).token}, post=None),
    "shop_export_download": Route(kwargs=lambda w: {"token": _export_job(w).token}, post=None),
    "import_run": Route(kwargs=lambda w: {"run_id": w["run"].pk}, post=None),
    "import_mapping": Route(
        kwargs=lambda w: {"run_id": w["run"].pk, "file_id": w["waiting_file"].pk},
        post=lambda w: {"jenis": "pesanan", "channel": "other", "order_id": "0", "created_at": "1"},
    ),
    "import_mapping_cancel": Route(
        kwargs=lambda w: {"run_id": w["run"].pk, "file_id": w["waiting_file"].pk}
    ),
    "import_mapping_delete": Route(kwargs=lambda w: {"mapping_id": w["column_mapping"].pk}),
    "order_list": Route(own_shop=True, post=None),
    "order_export": Route(own_shop=True, post=lambda w: {"format": "csv"}),
    # labels take their orders in the query (?id=...): another shop's ids give 404, tested
    # in merdeka/orders/tests/test_labels.py
    "order_labels": Route(own_shop=True, post=None),
    "order_news": Route(own_shop=True, post=None),
    # the books: the visitor's own shop only (merdeka/books/tests/test_views.py)
    "books_home": Route(own_shop=True, post=lambda w: {"amount": "1.000"}),
    "books_report": Route(own_shop=True, post=None),
    "books_recap": Route(own_shop=True, post=None),
    "books_profit_and_loss": Route(own_shop=True, post=None),
    "books_cash_flow": Route(own_shop=True, post=None),
    "books_position": Route(own_shop=True, post=None),
    "books_trial_balance": Route(own_shop=True, post=None),
    "books_ledger": Route(kwargs=lambda w: {"account_id": _books_account(w)}, post=None),
    "books_reports_access": Route(own_shop=True, post=lambda w: {"staff_see_reports": "on"}),
    # closing the books: a month of the visitor's own shop (test_month_closing.py)
    "books_month_close": Route(own_shop=True, post=lambda w: {"month": "2020-01"}),
    "books_month_reopen": Route(own_shop=True, post=lambda w: {"month": "2020-01"}),
    "books_notes": Route(own_shop=True, post=None),
    # the business profile and PPh Final (merdeka/tax/tests/test_views.py): the visitor's
    # own shop; a document is named by its kind, and the visitor's own is looked up
    "business_profile": Route(own_shop=True, post=lambda w: {"legal_form": "perorangan"}),
    "business_document_add": Route(own_shop=True, post=lambda w: {"kind": "ktp"}),
    "business_document": Route(kwargs=lambda w: {"kind": _tax(w)}, post=None),
    "business_document_remove": Route(kwargs=lambda w: {"kind": _tax(w)}),
    "tax_home": Route(own_shop=True, post=None),
    "tax_payment_new": Route(own_shop=True, post=lambda w: {"amount": "1.000"}),
    # expenses (merdeka/books/tests/test_expenses.py, test_recurring.py): an expense of the
    # walked shop with its receipt, a monthly expense and an account, named after the
    # canary; another shop's category and account are no choice on the forms
    "books_expenses": Route(own_shop=True, post=None),
    "books_expense_new": Route(
        own_shop=True,
        post=lambda w: {
            "key": "kanari",
            "amount": "1.000",
            "category": _books(w)["category"].pk,
            "paid_from": _books(w)["account"].pk,
        },
    ),
    "books_expense_detail": Route(kwargs=lambda w: {"entry_id": _books(w)["entry"].pk}, post=None),
    "books_expense_receipt": Route(kwargs=lambda w: {"entry_id": _books(w)["entry"].pk}, post=None),
    "books_expense_cancel": Route(
        kwargs=lambda w: {"entry_id": _books(w)["entry"].pk},
        post=lambda w: {"confirmed": "yes"},
    ),
    "books_expense_receipt_delete": Route(
        kwargs=lambda w: {"entry_id": _books(w)["entry"].pk},
        post=lambda w: {"confirmed": "yes"},
    ),
    "books_recurring": Route(
        own_shop=True,
        post=lambda w: {
            "name": "x",
            "amount": "1.000",
            "category": _books(w)["category"].pk,
            "paid_from": _books(w)["account"].pk,
            "day_of_month": "1",
            "starts_on": "2026-01-01",
        },
    ),
    "books_recurring_stop": Route(kwargs=lambda w: {"recurring_id": _books(w)["recurring"].pk}),
    "books_accounts": Route(
        own_shop=True, post=lambda w: {"do": "add", "group": "expense", "name": "x"}
    ),
    "books_account_change": Route(
        kwargs=lambda w: {"account_id": _books(w)["account"].pk},
        post=lambda w: {"name": "x"},
    ),
    "books_gross_profit": Route(own_shop=True, post=None),
    "books_settlements": Route(own_shop=True, post=None),
    # another shop's variant is not a choice: nothing is mapped
    "books_skus": Route(
        own_shop=True, post=lambda w: {"key": "sku:KANARI", "variant": w["variant"].pk}
    ),
    "order_detail": Route(kwargs=lambda w: {"order_id": w["order"].pk}, post=None),
    "preorder_list": Route(own_shop=True, post=None),
    "preorder_new": Route(
        own_shop=True,
        post=lambda w: {
            "product": w["product"].pk,
            "title": "Kanari PO",
            "opens_at": "2026-01-01T10:00",
            "closes_at": "2036-01-01T10:00",
        },
    ),
    "preorder_detail": Route(kwargs=lambda w: {"batch_id": w["preorder"].pk}, post=None),
    "preorder_close": Route(kwargs=lambda w: {"batch_id": w["preorder"].pk}),
    "preorder_cancel": Route(kwargs=lambda w: {"batch_id": w["preorder"].pk}),
    "preorder_message": Route(
        kwargs=lambda w: {"batch_id": w["preorder"].pk},
        post=lambda w: {"channel": "email", "body": "Halo {nama}"},
    ),
    # another shop's variant on a manual order is not a choice: nothing is written
    "order_manual_new": Route(
        own_shop=True,
        post=lambda w: {
            "token": "kanari-manual",
            "name": "Kanari",
            "whatsapp": "0812-7777-8888",
            "line-0-variant": w["variant"].pk,
            "line-0-quantity": 1,
            "delivery": "pickup",
            "payment": "transfer",
            "ordered_at": "2026-01-01T10:00",
        },
    ),
    # the seller's actions on an order (merdeka.orders.lifecycle): a storefront order of
    # the walked shop with reserved stock, a payment with a proof photo, a queued message
    "order_step": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk},
        post=lambda w: {"to": "processing"},
    ),
    "order_pay": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["unpaid"].pk},
        post=lambda w: {"method": "cash", "amount": ""},
    ),
    "order_ship": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk},
        post=lambda w: {"courier": "jne", "tracking": "JP12345678"},
    ),
    "order_complete": Route(kwargs=lambda w: {"order_id": _order_world(w)["order"].pk}),
    "order_cancel": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk},
        post=lambda w: {"reason": "x"},
    ),
    "order_return": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk},
        post=lambda w: {"reason": "x", "restock": "yes"},
    ),
    "order_note": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk},
        post=lambda w: {"note": "x"},
    ),
    "order_notify_whatsapp": Route(
        kwargs=lambda w: {
            "order_id": _order_world(w)["order"].pk,
            "event_id": _order_world(w)["event"].pk,
        }
    ),
    "order_payment_proof": Route(
        kwargs=lambda w: {
            "order_id": _order_world(w)["order"].pk,
            "payment_id": _order_world(w)["payment"].pk,
        },
        post=None,
    ),
    "order_invoice": Route(kwargs=lambda w: {"order_id": _order_world(w)["order"].pk}, post=None),
    "order_packing_slip": Route(
        kwargs=lambda w: {"order_id": _order_world(w)["order"].pk}, post=None
    ),
    "audit_log": Route(own_shop=True, post=None),
    "security": Route(own_shop=True, post=None),
    "keys_rotate": Route(own_shop=True, post=lambda w: {}),
    # parcel cards (merdeka.cards) and customers' rights (merdeka.privacy)
    "card_batches": Route(
        own_shop=True, post=lambda w: {"label": "x", "channel": "shopee", "count": "8"}
    ),
    "card_print": Route(kwargs=lambda w: {"batch_id": _card_batch(w).pk}, post=None),
    "processing_record": Route(own_shop=True, post=lambda w: {"retention_months": "6"}),
    # the breach register (merdeka.privacy.incidents): an incident of the walked shop that
    # lists the canary customer
    "incident_list": Route(kwargs=lambda w: _incident(w) and {}, own_shop=True, post=None),
    "incident_new": Route(
        kwargs=lambda w: _incident(w) and {},
        own_shop=True,
        post=lambda w: {
            "what_happened": "x",
            "found_at": "2026-01-01T10:00",
            "categories": ["name"],
            "scope": "chosen",
            "chosen": f"#{w['customer'].pk}",
            "measures": "x",
            "contact": "x",
        },
    ),
    "incident_detail": Route(kwargs=lambda w: {"incident_id": _incident(w).pk}, post=None),
    "incident_send": Route(
        kwargs=lambda w: {"incident_id": _incident(w).pk}, post=lambda w: {"channel": "email"}
    ),
    "incident_download": Route(kwargs=lambda w: {"incident_id": _incident(w).pk}, post=None),
    "incident_authority_notice": Route(
        kwargs=lambda w: {"incident_id": _incident(w).pk}, post=None
    ),
    "incident_mark": Route(
        kwargs=lambda w: {"incident_id": _incident(w).pk}, post=lambda w: {"notice": "customers"}
    ),
    "customer_rights": Route(kwargs=lambda w: {"customer_id": w["customer"].pk}, post=None),
    "customer_data_export": Route(kwargs=lambda w: {"customer_id": w["customer"].pk}, post=None),
    "customer_correct": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"name": "Citra"}
    ),
    "customer_restrict": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"reason": "request"}
    ),
    "customer_restriction_lift": Route(kwargs=lambda w: {"customer_id": w["customer"].pk}),
    "customer_consent_withdraw": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"channel": "whatsapp"}
    ),
    "customer_erase": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"confirm": "HAPUS"}
    ),
    # catalog and online shop (seller side)
    "product_list": Route(own_shop=True, post=None),
    "product_add": Route(own_shop=True, post=lambda w: {"name": ""}),
    "catalog_categories": Route(own_shop=True, post=lambda w: {"name": ""}),
    "catalog_locations": Route(own_shop=True, post=lambda w: {"name": ""}),
    "product_edit": Route(
        kwargs=lambda w: {"product_id": w["product"].pk},
        post=lambda w: {"name": "Diubah", "variants-TOTAL_FORMS": "0"},
    ),
    "product_stock": Route(
        kwargs=lambda w: {"product_id": w["product"].pk},
        post=lambda w: {"variant": w["variant"].pk, "location": w["location"].pk, "on_hand": "0"},
    ),
    "product_photo_add": Route(kwargs=lambda w: {"product_id": w["product"].pk}),
    # what stock costs (merdeka/catalog/tests/test_cost_views.py)
    "stock_purchase": Route(
        kwargs=lambda w: {"product_id": w["product"].pk},
        post=lambda w: {
            "key": "kanari",
            "variant": w["variant"].pk,
            "location": w["location"].pk,
            "quantity": "1",
            "unit_cost": "1000",
        },
    ),
    "stock_opening_value": Route(
        kwargs=lambda w: {"product_id": w["product"].pk},
        post=lambda w: {"variant": w["variant"].pk, "unit_cost": "1000"},
    ),
    # another shop's location is a 404; its variants are not on the sheet
    "stock_count": Route(
        own_shop=True,
        post=lambda w: {
            "location": w["location"].pk,
            f"count-{w['variant'].pk}": "0",
            "step": "confirm",
        },
    ),
    "product_photo_delete": Route(
        kwargs=lambda w: {"product_id": w["product"].pk, "photo_id": w["photo"].pk}
    ),
    "storefront_settings": Route(own_shop=True, post=lambda w: {"slug": "dapur-ika"}),
    # outreach (objects made by merdeka.outreach.tests.world.outreach_world)
    "outreach_campaigns": Route(own_shop=True, post=None),
    "outreach_campaign_new": Route(own_shop=True, post=lambda w: {"name": ""}),
    "outreach_preview": Route(
        own_shop=True,
        post=lambda w: {
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo {nama}",
            "audience_kind": "all",
            "name": "x",
            "customer": w["customer"].pk,
        },
    ),
    "outreach_campaign": Route(
        kwargs=lambda w: {"campaign_id": _outreach(w)["draft"].pk}, post=None
    ),
    "outreach_campaign_edit": Route(
        kwargs=lambda w: {"campaign_id": _outreach(w)["draft"].pk}, post=lambda w: {"name": "x"}
    ),
    "outreach_campaign_send": Route(
        kwargs=lambda w: {"campaign_id": _outreach(w)["draft"].pk},
        post=lambda w: {"confirmed": "yes"},
    ),
    "outreach_consent_ask": Route(own_shop=True, post=lambda w: {"customer": w["customer"].pk}),
    "outreach_queue": Route(
        kwargs=lambda w: {"campaign_id": _outreach(w)["campaign"].pk}, post=None
    ),
    "outreach_queue_mark": Route(
        kwargs=lambda w: {
            "campaign_id": _outreach(w)["campaign"].pk,
            "delivery_id": _outreach(w)["delivery"].pk,
        }
    ),
    "outreach_whatsapp_settings": Route(
        own_shop=True, post=lambda w: {"phone_number_id": "1", "_": _outreach(w) and ""}
    ),
    "outreach_templates": Route(own_shop=True, post=lambda w: {"name": ""}),
    "outreach_templates_sync": Route(own_shop=True),
    "outreach_template_delete": Route(
        kwargs=lambda w: {"template_id": _outreach(w)["template"].pk}
    ),
    # the customer workspace (merdeka/customers/urls.py)
    "customer_export": Route(own_shop=True, post=lambda w: {"format": "csv"}),
    "segment_list": Route(own_shop=True, post=lambda w: {"name": "Kanari", "city": "X"}),
    "segment_detail": Route(kwargs=lambda w: {"segment_id": _ws.segment(w).pk}, post=None),
    "segment_export": Route(
        kwargs=lambda w: {"segment_id": _ws.segment(w).pk}, post=lambda w: {"format": "csv"}
    ),
    "segment_delete": Route(kwargs=lambda w: {"segment_id": _ws.segment(w).pk}),
    "customer_edit": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"name": "Diganti"}
    ),
    "customer_tag_add": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"name": "x"}
    ),
    "customer_tag_remove": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk, "tag_id": _ws.tag(w).pk}
    ),
    "customer_note_add": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk}, post=lambda w: {"body": "x"}
    ),
    "customer_consent": Route(
        kwargs=lambda w: {"customer_id": w["customer"].pk},
        post=lambda w: {"channel": "whatsapp", "granted": "1"},
    ),
}
# Debts (merdeka.books.debts): the walked shop's receivable of the canary customer, with
# a payment and a reminder (made by _debt). The lists and the new-debt forms act on the
# visitor's own shop: a number of the other shop's customer finds nobody there, and
# another shop's customer in ?pelanggan= gives 404 (merdeka/books/tests/test_debt_views.py).
ROUTES.update(
    {
        "debt_receivables": Route(kwargs=lambda w: _debt(w) and {}, own_shop=True, post=None),
        "debt_payables": Route(kwargs=lambda w: _debt(w) and {}, own_shop=True, post=None),
        "debt_receivable_new": Route(
            kwargs=lambda w: _debt(w) and {},
            own_shop=True,
            post=lambda w: {"key": "walk", "phone": "+6281377778888", "amount": "1.000"},
        ),
        "debt_payable_new": Route(
            own_shop=True, post=lambda w: {"key": "walk", "creditor": "x", "amount": "1.000"}
        ),
        "debt_detail": Route(kwargs=lambda w: {"debt_id": _debt(w).pk}, post=None),
        "debt_pay": Route(
            kwargs=lambda w: {"debt_id": _debt(w).pk},
            post=lambda w: {"key": "walk", "amount": "1", "account": "1", "date": "2026-01-01"},
        ),
        "debt_remind": Route(
            kwargs=lambda w: {"debt_id": _debt(w).pk}, post=lambda w: {"channel": "walink"}
        ),
        "debt_void": Route(kwargs=lambda w: {"debt_id": _debt(w).pk}),
        "order_debt": Route(
            kwargs=lambda w: {"order_id": w["order"].pk}, post=lambda w: {"channel": "walink"}
        ),
    }
)


# Receipts and suppliers (merdeka.receipts, merdeka.suppliers): the walked shop's booked
# receipt and one under review, its item's prices, a supplier with a purchase order part
# received and billed, all named after the canary (made by _receipts).
ROUTES.update(
    {
        "receipts_home": Route(kwargs=lambda w: _receipts(w) and {}, own_shop=True),
        "receipts_progress": Route(own_shop=True, post=None),
        "receipts_queue": Route(kwargs=lambda w: _receipts(w) and {}, own_shop=True, post=None),
        "receipt_detail": Route(
            kwargs=lambda w: {"receipt_id": _receipts(w)["review"].pk},
            post=lambda w: {"store": "x", "do": "confirm", "item_count": "0"},
        ),
        "receipt_photo": Route(
            kwargs=lambda w: {"receipt_id": _receipts(w)["review"].pk}, post=None
        ),
        "receipt_delete": Route(
            kwargs=lambda w: {"receipt_id": _receipts(w)["review"].pk},
            post=lambda w: {"confirmed": "yes"},
        ),
        "price_list": Route(own_shop=True, post=lambda w: {"alert_percent": "50"}),
        "price_item": Route(kwargs=lambda w: {"key": _receipts(w)["item_key"]}, post=None),
        "supplier_list": Route(own_shop=True, post=lambda w: {"name": ""}),
        "supplier_detail": Route(
            kwargs=lambda w: {"supplier_id": _receipts(w)["supplier"].pk},
            post=lambda w: {"name": "x"},
        ),
        "po_new": Route(
            kwargs=lambda w: {"supplier_id": _receipts(w)["supplier"].pk},
            post=lambda w: {"variant-0": w["variant"].pk, "qty-0": "1", "price-0": "1"},
        ),
        "po_detail": Route(kwargs=lambda w: {"order_id": _receipts(w)["order"].pk}, post=None),
        "po_whatsapp": Route(kwargs=lambda w: {"order_id": _receipts(w)["order"].pk}),
        "po_pdf": Route(kwargs=lambda w: {"order_id": _receipts(w)["order"].pk}, post=None),
        "po_receive": Route(
            kwargs=lambda w: {"order_id": _receipts(w)["order"].pk},
            post=lambda w: {"key": "x", f"qty-{w['receipts']['line'].pk}": "1"},
        ),
        "po_bill": Route(
            kwargs=lambda w: {"order_id": _receipts(w)["order"].pk},
            post=lambda w: {"due_date": "2036-01-01"},
        ),
    }
)


def _receipts(world):
    if "receipts" not in world:
        from merdeka.receipts.tests.world import receipts_world

        world["receipts"] = receipts_world(world["shop"], world["variant"])
    return world["receipts"]


def _debt(world):
    """A receivable of the canary customer (its note a canary), part paid, reminded."""
    if "debt" not in world:
        from merdeka.books import debt_reminders, debts
        from merdeka.books.chart import accounts_by_key
        from merdeka.books.posting import today

        shop = world["shop"]
        acc = accounts_by_key(shop=shop, keys=["sales", "cash"])
        day = today(shop)
        debt = debts.debt_record(
            shop=shop, kind="receivable", key="walk", amount=250_000,
            counter_account_id=acc["sales"], due_date=day, customer_id=world["customer"].pk,
            note="Kanari Rahasia Ika",
        )  # fmt: skip
        debts.debt_payment_record(
            shop=shop, debt_id=debt.pk, key="walk", amount=50_000, account_id=acc["cash"]
        )
        debt_reminders.reminder_send(shop=shop, channel="walink", debt_id=debt.pk)
        world["debt"] = debt
    return world["debt"]


# Group buying (merdeka.groupbuy): the seller's dashboard walks the shop's offer and an
# open group with a member (made by _groupbuy); the public pages under the storefront's
# slug are reached by unguessable tokens, and merdeka/groupbuy/tests/test_views.py tests
# that another shop's tokens and offers give 404 under this slug.
ROUTES.update(
    {
        "groupbuy_list": Route(kwargs=lambda w: _groupbuy(w) and {}, own_shop=True, post=None),
        "groupbuy_offer_add": Route(
            kwargs=lambda w: _groupbuy(w) and {},  # the objects exist before the walk
            own_shop=True,
            post=lambda w: {"variant": w["variant"].pk, "tiers": "1 = 1000", "max_days": "3"},
        ),
        "groupbuy_offer_edit": Route(
            kwargs=lambda w: {"offer_id": _groupbuy(w)["offer"].pk},
            post=lambda w: {"tiers": "1 = 1000", "max_days": "3", "variant": "1"},
        ),
        "groupbuy_seller_open": Route(
            kwargs=lambda w: _groupbuy(w) and {},
            own_shop=True,
            post=lambda w: {"offer": w["groupbuy"]["offer"].pk, "days": "1", "token": "walk"},
        ),
        "groupbuy_detail": Route(
            kwargs=lambda w: {"group_id": _groupbuy(w)["group"].pk},
            post=lambda w: {"action": "close", "confirmed": "yes"},
        ),
    }
)
PUBLIC |= {"groupbuy_open", "groupbuy_public", "groupbuy_member", "groupbuy_coordinator"}


def _groupbuy(world):
    """The walked shop's group buy offer and an open group with one member."""
    if "groupbuy" not in world:
        from merdeka.groupbuy.tests.world import groupbuy_world

        world["groupbuy"] = groupbuy_world(world["shop"], world["variant"])
    return world["groupbuy"]


# The public sign-up page of a parcel card: it shows its own shop's name on purpose and is
# reached only by an unguessable token (merdeka/cards/tests test that a foreign one 404s).
PUBLIC |= {"signup", "signup_thanks"}


def _books_account(world) -> int:
    """The walked shop's cash account: its ledger is the other shop's to see, never ours."""
    return accounts_by_key(shop=world["shop"], keys=["cash"])["cash"]


def _export_job(world):
    """A finished "download everything" of the walked shop (its file need not exist: the
    route must refuse before it looks)."""
    if "export_job" not in world:
        from merdeka.imports.models import ExportJob

        world["export_job"] = ExportJob.unscoped.create(
            shop=world["shop"], token="kanari0export0ika0000000000000", state="done"
        )
    return world["export_job"]


def _card_batch(world):
    """A parcel-card batch of the walked shop, made the first time a route asks."""
    if "card_batch" not in world:
        from merdeka.cards.models import CardBatch

        world["card_batch"] = CardBatch.unscoped.create(
            shop=world["shop"], label="Kanari Rahasia Ika", channel="shopee", count=8
        )
    return world["card_batch"]


def _books(world):
    """An expense of the walked shop with its receipt's photo, paid from an account she
    added, and a monthly expense: each named after the canary."""
    if "books" not in world:
        import datetime as dt
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        from merdeka.books.accounts import account_add
        from merdeka.books.chart import accounts_by_key
        from merdeka.books.expenses import expense_quick_record
        from merdeka.books.recurring import recurring_expense_create

        shop = world["shop"]
        account = account_add(shop=shop, group="money", name="Kanari Rahasia Ika")
        category = account_add(shop=shop, group="expense", name="Kanari Rahasia Ika B")
        photo = io.BytesIO()
        Image.new("RGB", (200, 120), (10, 90, 200)).save(photo, format="PNG")
        entry = expense_quick_record(
            shop=shop,
            key="kanari",
            amount=77_000,
            category_id=category.pk,
            paid_from_id=account.pk,
            note="Kanari Rahasia Ika",
            receipt=SimpleUploadedFile("struk.png", photo.getvalue(), "image/png"),
        )
        rent = accounts_by_key(shop=shop, keys=["expense:rent"])["expense:rent"]
        recurring = recurring_expense_create(
            shop=shop,
            name="Kanari Rahasia Ika",
            amount=1_000_000,
            category_id=rent,
            paid_from_id=account.pk,
            day_of_month=28,
            starts_on=dt.date(2036, 1, 1),
        )
        world["books"] = {
            "account": account,
            "category": category,
            "entry": entry,
            "recurring": recurring,
        }
    return world["books"]


def _tax(world) -> str:
    """The walked shop's business profile (its name a canary), the photo of its KTP and
    a PPh Final payment; returns the document's kind, the URL's argument."""
    if "tax" not in world:
        import datetime as dt
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        from merdeka.books.chart import accounts_by_key
        from merdeka.tax.profile import document_add, profile_update
        from merdeka.tax.services import tax_payment_record

        shop = world["shop"]
        profile_update(shop=shop, legal_form="cv", business_name="Kanari Rahasia Ika CV")
        photo = io.BytesIO()
        Image.new("RGB", (200, 120), (10, 90, 200)).save(photo, format="PNG")
        document_add(shop=shop, kind="ktp", upload=SimpleUploadedFile("ktp.png", photo.getvalue()))
        cash = accounts_by_key(shop=shop, keys=["cash"])["cash"]
        tax_payment_record(
            shop=shop,
            key="kanari",
            month=dt.date(2026, 1, 1),
            amount=12_345,
            paid_on=dt.date(2026, 2, 10),
            paid_from_id=cash,
        )
        world["tax"] = "ktp"
    return world["tax"]


def _incident(world):
    """An open incident of the walked shop; its words and its customer are canaries."""
    if "incident" not in world:
        from django.utils import timezone

        from merdeka.privacy.incidents import incident_record

        world["incident"] = incident_record(
            shop=world["shop"],
            actor=None,
            what_happened="Kanari Rahasia Ika lost her phone",
            found_at=timezone.now(),
            categories=["name", "phone"],
            measures="Kanari Rahasia Ika changed passwords",
            contact="Kanari Rahasia Ika",
            scope="chosen",
            chosen=[f"#{world['customer'].pk}"],
        )
    return world["incident"]


def _order_world(world):
    """A storefront order of the walked shop (the canary buyer, stock reserved), paid with
    a proof photo and a wa.me message queued for the buyer; and one still unpaid."""
    if "order_world" not in world:
        from merdeka.orders.tests.lifecycle_world import order_world

        world["order_world"] = order_world(world)
    return world["order_world"]


def _outreach(world):
    from merdeka.outreach.tests.world import outreach_world

    return outreach_world(world)


def named_patterns(resolver: URLResolver | None = None, prefix: str = "") -> dict[str, str]:
    """Every named URL pattern of the project, with its route text."""
    resolver = resolver or get_resolver()
    found: dict[str, str] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found.update(named_patterns(entry, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                raise AssertionError(f"URL {prefix}{entry.pattern} has no name")
            found[entry.name] = prefix + str(entry.pattern)
    return found


# The lender's evidence pack (merdeka.books.pack*): the owner's page acts on her own shop;
# a pack and a link of the walked shop give 404 to another shop
# (merdeka/books/tests/test_pack.py).
ROUTES.update(
    {
        "books_pack": Route(own_shop=True, post=lambda w: {"months": "12"}),
        "books_pack_download": Route(kwargs=lambda w: {"pack_id": _pack(w)["pack"].pk}, post=None),
        "books_pack_share": Route(
            kwargs=lambda w: {"pack_id": _pack(w)["pack"].pk},
            post=lambda w: {"label": "Bank", "days": "7"},
        ),
        "books_pack_share_revoke": Route(kwargs=lambda w: {"share_id": _pack(w)["share"].pk}),
    }
)
# Public: a lender's link behind an unguessable token (expiry and revocation tested in
# merdeka/books/tests/test_pack.py), the verification page (it reads only the uploaded
# pack) and a shop's published public keys (public on purpose).
PUBLIC |= {"pack_shared", "pack_shared_download", "pack_verify", "pack_keys"}


def _pack(world):
    """A pack of the walked shop and a link to it for a lender."""
    if "pack" not in world:
        from merdeka.books.pack import pack_make
        from merdeka.books.pack_share import share_create

        made = pack_make(shop=world["shop"], months=3)
        share, _token = share_create(
            shop=world["shop"], pack_id=made.pack.pk, label="Kanari Rahasia Ika", days=7
        )
        world["pack"] = {"pack": made.pack, "share": share}
    return world["pack"]
