from django.db import migrations

from weijian.audit.migrations_sql import install


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
