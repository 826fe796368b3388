"""The orders', order lines', customers', identities', match keys' and list rows' tables
carry the indexes that a query reads, and no other (docs/decisions/order-indexes.md and
docs/decisions/customer-indexes.md: which index serves which query). An index added or
dropped changes these lists and those pages together."""

from __future__ import annotations

import pytest
from django.db import connection

ORDERS = {
    "order_unique_per_channel",  # SQLite: sqlite_autoindex_orders_order_2
    "order_unique_idempotency_key",
    "order_customer",
    "order_shop_status",
    "orders_order_ordered_at_6ce09183",
    "orders_order_customer_id_0b76f6a4",
    "orders_order_import_file_id_f14d8077",
    "orders_order_key_version_53aa34d6",
    "orders_order_public_token_key",  # SQLite: sqlite_autoindex_orders_order_1
}
LINES = {
    "orders_orderline_order_id_17f8f3ef",
    "orders_orderline_shop_id_a7e576a8",
    "orders_orderline_product_variant_id_2a95ade5",
    "orders_orderline_stock_location_id_815ae7ff",
}
IDENTITIES = {
    "identity_unique_index",
    # (shop, customer) for "shop = ? AND customer IN (…)" on SQLite without statistics,
    # customer_id for the cascade (no shop): both (docs/decisions/customer-indexes.md)
    "identity_customer",
    "customers_identity_customer_id_b1e21f37",
    "customers_identity_import_file_id_11548360",
    "customers_identity_key_version_e4e3fb77",
}
MATCH_KEYS = {
    "matchkey_lookup",
    "matchkey_customer",  # as for identities
    "customers_matchkey_customer_id_588fc088",
}
CUSTOMERS = {
    "customers_customer_phone_index_723f7685",
    "customers_customer_email_index_014e35d5",
    "customers_customer_created_at_b0f7c38c",
    "customers_customer_shop_id_4e9d8254",
    "customers_customer_merged_into_id_2994ddb6",
    "customers_customer_key_version_0c3e784b",
    "customers_customer_city_index_785ea720",  # a campaign to a city (PostgreSQL's plan)
}
LIST_ROWS = {  # customers_customerstats: each the list's sort or filter it serves
    "stats_last_order",  # sort "last" (the default), the last order's dates, RFM bounds
    "stats_first_order",  # the first order's dates
    "stats_spend",  # sort "spend", spend from/to
    "stats_orders",  # sort "orders", orders from/to
    "stats_name",  # sort "name"
    "stats_created",  # sort "new"
    "stats_region_counts",  # province (and city) with orders and spend, counted covered
    "stats_city_counts",  # the city without a province: PostgreSQL 15 has no skip scan
    "stats_rfm",  # an RFM group, in the default order
    "stats_channels",  # a channel (the masks holding its bit)
}
# PostgreSQL sorts NULL first when descending: the last order's two indexes there are
# (…, last_order_at DESC NULLS LAST, customer DESC) twins (customers 0007), the plain
# ones dropped (0018)
LIST_ROWS_POSTGRESQL = LIST_ROWS - {"stats_last_order", "stats_rfm"} | {
    "stats_last_order_pg",
    "stats_rfm_pg",
}
UNIQUE_ON_SQLITE = {
    "sqlite_autoindex_orders_order_1": "orders_order_public_token_key",
    "sqlite_autoindex_orders_order_2": "order_unique_per_channel",
    "sqlite_autoindex_customers_identity_1": "identity_unique_index",
    # the list row's primary key (the customer's id, a bigint: no rowid alias)
    "sqlite_autoindex_customers_customerstats_1": "customers_customerstats_pkey",
}


def indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table]
            )
            names = {UNIQUE_ON_SQLITE.get(name, name) for (name,) in cursor.fetchall()}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            names = {name for (name,) in cursor.fetchall()}
    return names - {f"{table}_pkey"}


@pytest.mark.django_db
def test_the_orders_tables_carry_the_indexes_a_query_reads_and_no_other():
    assert indexes("orders_order") == ORDERS
    assert indexes("orders_orderline") == LINES


@pytest.mark.django_db
def test_identities_carry_one_random_key_index():
    assert indexes("customers_identity") == IDENTITIES


@pytest.mark.django_db
def test_the_customers_tables_carry_the_indexes_a_query_reads_and_no_other():
    assert indexes("customers_customer") == CUSTOMERS
    postgresql = connection.vendor == "postgresql"
    assert indexes("customers_customerstats") == (LIST_ROWS_POSTGRESQL if postgresql else LIST_ROWS)
    assert indexes("customers_matchkey") == MATCH_KEYS


@pytest.mark.django_db
def test_the_customers_blind_indexes_have_no_pattern_twins():
    assert not {name for name in indexes("customers_customer") if name.endswith("_like")}


@pytest.mark.django_db
def test_dropping_an_index_kept_the_sales_day_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {name for (name,) in cursor.fetchall()}
    assert {
        f"orders_sales_{kind}_{op}" for kind in ("order", "line") for op in ("in", "up", "out")
    } <= names
