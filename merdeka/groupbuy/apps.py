from django.apps import AppConfig


class GroupBuyConfig(AppConfig):
    name = "merdeka.groupbuy"
    label = "groupbuy"

    def ready(self) -> None:
        from merdeka.core import events
        from merdeka.groupbuy.services import members_left
        from merdeka.orders.lifecycle import ORDER_CANCELLED

        # exact and atomic with the cancel: the group's count and price follow it
        events.subscribe(ORDER_CANCELLED, name="groupbuy.members_left", handler=members_left)
