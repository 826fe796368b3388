from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BooksConfig(AppConfig):
    name = "merdeka.books"
    label = "books"

    def ready(self) -> None:
        from merdeka.books.costs import stock_changed  # ready(): it imports models
        from merdeka.books.orders import (  # ready(): it imports models
            HISTORY,
            IMPORT_POSTINGS,
            ORDER_EVENTS,
            orders_changed,
        )
        from merdeka.books.skus import IMPORT_EVENTS, lines_imported  # ready(): it imports models
        from merdeka.catalog.services import STOCK_VALUED  # ready(): it imports models
        from merdeka.core import events  # ready(): it imports models
        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        # imported lines map to the catalog and get their cost before the orders post
        # (subscribers run in the order they were registered)
        events.subscribe(*IMPORT_EVENTS, name="books.skus", handler=lines_imported)
        # exact and atomic with the change: an order's postings follow it in its transaction
        seller = [kind for kind in ORDER_EVENTS if kind not in HISTORY]
        events.subscribe(*seller, name="books.orders", handler=orders_changed)
        # an import's orders post after its file commits (the list is usable sooner); the
        # lines above stay inline: stock and costs are in place before these post
        events.subscribe(
            *HISTORY, name=IMPORT_POSTINGS, handler=orders_changed, delivery=events.OUTBOX
        )
        # a purchase, an opening stock value, a count's difference: posted with the move
        events.subscribe(STOCK_VALUED, name="books.stock", handler=stock_changed)

        # the audit log's words for what the books record (never "books.expense_recorded")
        ACTION_LABELS.update(
            {
                "books.expense_recorded": _("Expense recorded"),
                "books.expense_cancelled": _("Expense cancelled"),
                "books.expense_receipt_deleted": _("Cancelled expense's receipt photo deleted"),
                "books.transfer_recorded": _("Transfer between accounts recorded"),
                "books.owner_money_recorded": _("Owner's capital or drawings recorded"),
                "books.opening_recorded": _("Opening balance recorded"),
                "books.month_closed": _("Month closed in the books"),
                "books.month_reopened": _("Month reopened in the books"),
                "books.account_added": _("Account added to the books"),
                "books.account_changed": _("Account in the books changed"),
                "books.recurring_created": _("Monthly expense set up"),
                "books.recurring_stopped": _("Monthly expense stopped"),
                "books.reports_access_set": _("Who may see the reports changed"),
                "books.sku_mapped": _("Imported product mapped to the catalog"),
            }
        )
