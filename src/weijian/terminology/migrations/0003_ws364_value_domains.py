"""Load the value domains the WS 365 data-set uploads need (follow-up method and classification, discharge
disposition, vaccines, service types) by running the built-in seed again; it is idempotent, so the code
systems already loaded by 0002 stay as they are.

Like 0002 it calls the live service: should a later migration change these tables, turn this one into a
no-op and rely on `weijian load_terminology`."""

from django.db import migrations


def seed(apps, schema_editor):
    from weijian.terminology.seed import terminology_seed

    terminology_seed(actor=None)


class Migration(migrations.Migration):
    dependencies = [
        ("terminology", "0002_seed"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
