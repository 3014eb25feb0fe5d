from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("payload", models.CharField(max_length=200)),
                ("runs", models.IntegerField(default=0)),
                ("done_by", models.CharField(blank=True, max_length=200)),
                ("result", models.CharField(blank=True, max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name="Tick",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("worker", models.CharField(max_length=200)),
            ],
        ),
    ]
