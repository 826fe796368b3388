from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0002_stock_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookssettings",
            name="staff_see_reports",
            field=models.BooleanField(default=False, verbose_name="staff may see profit and reports"),
        ),
    ]
