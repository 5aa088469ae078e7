"""The scorecard's default indicators (the admin changes them afterwards)."""

from django.db import migrations


def load(apps, schema_editor):
    from measures.scorecard import ensure_default_indicators

    ensure_default_indicators(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_open_cases_by_deadline"), ("cases", "0002_load_catalogue")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
