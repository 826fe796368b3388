"""Give the customers that exist before the workspace their list rows and search tokens."""

from django.db import migrations


def fill(apps, schema_editor):
    # the current models on purpose: this runs right after the tables it fills exist
    from merdeka.core.models import Shop
    from merdeka.core.scoping import scopes_disabled
    from merdeka.customers import search, stats
    from merdeka.customers.models import Customer
    from merdeka.privacy.keys import KeyError_
    with scopes_disabled():
        # only the columns this migration's time had: later migrations add others
        for shop in Shop.objects.only("id", "name", "slug", "time_zone", "created_at"):
            if not Customer.objects.filter(shop_id=shop.pk).exists():
                continue
            stats.customer_stats_refresh(shop=shop.pk)
            try:
                search.reindex_shop(shop=shop)
            except KeyError_:
                print(f"\n  shop {shop.pk}: keys not available; run `merdeka reindex`")


PG_INDEXES = {
    "stats_last_order_pg": "(shop_id, last_order_at DESC NULLS LAST, customer_id DESC)",
    "stats_rfm_pg": "(shop_id, rfm_group, last_order_at DESC NULLS LAST, customer_id DESC)",
}


def pg_index(apps, schema_editor):
    """The list's default order (last order first, never-bought last), also within an
    RFM group, as PostgreSQL reads it from an index; SQLite sorts NULL last when
    descending with the plain indexes."""
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in PG_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX {name} ON customers_customerstats {columns}")


def pg_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in PG_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_workspace_search_stats_tags_notes_segments")]

    operations = [
        migrations.RunPython(pg_index, pg_index_drop),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
