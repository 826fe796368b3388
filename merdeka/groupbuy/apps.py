from django.apps import AppConfig


class GroupBuyConfig(AppConfig):
    name = "merdeka.groupbuy"
    label = "groupbuy"

    def ready(self) -> None:
        from merdeka.core import events  # ready(): it imports models
        from merdeka.groupbuy.services import members_left  # ready(): it imports models
        from merdeka.orders.lifecycle import ORDER_CANCELLED  # ready(): it imports models

        # exact and atomic with the cancel: the group's count and price follow it
        events.subscribe(ORDER_CANCELLED, name="groupbuy.members_left", handler=members_left)
