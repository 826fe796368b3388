from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "merdeka.orders"
    label = "orders"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from merdeka.core import events  # ready(): it imports models
        from merdeka.orders.lifecycle import ORDER_PLACED  # ready(): it imports models
        from merdeka.orders.notify import new_orders_mail  # ready(): it imports models
        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        # the owners hear of a buyer's new order by mail, after it committed: through
        # the outbox, so that the checkout does not wait for a mail server
        events.subscribe(
            ORDER_PLACED,
            name="orders.new_order_mail",
            handler=new_orders_mail,
            delivery=events.OUTBOX,
        )

        # the audit log's words for the seller's actions on orders (merdeka.orders.lifecycle)
        ACTION_LABELS.update(
            {
                "order.status_changed": _("Order status changed"),
                "order.payment_recorded": _("Payment recorded"),
                "order.payment_proof_viewed": _("Proof of payment viewed"),
                "order.shipped": _("Order shipped"),
                "order.completed": _("Order completed"),
                "order.cancelled": _("Order cancelled"),
                "order.returned": _("Order returned"),
                "order.note_added": _("Note added to an order"),
                "order.invoice_printed": _("Invoice opened for printing"),
                "order.packing_slip_printed": _("Packing slip opened for printing"),
                "order.label_printed": _("Shipping label opened for printing"),
                "order.manual_created": _("Order added by hand"),
            }
        )
