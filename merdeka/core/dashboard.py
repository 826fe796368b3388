"""The home page is the shop's dashboard: what happened today and what waits for her.

Every figure links to the page where she acts on it, and every one is cheap to read:
the books' per-day totals (``merdeka.books.dashboard``), counts of open orders over the
index (shop, status), the open low-stock alerts. While the shop is still empty a guide
of first steps shows, each step ticked as soon as it is done.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from merdeka.books import dashboard as books_dashboard
from merdeka.books.models import JournalEntry, Source
from merdeka.books.posting import today
from merdeka.catalog.alerts import low_stock
from merdeka.catalog.models import Product
from merdeka.core.scoping import shop_scope
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order
from merdeka.orders.selectors import orders_waiting
from merdeka.receipts import selectors as receipts
from merdeka.storefront.selectors import storefront_for
from merdeka.tax import reminders as tax_reminders


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    hint: str
    url: str
    done: bool


def _storefront_ready(shop) -> bool:
    front = storefront_for(shop=shop)
    return bool(
        front is not None
        and front.is_open
        and (front.qris_payload or front.bank_accounts or front.ewallets)
    )


def first_steps(*, shop) -> list[Step] | None:
    """The guide while the shop is empty (no product or no order yet): None once she has
    both, or once every step is done."""
    with shop_scope(shop):
        has_product = Product.objects.filter(shop=shop).exists()
        has_order = Order.objects.filter(shop=shop).exists()
        if has_product and has_order:
            return None
        imported = ImportFile.objects.filter(shop=shop, state=ImportFile.State.IMPORTED).exists()
        has_expense = JournalEntry.objects.filter(shop=shop, source=Source.EXPENSE).exists()
    steps = [
        Step(
            "product",
            _("Add a product"),
            _("Its name, price and stock: what buyers order from your online shop."),
            reverse("product_add"),
            has_product,
        ),
        Step(
            "storefront",
            _("Open your online shop"),
            _("Choose how buyers pay (QRIS, transfer) and share its link on WhatsApp."),
            reverse("storefront_settings"),
            _storefront_ready(shop),
        ),
        Step(
            "import",
            _("Import your marketplace orders"),
            _("The order export of Shopee, TikTok Shop or Tokopedia: your buyers join your list."),
            reverse("import_home"),
            imported,
        ),
        Step(
            "expense",
            _("Record an expense"),
            _("Packaging, ingredients, rent: so that your profit is the real one."),
            reverse("books_expense_new"),
            has_expense,
        ),
    ]
    if all(step.done for step in steps):
        return None
    return steps


def orders_today(*, shop, day: dt.date) -> int:
    """Orders placed on the shop's day (index on ``ordered_at``)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(shop.time_zone))
    with shop_scope(shop):
        return Order.objects.filter(
            shop=shop, ordered_at__gte=start, ordered_at__lt=start + dt.timedelta(days=1)
        ).count()


def dashboard(*, shop, membership) -> dict:
    """Everything the home page shows, for this member."""
    day = today(shop)
    figures = books_dashboard.today_figures(shop=shop, day=day)
    waiting = orders_waiting(shop=shop)
    alerts = low_stock(shop=shop)
    order_list = reverse("order_list")
    if len(alerts) == 1:
        stock_url = reverse("product_stock", args=[alerts[0].variant.product_id])
    else:
        stock_url = reverse("product_list")
    return {
        "day": day,
        "sales": figures["sales"],
        "profit_visible": books_dashboard.profit_visible(shop=shop, membership=membership),
        "expenses": figures["expenses"],
        "profit": figures["profit"],
        "orders_today": orders_today(shop=shop, day=day),
        "to_process": waiting["to_process"],
        "to_process_url": f"{order_list}?need=process",
        "unpaid": waiting["unpaid"],
        "unpaid_total": waiting["unpaid_total"],
        "unpaid_url": f"{order_list}?need=payment",
        "receivables": books_dashboard.receivables_due(shop=shop, day=day),
        "tax_due": tax_reminders.dashboard_tile(shop=shop, membership=membership, day=day),
        "low_stock": alerts,
        "low_stock_url": stock_url,
        "steps": first_steps(shop=shop),
        "receipts_to_check": receipts.to_check(shop=shop),
        "price_alerts": receipts.price_alerts(shop=shop),
        "month_seal": books_dashboard.month_seal(shop=shop)
        if membership is not None and membership.is_owner
        else None,
    }
