"""PostgreSQL: the ``varchar_pattern_ops`` twins (``…_like``) that Django made beside the
customers' blind indexes, for ``LIKE`` on an indexed text column. No query matches a
keyed hash by a pattern (lookups are equalities), and each customer written paid for
three of them at random places (docs/decisions/order-indexes.md). SQLite has none."""

from django.db import migrations

LIKES = {
    "customers_customer_phone_index_723f7685_like": "phone_index",
    "customers_customer_email_index_014e35d5_like": "email_index",
    "customers_customer_city_index_785ea720_like": "city_index",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in LIKES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in LIKES.items():
            schema_editor.execute(
                f'CREATE INDEX "{name}" ON "customers_customer" ("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0015_review_groups")]

    operations = [migrations.RunPython(forwards, backwards)]
