from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookssettings",
            name="staff_see_reports",
            field=models.BooleanField(default=False, verbose_name="staff may see profit and reports"),
        ),
    ]
