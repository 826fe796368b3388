"""The rule data Merdeka ships: the final rate's limits per legal form and the
holidays of 2025-2027 (``merdeka/tax/data``)."""

from django.db import migrations

from merdeka.tax import rules


def load(apps, schema_editor):
    rules.limits_load(apps=apps)
    rules.holidays_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_profile_and_tax")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
