"""The default stock location was named "Beranda" (a website's home page) where the
seller keeps stock at home: "Rumah". Renames it where the seller never renamed it."""

from django.db import migrations


def _rename(apps, old: str, new: str) -> None:
    StockLocation = apps.get_model("catalog", "StockLocation")
    locations = StockLocation._base_manager
    taken = locations.filter(name=new).values("shop_id")  # names are unique per shop
    locations.filter(kind="home", name=old).exclude(shop_id__in=taken).update(name=new)


def rename(apps, schema_editor):
    _rename(apps, "Beranda", "Rumah")


def rename_back(apps, schema_editor):
    _rename(apps, "Rumah", "Beranda")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_stock_cost")]

    operations = [migrations.RunPython(rename, rename_back)]
