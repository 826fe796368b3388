from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "merdeka.orders"
    label = "orders"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from merdeka.privacy.audit import ACTION_LABELS

        # the audit log's words for the seller's actions on orders (merdeka.orders.lifecycle)
        ACTION_LABELS.update(
            {
                "order.status_changed": _("Order status changed"),
                "order.payment_recorded": _("Payment recorded"),
                "order.payment_proof_viewed": _("Proof of payment viewed"),
                "order.shipped": _("Order shipped"),
                "order.completed": _("Order completed"),
                "order.cancelled": _("Order cancelled"),
                "order.note_added": _("Note added to an order"),
                "order.invoice_printed": _("Invoice opened for printing"),
                "order.packing_slip_printed": _("Packing slip opened for printing"),
                "order.label_printed": _("Shipping label opened for printing"),
            }
        )
