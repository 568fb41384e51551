"""Handlers are names registered in ``providers.handlers`` instead of dotted paths."""

from django.db import migrations, models

EDIT_JOBS = "generation.services.edit_job_on_call"  # one handler for every edit, now one per kind
RENAMES = {
    "generation.packs.image_on_call": "generation.pack_image",
    "generation.drafts.draft_on_call": "generation.prompt_draft",
    "characters.training.training_on_call": "characters.training_run",
    "characters.pipeline.job_item_on_call": "characters.job_item",
}


def forwards(apps, schema_editor):
    ProviderCall = apps.get_model("providers", "ProviderCall")
    ProviderCall.objects.filter(handler=EDIT_JOBS, operation="upscale").update(handler="generation.upscale")
    ProviderCall.objects.filter(handler=EDIT_JOBS).update(handler="generation.edit")
    for old, new in RENAMES.items():
        ProviderCall.objects.filter(handler=old).update(handler=new)


def backwards(apps, schema_editor):
    ProviderCall = apps.get_model("providers", "ProviderCall")
    ProviderCall.objects.filter(handler__in=("generation.upscale", "generation.edit")).update(handler=EDIT_JOBS)
    for old, new in RENAMES.items():
        ProviderCall.objects.filter(handler=new).update(handler=old)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="providercall",
            name="handler",
            field=models.CharField(help_text="Name of the registered handler (providers.handlers).", max_length=200),
        ),
        migrations.RunPython(forwards, backwards),
    ]
