"""The orders' indexes that no query reads, dropped (docs/decisions/order-indexes.md).

* ``city_index`` (both backends): no query looks orders up by their city's blind index
  (a search by city reads the customers' or the stats' indexes); each imported order
  wrote a random key into it.
* PostgreSQL's ``varchar_pattern_ops`` twins (``…_like``) of ``city_index`` and
  ``public_token``, made by Django for ``LIKE`` on an indexed text column: no query
  matches a blind index or a token by a pattern.

The index is dropped by name, not by ``AlterField``: on SQLite Django remakes the whole
table for that, which would drop the sales-day triggers of 0008 with it.
"""

from django.db import migrations

import merdeka.privacy.fields

CITY = "orders_order_city_index_5b2e74b6"
LIKES = (f"{CITY}_like", "orders_order_public_token_b96093b3_like")


def forwards(apps, schema_editor):
    names = (CITY, *LIKES) if schema_editor.connection.vendor == "postgresql" else (CITY,)
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX "{CITY}" ON "orders_order" ("city_index")')
    if schema_editor.connection.vendor == "postgresql":
        for name, column in zip(LIKES, ("city_index", "public_token"), strict=True):
            schema_editor.execute(
                f'CREATE INDEX "{name}" ON "orders_order" ("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_returned_event")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="city_index",
                    field=merdeka.privacy.fields.BlindIndexField(
                        blank=True,
                        db_index=False,
                        editable=False,
                        max_length=32,
                        null=True,
                        source="city",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
