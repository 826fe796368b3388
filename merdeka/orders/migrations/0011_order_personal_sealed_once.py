"""An order's buyer username, recipient name, phone, street and city sealed together
in one column, ``personal`` (docs/decisions/order-personal-blob.md).

Every order's five tokens are opened and their values sealed again as one, under the
data key version the row carries (``key_version``: one version per row, which key
rotation relies on), a batch of rows at a time, for every shop; then the five columns
go. Reversed, each row's values are sealed again one per column under the same
version. A value that does not open (a wrong master key, a tampered row) stops the
migration: dropping it would lose what a right key would still read. ``city_index``
keeps its values (the city and its normalisation are unchanged).
"""

from django.db import migrations

import merdeka.privacy.fields

CHUNK = 2000
LABEL = "orders.order"  # Order's label: the associated data of every sealed value
MEMBERS = ("buyer_username", "recipient_name", "recipient_phone", "street", "city")


def _pages(Order, names):
    """The rows' ``names`` (after pk, shop_id, uid, key_version), a keyset page of
    ``CHUNK`` at a time."""
    last = 0
    rows = Order._base_manager.order_by("pk").values_list(
        "pk", "shop_id", "uid", "key_version", *names
    )
    while True:
        page = list(rows.filter(pk__gt=last)[:CHUNK])
        if not page:
            return
        yield page
        last = page[-1][0]


def _token(value):
    if value is None:
        return None
    return value if isinstance(value, str) else value.token


def _write(schema_editor, sql, changes):
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(sql, changes)


def seal_together(apps, schema_editor):
    # the keys and the format as they are now (privacy.crypto), not frozen models
    from merdeka.privacy import crypto

    Order = apps.get_model("orders", "Order")
    bundle = Order._meta.get_field("personal")
    openers: dict[int, crypto.Opener] = {}
    table = Order._meta.db_table
    sql = f'UPDATE "{table}" SET "personal" = %s, "key_version" = %s WHERE "id" = %s'  # noqa: S608
    for page in _pages(Order, MEMBERS):
        changes = []
        for pk, shop_id, uid, version, *sealed in page:
            tokens = [_token(value) for value in sealed]
            if not any(tokens):
                continue
            opener = openers.get(shop_id)
            if opener is None:
                opener = openers[shop_id] = crypto.Opener(shop_id=shop_id, label=LABEL)
            row = str(uid)
            values = [
                opener.open(token, column=column, row=row) if token else None
                for token, column in zip(tokens, MEMBERS, strict=True)
            ]
            if not version:  # a row older than its versions: the tokens say which key
                version = crypto.token_key_version(next(t for t in tokens if t))
            text = bundle.encode(values)
            personal = (
                crypto.encrypt(
                    text, shop_id=shop_id, label=LABEL, column="personal", row=row, version=version
                )
                if text
                else None
            )
            changes.append((personal, version, pk))
        _write(schema_editor, sql, changes)


def seal_apart(apps, schema_editor):
    from merdeka.privacy import crypto

    Order = apps.get_model("orders", "Order")
    bundle = Order._meta.get_field("personal")
    table = Order._meta.db_table
    columns = ", ".join(f'"{column}" = %s' for column in MEMBERS)
    sql = f'UPDATE "{table}" SET {columns} WHERE "id" = %s'  # noqa: S608
    openers: dict[int, object] = {}
    for page in _pages(Order, ("personal",)):
        changes = []
        for pk, shop_id, uid, version, personal in page:
            if not _token(personal):
                continue
            opener = openers.get(shop_id)
            if opener is None:
                opener = openers[shop_id] = bundle.opener(shop_id)
            row = str(uid)
            version = version or crypto.token_key_version(_token(personal))
            values = opener(personal, row)
            changes.append(
                (
                    *(
                        crypto.encrypt(
                            value,
                            shop_id=shop_id,
                            label=LABEL,
                            column=column,
                            row=row,
                            version=version,
                        )
                        if value
                        else None
                        for value, column in zip(values, MEMBERS, strict=True)
                    ),
                    pk,
                )
            )
        _write(schema_editor, sql, changes)


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_order_indexes_no_query_needs")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="personal",
            field=merdeka.privacy.fields.EncryptedBundleField(
                blank=True,
                members=MEMBERS,
                null=True,
            ),
        ),
        migrations.RunPython(seal_together, seal_apart),
        *(migrations.RemoveField(model_name="order", name=column) for column in MEMBERS),
    ]
