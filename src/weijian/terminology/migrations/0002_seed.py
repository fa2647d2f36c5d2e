"""Load the built-in terminology on every database (the same service `weijian load_terminology` runs).

It calls the live service rather than historical models: should a later migration change these tables,
turn this one into a no-op and rely on the command."""

from django.db import migrations


def seed(apps, schema_editor):
    from weijian.terminology.seed import terminology_seed

    terminology_seed(actor=None)


class Migration(migrations.Migration):
    dependencies = [
        ("terminology", "0001_initial"),
        ("audit", "0003_alter_auditevent_action"),
        ("orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
