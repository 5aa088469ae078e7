"""The catch-all request category 其他诉求 (imports map unknown complaint types to it)."""

from django.db import migrations


def load(apps, schema_editor):
    from cases.catalogue import ensure_catalogue

    ensure_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_load_catalogue")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
