"""Import runs record their worker and its heartbeat; an import file's name is sealed.

A chat export is named after the person ("Chat WhatsApp dengan <name>.txt"): existing
names are sealed under their shop's data key here, and the plain column is dropped. On
SQLite the freed space is overwritten (``secure_delete``), so the plain names do not
linger in the database file. A name that cannot be sealed (a shop without keys) is
dropped rather than kept in plain text.
"""

import uuid

from django.db import migrations, models

import merdeka.privacy.fields
from merdeka.privacy.fields import Sealed


def seal_names(apps, schema_editor):
    from merdeka.privacy import crypto  # the shop keys as they are now, not a frozen model

    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    ImportFile = apps.get_model("imports", "ImportFile")
    rows = ImportFile._base_manager.order_by("pk").only("pk", "shop_id", "name")
    for record in rows.iterator(chunk_size=500):
        uid = uuid.uuid4()
        sealed, version = None, 0
        if record.name:
            try:
                version = crypto.active_data_key_version(record.shop_id)
                sealed = crypto.encrypt(
                    record.name,
                    shop_id=record.shop_id,
                    label="imports.importfile",
                    column="name",  # its name once renamed below
                    row=str(uid),
                    version=version,
                )
            except Exception:  # noqa: BLE001 - no usable key: drop the name, never keep it plain
                sealed, version = None, 0
        ImportFile._base_manager.filter(pk=record.pk).update(
            uid=uid,
            sealed_name=None if sealed is None else Sealed(sealed),
            key_version=version,
            name="",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_importrun_review_waiting"),
        ("privacy", "0005_incident"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="worker",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="importrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importrun",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("worker_lost", "The import stopped: its worker died"),
                    ("error", "The import stopped on an unexpected error"),
                    ("interrupted", "The import was interrupted"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="importfile",
            name="uid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="importfile",
            name="key_version",
            field=models.PositiveIntegerField(db_index=True, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="importfile",
            name="sealed_name",
            field=merdeka.privacy.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.RunPython(seal_names, migrations.RunPython.noop),
        migrations.RemoveField(model_name="importfile", name="name"),
        migrations.RenameField(model_name="importfile", old_name="sealed_name", new_name="name"),
        migrations.AlterField(
            model_name="importfile",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
    ]
