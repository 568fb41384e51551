from django.db import migrations, models

from billing.plans import DEFAULT_PLANS


def set_limits(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(slug=plan["slug"]).update(max_concurrent_jobs=plan["max_concurrent_jobs"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_billing_emails_dunning_low_credit")]
    operations = [
        migrations.AddField(
            model_name="plan",
            name="max_concurrent_jobs",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="Paid jobs (packs, edits, training …) that can run at the same time."
            ),
        ),
        migrations.RunPython(set_limits, migrations.RunPython.noop),
    ]
