"""An order's city is sealed like the rest of its address, with a blind index.

As customers 0013 did for the customer's city: existing cities are sealed under the key
that sealed the rest of their row (one key version per row: key rotation relies on it)
and indexed; the plain column is dropped, and on SQLite the freed space is overwritten
(``secure_delete``) so the plain cities do not linger in the file. A city that cannot be
sealed (a shop without keys) is dropped rather than kept plain.
"""

from django.db import migrations

import merdeka.privacy.fields

CHUNK = 2000


def seal_cities(apps, schema_editor):
    # the shop keys and the normaliser as they are now, not frozen models
    from merdeka.customers.models import normalize_city
    from merdeka.privacy import crypto

    connection = schema_editor.connection
    Order = apps.get_model("orders", "Order")
    rows = (
        Order._base_manager.exclude(city="")
        .order_by("pk")
        .values_list("pk", "shop_id", "uid", "key_version", "city")
    )
    indexers, changes = {}, []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA secure_delete = ON")

        def flush():
            cursor.executemany(
                "UPDATE orders_order SET sealed_city = %s, city_index = %s, "
                "key_version = %s, city = '' WHERE id = %s",
                changes,
            )
            changes.clear()

        for pk, shop_id, uid, version, city in rows.iterator(chunk_size=CHUNK):
            kept = version
            try:
                version = version or crypto.active_data_key_version(shop_id)
                sealed = crypto.encrypt(
                    city,
                    shop_id=shop_id,
                    label="orders.order",
                    column="city",  # its name once renamed below
                    row=str(uid),
                    version=version,
                )
                if shop_id not in indexers:
                    indexers[shop_id] = crypto.blind_indexer(
                        shop_id=shop_id, purpose="orders.order.city"
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


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_shop_status"),
        ("customers", "0013_city_sealed"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="sealed_city",
            field=merdeka.privacy.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
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
        migrations.RunPython(seal_cities, migrations.RunPython.noop),
        migrations.RemoveField(model_name="order", name="city"),
        migrations.RenameField(model_name="order", old_name="sealed_city", new_name="city"),
        migrations.AlterField(
            model_name="order",
            name="city",
            field=merdeka.privacy.fields.EncryptedTextField(
                blank=True, null=True, verbose_name="city"
            ),
        ),
    ]
