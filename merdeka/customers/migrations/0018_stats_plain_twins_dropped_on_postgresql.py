"""PostgreSQL only: the list rows' plain ``stats_last_order`` and ``stats_rfm``, beside
the ``…_pg`` twins of migration 0007 (the same columns, last order descending, NULL
last), each written and moved for every list row (docs/decisions/customer-indexes.md).
The twins serve the list's order, the last order's date filter and the RFM group; the
RFM boundaries read the last order with NULLs first, which is the twin read backwards.
SQLite has no twins and keeps the plain ones (model state is unchanged).
"""

from django.db import migrations

PLAIN_ON_POSTGRESQL = {
    "stats_last_order": "(shop_id, last_order_at, customer_id)",
    "stats_rfm": "(shop_id, rfm_group, last_order_at)",
}


def plain_dropped(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in PLAIN_ON_POSTGRESQL:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def plain_made(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in PLAIN_ON_POSTGRESQL.items():
            schema_editor.execute(f'CREATE INDEX "{name}" ON "customers_customerstats" {columns}')


class Migration(migrations.Migration):
    dependencies = [("customers", "0017_identity_one_unique_index")]

    operations = [
        migrations.RunPython(plain_dropped, plain_made),
    ]
