"""Two indexes no query needs, each written for every identity or match key an import
makes (docs/decisions/customer-indexes.md).

``identity_customer`` and ``matchkey_customer`` (shop, customer): the single-column
index on ``customer_id`` beside each (Django's, for the cascade, which asks without the
shop) finds the same rows; customer ids are global, so a customer's identities (keys)
in her shop are simply hers.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0017_identity_one_unique_index")]

    operations = [
        migrations.RemoveIndex(model_name="identity", name="identity_customer"),
        migrations.RemoveIndex(model_name="matchkey", name="matchkey_customer"),
    ]
