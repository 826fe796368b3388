"""A customer's city is sealed like the rest of their address, with a blind index.

Existing cities are sealed under the key that sealed the rest of their row (one key
version per row: key rotation relies on it) and indexed; the list's rows keep the city's
blind index instead of its text. The plain columns are dropped; on SQLite the freed space
is overwritten (``secure_delete``) so the plain cities do not linger in the file.
A city that cannot be sealed (a shop without keys) is dropped rather than kept plain.
"""

from django.db import migrations, models

import merdeka.privacy.fields

CHUNK = 2000


def seal_cities(apps, schema_editor):
    # the shop keys and the normaliser as they are now, not frozen models
    from merdeka.customers.models import normalize_city
    from merdeka.privacy import crypto

    connection = schema_editor.connection
    Customer = apps.get_model("customers", "Customer")
    rows = (
        Customer._base_manager.exclude(city="")
        .order_by("pk")
        .values_list("pk", "shop_id", "uid", "key_version", "city")
    )
    indexers, changes = {}, []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA secure_delete = ON")

        def flush():
            cursor.executemany(
                "UPDATE customers_customer SET sealed_city = %s, city_index = %s, "
                "key_version = %s, city = '' WHERE id = %s",
                changes,
            )
            changes.clear()

        for pk, shop_id, uid, version, city in rows.iterator(chunk_size=CHUNK):
            sealed = index = None
            kept = version
            try:
                version = version or crypto.active_data_key_version(shop_id)
                sealed = crypto.encrypt(
                    city,
                    shop_id=shop_id,
                    label="customers.customer",
                    column="city",  # its name once renamed below
                    row=str(uid),
                    version=version,
                )
                if shop_id not in indexers:
                    indexers[shop_id] = crypto.blind_indexer(
                        shop_id=shop_id, purpose="customers.customer.city"
                    )
                normalized = normalize_city(city)
                index = indexers[shop_id](normalized) if normalized else None
            except Exception:  # noqa: BLE001 - no usable key: drop the city, never keep it plain
                sealed, index, version = None, None, kept
            changes.append((sealed, index, version, pk))
            if len(changes) >= CHUNK:
                flush()
        if changes:
            flush()
        cursor.execute(
            "UPDATE customers_customerstats SET city_index = COALESCE((SELECT c.city_index "
            "FROM customers_customer c WHERE c.id = customers_customerstats.customer_id), '')"
        )


def analyze(apps, schema_editor):
    """Statistics for the new indexes: without them SQLite takes them for selective."""
    schema_editor.execute("ANALYZE customers_customerstats")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_phone_name_key"),
        ("privacy", "0005_incident"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="sealed_city",
            field=merdeka.privacy.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="customer",
            name="city_index",
            field=merdeka.privacy.fields.BlindIndexField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=32,
                null=True,
                source="city",
            ),
        ),
        migrations.AddField(
            model_name="customerstats",
            name="city_index",
            field=models.CharField(blank=True, default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(seal_cities, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="customerstats", name="stats_region_counts"),
        migrations.RemoveIndex(model_name="customerstats", name="stats_city_counts"),
        migrations.RemoveField(model_name="customerstats", name="city"),
        migrations.RemoveField(model_name="customer", name="city"),
        migrations.RenameField(model_name="customer", old_name="sealed_city", new_name="city"),
        migrations.AlterField(
            model_name="customer",
            name="city",
            field=merdeka.privacy.fields.EncryptedTextField(
                blank=True, null=True, verbose_name="city"
            ),
        ),
        migrations.AddIndex(
            model_name="customerstats",
            index=models.Index(
                fields=["shop", "province", "city_index", "order_count", "total_spend"],
                name="stats_region_counts",
            ),
        ),
        migrations.AddIndex(
            model_name="customerstats",
            index=models.Index(
                fields=["shop", "city_index", "order_count"], name="stats_city_counts"
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
