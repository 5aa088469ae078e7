"""Ship the case catalogue: case types with deadline policies, categories, routing rules."""

from django.db import migrations


def load(apps, schema_editor):
    from cases.catalogue import ensure_catalogue

    ensure_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
