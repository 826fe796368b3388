from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_eventoutbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="shop",
            name="require_two_factor",
            field=models.BooleanField(default=False),
        ),
    ]
