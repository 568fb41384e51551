from django.db import migrations

from billing.plans import plans_ensure


def seed(apps, schema_editor):
    plans_ensure(apps.get_model("billing", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
