"""The seller's menu: four daily places in the phone's bottom bar, the rest under "More".

``{% main_menu as menu %}`` gives ``menu.daily`` (the bar's links), ``menu.groups`` (the
"More" menu's labelled groups) and ``menu.more_current`` (the open page's name when it is
one of the "More" menu's: "More" is marked). A place is current when the path starts with
one of its prefixes (a customer's rights pages belong to Customers).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()


@dataclass(frozen=True)
class Place:
    url_name: str
    label: str
    icon: str = ""
    also: tuple[str, ...] = ()  # more path prefixes of this place
    owner_only: bool = False
    exact: bool = False  # only its own address (the home page is "/")


DAILY = [
    Place("home", _("Home"), "home", exact=True),
    Place("order_list", _("Orders"), "orders"),
    Place("customer_list", _("Customers"), "customers", also=("/privasi/pelanggan/",)),
    Place("product_list", _("Products"), "products"),
]
MORE = [
    (
        _("Selling"),
        [
            Place("books_home", _("Books")),
            Place("receipts_home", _("Receipts")),
            Place("supplier_list", _("Suppliers")),
            Place("storefront_settings", _("Online shop"), owner_only=True),
            Place("groupbuy_list", _("Group buys")),
            Place("preorder_list", _("Pre-orders")),
        ],
    ),
    (
        _("Reaching customers"),
        [
            Place("outreach_campaigns", _("Campaigns")),
            Place("card_batches", _("Parcel cards")),
            Place("import_home", _("Import")),
        ],
    ),
    (
        _("Your shop"),
        [
            Place("staff", _("Team"), owner_only=True),
            Place("shop_settings", _("Settings"), owner_only=True),
            Place("security", _("Security"), also=("/privasi/",), owner_only=True),
            Place("audit_log", _("Audit log"), owner_only=True),
        ],
    ),
]


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    icon: str
    current: bool


def _links(places, path: str, is_owner: bool) -> list[Link]:
    links = []
    for place in places:
        if place.owner_only and not is_owner:
            continue
        url = reverse(place.url_name)
        prefixes = () if place.exact else (url, *place.also)
        current = path == url or any(path.startswith(prefix) for prefix in prefixes)
        links.append(Link(url, str(place.label), place.icon, current))
    return links


@register.simple_tag(takes_context=True)
def main_menu(context) -> dict:
    request = context["request"]
    path, is_owner = request.path, bool(context.get("is_owner"))
    daily = _links(DAILY, path, is_owner)
    groups = [(str(label), _links(places, path, is_owner)) for label, places in MORE]
    groups = [(label, links) for label, links in groups if links]
    # a customer's rights (/privasi/pelanggan/…) are Customers', not Security's
    if any(link.current for link in daily):
        groups = [
            (label, [Link(x.url, x.label, x.icon, False) for x in links]) for label, links in groups
        ]
    # the open page's name when it is one of "More"'s (shown beside "More" on wide screens)
    more_current = next((x.label for _label, links in groups for x in links if x.current), "")
    return {"daily": daily, "groups": groups, "more_current": more_current}
