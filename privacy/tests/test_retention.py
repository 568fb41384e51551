"""Retention on a schedule, with a frozen clock: each task deletes what is past its time, keeps
what isn't, and finds nothing more to do when run again."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile

from assets import storage
from assets.models import Asset, Upload
from assets.tests.factories import AssetFactory, UploadFactory
from audit import actions
from audit.models import AuditEntry
from billing.models import LedgerEntry
from billing.services import credits_grant, hold_release, hold_reserve
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from characters.tests.factories import (
    CharacterFactory,
    CharacterJobFactory,
    CharacterJobItemFactory,
    DatasetImageFactory,
    TrainingRunFactory,
)
from generation.models import EditJob, GenerationJob
from generation.tests.factories import EditJobFactory, GenerationImageFactory, GenerationJobFactory
from privacy import exports, retention
from privacy.models import DataExport
from providers.models import WebhookDelivery
from providers.tests.factories import ProviderCallFactory
from styles.models import StyleRecipe
from styles.tests.factories import style_ready
from video.models import AnimatePipeline, AnimateStep, VideoJob

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _at(days: float):
    return time_machine.travel(T0 + timedelta(days=days), tick=False)


def _stored(key: str) -> str:
    return storage.storage().save(key, ContentFile(b"scratch"))


def _exists(key: str) -> bool:
    return storage.storage().exists(key)


def _animation(org, *steps):
    pipeline = AnimatePipeline.objects.create(org=org, character_name="Ava", seconds=3)
    for kind, status, result in steps:
        finished = T0 if status in ("failed", "cancelled", "succeeded") else None
        AnimateStep.objects.create(
            org=org, pipeline=pipeline, kind=kind, status=status, result=result, finished_at=finished
        )
    return pipeline


def test_failed_and_cancelled_jobs_lose_their_files_after_30_days_and_empty_ones_go(
    org, people, django_capture_on_commit_callbacks
):
    credits_grant(org=org, amount=100, key="grant:1", description="Credits")
    with _at(0):
        hold = hold_reserve(org=org, amount=8, key="job:x", operation="inpaint", description="Inpaint")
        failed_edit = EditJobFactory(org=org, status="failed", finished_at=T0, hold=hold)
        hold_release(hold=hold, reason="It failed")
        failed_edit.mask_key = _stored(storage.edit_mask_key(org, failed_edit))
        failed_edit.save(update_fields=["mask_key"])
        delivered_edit = EditJobFactory(org=org, status="cancelled", finished_at=T0, result=AssetFactory(org=org))
        delivered_edit.mask_key = _stored(storage.edit_mask_key(org, delivered_edit))
        delivered_edit.save(update_fields=["mask_key"])
        empty_pack = GenerationJobFactory(character=CharacterFactory(org=org), status="cancelled", finished_at=T0)
        image = GenerationImageFactory(job=empty_pack, status="cancelled")
        image.intermediate_key = _stored(storage.generation_scratch_key(org, empty_pack, image))
        image.save(update_fields=["intermediate_key"])
        partial_pack = GenerationJobFactory(character=CharacterFactory(org=org), status="failed", finished_at=T0)
        GenerationImageFactory(job=partial_pack, status="succeeded", asset=AssetFactory(org=org))
        run = TrainingRunFactory(character=CharacterFactory(org=org), status="failed", finished_at=T0)
        run.zip_key = _stored(storage.training_zip_key(org, run))
        run.save(update_fields=["zip_key"])
        candidates = CharacterJobFactory(character__org=org, status="failed", finished_at=T0)
        CharacterJobItemFactory(job=candidates, status="failed")
        failed_clip = VideoJob.objects.create(org=org, kind="image_to_video", status="failed", finished_at=T0)
        delivered_clip = VideoJob.objects.create(
            org=org, kind="upscale", status="cancelled", finished_at=T0, result=AssetFactory(org=org)
        )
        refused = _animation(org, ("prepare", "failed", None))
        stopped = _animation(org, ("prepare", "succeeded", AssetFactory(org=org)), ("swap", "cancelled", None))
        failed_style = StyleRecipe.objects.create(org=org, name="Failed", status="failed", finished_at=T0)
        kept_style = style_ready(org)  # a recipe: never purged
    with _at(0):
        running = EditJobFactory(org=org, status="running")
        waiting = _animation(org, ("prepare", "failed", None), ("prepare", "queued", None))
    ledger = LedgerEntry.objects.filter(org=org).count()

    with _at(29), django_capture_on_commit_callbacks(execute=True):
        assert retention.failed_jobs_purge()["files"] == 0
    assert _exists(failed_edit.mask_key)

    with _at(31), django_capture_on_commit_callbacks(execute=True):
        counts = retention.failed_jobs_purge()
        again = retention.failed_jobs_purge()

    assert counts == {
        "edit_jobs": 1,
        "packs": 1,
        "training_runs": 1,
        "character_jobs": 1,
        "prompt_drafts": 0,
        "video_jobs": 1,
        "animations": 1,
        "style_recipes": 1,
        "dataset_runs": 0,
        "tool_jobs": 0,
        "breakdowns": 0,
        "chat_messages": 0,
        "files": 4,
    }
    assert again == {
        "edit_jobs": 0,
        "packs": 0,
        "training_runs": 0,
        "character_jobs": 0,
        "prompt_drafts": 0,
        "video_jobs": 0,
        "animations": 0,
        "style_recipes": 0,
        "dataset_runs": 0,
        "tool_jobs": 0,
        "breakdowns": 0,
        "chat_messages": 0,
        "files": 0,
    }
    assert not EditJob.objects.filter(pk=failed_edit.pk).exists()
    assert EditJob.objects.get(pk=delivered_edit.pk).mask_key == ""
    assert not _exists(delivered_edit.mask_key)
    assert not _exists(failed_edit.mask_key)
    assert not _exists(image.intermediate_key)
    assert not _exists(run.zip_key)
    assert not GenerationJob.objects.filter(pk=empty_pack.pk).exists()
    assert GenerationJob.objects.filter(pk=partial_pack.pk).exists()
    assert not TrainingRun.objects.filter(pk=run.pk).exists()
    assert not CharacterJob.objects.filter(pk=candidates.pk).exists()
    assert EditJob.objects.filter(pk=running.pk).exists()
    assert not VideoJob.objects.filter(pk=failed_clip.pk).exists()
    assert VideoJob.objects.filter(pk=delivered_clip.pk).exists()
    assert not AnimatePipeline.objects.filter(pk=refused.pk).exists()
    assert AnimatePipeline.objects.filter(pk=stopped.pk).exists()  # its clip is in the library
    assert AnimatePipeline.objects.filter(pk=waiting.pk).exists()  # resumed: a step is queued
    assert not StyleRecipe.objects.filter(pk=failed_style.pk).exists()
    assert StyleRecipe.objects.filter(pk=kept_style.pk).exists()
    assert LedgerEntry.objects.filter(org=org).count() == ledger  # the credit history stays whole


def test_abandoned_uploads_go_30_days_after_they_stopped(org, django_capture_on_commit_callbacks):
    with _at(0):
        abandoned = UploadFactory(org=org, status=Upload.Status.ABANDONED)
        _stored(abandoned.key)
        refused = UploadFactory(org=org, status=Upload.Status.FAILED)
        done = UploadFactory(org=org, status=Upload.Status.DONE)
    with _at(10):
        recent = UploadFactory(org=org, status=Upload.Status.CANCELLED)
    with _at(31), django_capture_on_commit_callbacks(execute=True):
        assert retention.abandoned_uploads_purge() == 2
        assert retention.abandoned_uploads_purge() == 0
    assert set(Upload.objects.values_list("pk", flat=True)) == {done.pk, recent.pk}
    assert not Upload.objects.filter(pk__in=[abandoned.pk, refused.pk]).exists()
    assert not _exists(abandoned.key)


def test_training_photos_go_as_many_days_after_training_as_the_org_says(
    org, people, django_capture_on_commit_callbacks
):
    with _at(0):
        trained = CharacterFactory(org=org, name="Ava", lora_status="ready", lora_ready_at=T0, lora_key="k")
        photos = [DatasetImageFactory(character=trained).asset for _ in range(2)]
        untrained = CharacterFactory(org=org, name="Noor")
        DatasetImageFactory(character=untrained)
        other_org_character = CharacterFactory(
            org=people.other_org, lora_status="ready", lora_ready_at=T0, lora_key="k"
        )
        DatasetImageFactory(character=other_org_character)
    people.other_org.dataset_retention_days = 0  # keeps them
    people.other_org.save(update_fields=["dataset_retention_days"])

    with _at(29), django_capture_on_commit_callbacks(execute=True):
        assert retention.trained_datasets_purge() == 0
    with _at(30.1), django_capture_on_commit_callbacks(execute=True):
        assert retention.trained_datasets_purge() == 1
        assert retention.trained_datasets_purge() == 0

    assert not DatasetImage.objects.filter(character=trained).exists()
    assert not Asset.objects.filter(pk__in=[p.pk for p in photos]).exists()
    assert all(not _exists(p.original_key) for p in photos)
    assert DatasetImage.objects.filter(character=untrained).count() == 1
    assert DatasetImage.objects.filter(character=other_org_character).count() == 1
    assert Character.objects.get(pk=trained.pk).lora_status == "ready"  # the face model stays
    entry = AuditEntry.objects.get(action=actions.DATASET_DELETED_BY_RETENTION)
    assert (entry.actor_kind, entry.data["photos"]) == ("system", 2)


def test_a_character_training_again_keeps_its_photos_for_now(org, django_capture_on_commit_callbacks):
    with _at(0):
        character = CharacterFactory(org=org, lora_status="ready", lora_ready_at=T0, lora_key="k")
        DatasetImageFactory(character=character)
        TrainingRunFactory(character=character, status="running")
    with _at(40), django_capture_on_commit_callbacks(execute=True):
        assert retention.trained_datasets_purge() == 0
    assert DatasetImage.objects.filter(character=character).count() == 1


def test_exports_are_deleted_when_their_week_is_over(org, members, people):
    with _at(0):
        export, _ = exports.export_request(actor=members.owner)
        exports.export_build(export_id=export.pk)
        export.refresh_from_db()
        stuck = DataExport.objects.create(org=people.other_org, status=DataExport.Status.RUNNING)
    assert _exists(export.key)
    with _at(6.9):
        assert retention.data_exports_expire() == {"expired": 0, "stuck": 1}
    with _at(7.1):
        assert retention.data_exports_expire() == {"expired": 1, "stuck": 0}
        assert retention.data_exports_expire() == {"expired": 0, "stuck": 0}
    assert DataExport.objects.get(pk=export.pk).status == "expired"
    assert not _exists(export.key)
    assert DataExport.objects.get(pk=stuck.pk).status == "failed"


def test_every_retention_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "privacy.tasks.delete_due_organisations",
        "privacy.tasks.expire_data_exports",
        "privacy.tasks.purge_failed_jobs",
        "privacy.tasks.purge_abandoned_uploads",
        "privacy.tasks.purge_trained_datasets",
        "privacy.tasks.purge_audit_log",
        "privacy.tasks.trim_provider_records",
    } <= tasks


def test_owners_and_admins_choose_how_long_photos_are_kept(login, org):
    response = login("admin").post("/o/northstar/settings/", {"action": "dataset_retention", "days": "90"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.dataset_retention_days == 90
    assert (
        login("member").post("/o/northstar/settings/", {"action": "dataset_retention", "days": "0"}).status_code == 403
    )
    login("owner").post("/o/northstar/settings/", {"action": "dataset_retention", "days": "12345"})
    org.refresh_from_db()
    assert org.dataset_retention_days == 90  # not one of the choices: refused, nothing changed


def test_failed_calls_forget_what_they_carried_and_webhook_bodies_go_after_90_days(org):
    from djstripe.models import WebhookEventTrigger

    with _at(0):
        failed = ProviderCallFactory(
            org=org, status="failed", input={"prompt": "Ava on a beach"}, output={"detail": "x"}, finished_at=T0
        )
        failed.cost_usd = Decimal("0.0250")
        failed.error = "The provider timed out."
        failed.save()
        delivered = ProviderCallFactory(
            org=org, status="succeeded", input={"prompt": "Ava in Paris"}, output={"images": []}, finished_at=T0
        )
        kept = WebhookDelivery.objects.create(provider="fal", delivery_id="d1", payload={"status": "OK"})
        parked = WebhookDelivery.objects.create(
            provider="fal", delivery_id="d2", payload={"status": "OK"}, parked="No call waits for this token."
        )
        WebhookEventTrigger.objects.create(remote_ip="127.0.0.1", body="{}", headers={})
    with _at(29):
        assert retention.provider_records_trim() == {"provider_calls": 0, "provider_webhooks": 0, "stripe_webhooks": 0}
    with _at(31):
        assert retention.provider_records_trim()["provider_calls"] == 1
    failed.refresh_from_db()
    delivered.refresh_from_db()
    assert (failed.input, failed.output) == ({}, None)
    assert (failed.cost_usd, failed.error) == (Decimal("0.0250"), "The provider timed out.")
    assert delivered.input == {"prompt": "Ava in Paris"}  # its recipe is the asset's: nothing to forget
    with _at(91):
        assert retention.provider_records_trim() == {"provider_calls": 0, "provider_webhooks": 1, "stripe_webhooks": 1}
    kept.refresh_from_db()
    parked.refresh_from_db()
    assert kept.payload is None
    assert WebhookDelivery.objects.filter(delivery_id="d1").exists()
    assert parked.payload == {"status": "OK"}  # staff still have to look at it
    assert not WebhookEventTrigger.objects.exists()
    with _at(92):
        assert retention.provider_records_trim() == {"provider_calls": 0, "provider_webhooks": 0, "stripe_webhooks": 0}
