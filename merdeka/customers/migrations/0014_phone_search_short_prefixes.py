"""Phone search now finds a number by its first four digits as typed ("0812"), so
every customer needs the prefix tokens of three and four national digits: rebuild
each shop's search tokens (what ``merdeka reindex`` does)."""

from django.db import migrations


def reindex(apps, schema_editor):
    # the current code on purpose, as 0007 does: the tokens are what search.py makes
    from merdeka.core.models import Shop
    from merdeka.core.scoping import scopes_disabled
    from merdeka.customers import search
    from merdeka.customers.models import Customer
    from merdeka.privacy.keys import KeyError_

    with scopes_disabled():
        for shop in Shop.objects.all():
            if not Customer.objects.filter(shop_id=shop.pk).exists():
                continue
            try:
                search.reindex_shop(shop=shop)
            except KeyError_:
                print(f"\n  shop {shop.pk}: keys not available; run `merdeka reindex`")


class Migration(migrations.Migration):
    dependencies = [("customers", "0013_city_sealed")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
