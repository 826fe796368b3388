"""The outbox keeps how many orders or customers each waiting event names, so that the
import page's count of what is left does not read every event's ids back."""

from django.db import migrations, models


def count_waiting(apps, schema_editor):
    """Rows written before the column: counted from their ids, as they used to be."""
    outbox = apps.get_model("core", "EventOutbox")
    rows = outbox._base_manager.values_list("pk", "data")
    for pk, data in rows.iterator(chunk_size=100):
        ids = (
            (data.get("order_ids") or data.get("customer_ids")) if isinstance(data, dict) else None
        )
        if ids and len(ids) != 1:
            outbox._base_manager.filter(pk=pk).update(items=len(ids))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_authenticator_sealed_secrets"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventoutbox",
            name="items",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(count_waiting, migrations.RunPython.noop, elidable=True),
    ]
