"""Refused prompts move to the safety app: every ``SafetyRefusal`` row becomes a ``SafetyEvent``
(same public id, time, org, user, place, text and words), then the old table goes."""

from django.db import migrations


def refusals_to_events(apps, schema_editor):
    SafetyRefusal = apps.get_model("generation", "SafetyRefusal")
    SafetyEvent = apps.get_model("safety", "SafetyEvent")
    for refusal in SafetyRefusal.objects.order_by("pk").iterator():
        event = SafetyEvent.objects.create(
            public_id=refusal.public_id,
            org_id=refusal.org_id,
            user_id=refusal.user_id,
            where=refusal.where,
            text=refusal.text,
            matched=refusal.matched,
            rule="",
            decided_by="rules",
        )
        # auto_now_add stamped it now; keep when it happened.
        SafetyEvent.objects.filter(pk=event.pk).update(created_at=refusal.created_at, updated_at=refusal.updated_at)


def events_to_refusals(apps, schema_editor):
    SafetyRefusal = apps.get_model("generation", "SafetyRefusal")
    SafetyEvent = apps.get_model("safety", "SafetyEvent")
    for event in SafetyEvent.objects.filter(org__isnull=False).order_by("pk").iterator():
        refusal = SafetyRefusal.objects.create(
            public_id=event.public_id,
            org_id=event.org_id,
            user_id=event.user_id,
            where=event.where,
            text=event.text,
            matched=event.matched[:100],
        )
        SafetyRefusal.objects.filter(pk=refusal.pk).update(created_at=event.created_at, updated_at=event.updated_at)


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0007_names"),
        ("safety", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(refusals_to_events, events_to_refusals),
        migrations.DeleteModel(
            name="SafetyRefusal",
        ),
    ]
