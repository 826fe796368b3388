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

ROUTES: dict[str, Route] = {
    "home": Route(own_shop=True, post=None),
    "logout": Route(own_shop=True),
    "password_change": Route(own_shop=True, post=lambda w: {"old_password": "x"}),
    "shop_switch": Route(post=lambda w: {"shop_id": w["shop"].pk}),
    "shop_settings": Route(own_shop=True, post=lambda w: {"name": ""}),
    "staff": Route(own_shop=True, post=lambda w: {"username": ""}),
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
    "import_home": Route(own_shop=True, post=lambda w: {}),
    "import_run": Route(kwargs=lambda w: {"run_id": w["run"].pk}, post=None),
    "import_mapping": Route(
        kwargs=lambda w: {"run_id": w["run"].pk, "file_id": w["waiting_file"].pk},
        post=lambda w: {"jenis": "pesanan", "channel": "other", "order_id": "0", "created_at": "1"},
    ),
    "import_mapping_cancel": Route(
        kwargs=lambda w: {"run_id": w["run"].pk, "file_id": w["waiting_file"].pk}
    ),
    "audit_log": Route(own_shop=True, post=None),
    "security": Route(own_shop=True, post=None),
    "keys_rotate": Route(own_shop=True, post=lambda w: {}),
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
