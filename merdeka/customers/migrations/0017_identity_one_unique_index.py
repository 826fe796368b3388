"""Identities keep one index with a random key instead of two.

``value_index`` is the blind index of the kind, the channel and the value together
(``resolution.identity_index``), so (shop, value_index) is unique on its own and
serves every lookup by it; the unique (shop, kind, channel, value_index) and the
lookup index (shop, value_index) were two random-key indexes written for every
identity an import made (docs/decisions/order-indexes.md).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    # only its own app's: a test that takes another app back (core to 0004) and
    # forward again by that app alone must not leave this one unapplied
    dependencies = [("customers", "0016_blind_index_like_twins_dropped")]

    operations = [
        migrations.AddConstraint(
            model_name="identity",
            constraint=models.UniqueConstraint(
                fields=("shop", "value_index"), name="identity_unique_index"
            ),
        ),
        migrations.RemoveConstraint(model_name="identity", name="identity_unique_value"),
        migrations.RemoveIndex(model_name="identity", name="identity_lookup"),
    ]
