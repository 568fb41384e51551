"""Retention on a schedule (beat): what Personae deletes by itself, and when.

- Failed and cancelled jobs, ``FAILED_JOB_RETENTION_DAYS`` (30) after they ended: their
  in-between files (edit masks, images waiting for a try-on, training zips, the dataset builder's
  face-swap and crop stages), and the job rows that delivered nothing (video clips and animations
  whose every step ended so included; dataset build runs with their units, tool runs, script
  breakdowns, assistant messages that got no answer). Jobs that delivered something keep their
  rows; the credit ledger is never touched.
- Abandoned, refused and cancelled uploads, the same 30 days after they stopped.
- Training photos, ``Organization.dataset_retention_days`` (30 by default; 0 keeps them) after the
  character's face model was ready.
- Data exports when their link expires (``DATA_EXPORT_TTL_DAYS``).
- What failed and cancelled provider calls sent and got back (prompts, image addresses), the same
  30 days after they ended; their cost, timings and error stay for the cost and health figures.
  Received provider webhooks' bodies and Stripe's webhook log after ``WEBHOOK_LOG_RETENTION_DAYS``
  (90); the delivery ids that recognise a redelivery stay.
- Audit log entries after ``AUDIT_LOG_RETENTION_DAYS`` (``audit.services.audit_purge``), and
  organisations after their grace period (``privacy.deletion.org_deletions_due``).

Every function is idempotent: run twice, or late, it finds nothing more to do the second time.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from djstripe.models import WebhookEventTrigger

from assets import storage
from assets.models import Upload
from audit import actions as audit_actions
from audit.services import record
from characters import services as character_services
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from datasets.models import BuildRun, TargetPhoto
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft
from privacy.models import DataExport
from projects.models import Breakdown, ChatMessage
from providers.models import ProviderCall, WebhookDelivery
from styles.models import StyleRecipe
from tools.models import ToolJob
from video.models import AnimatePipeline, AnimateStep, VideoJob

log = logging.getLogger(__name__)

ENDED = (JobStatus.FAILED, JobStatus.CANCELLED)
STUCK_EXPORT_HOURS = 6


def _ended_before(cutoff) -> Q:
    # A job cancelled before it started may have no finished_at; its last change stands in.
    return Q(status__in=ENDED) & (Q(finished_at__lte=cutoff) | Q(finished_at__isnull=True, updated_at__lte=cutoff))


def _delete_files(keys: list[str]) -> None:
    def delete() -> None:
        for key in keys:
            storage.delete(key)

    transaction.on_commit(delete)


@transaction.atomic
def failed_jobs_purge(*, now=None) -> dict[str, int]:
    """Delete the in-between files of failed and cancelled jobs that ended over 30 days ago, and
    the rows of those that delivered nothing. Returns counts per kind."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FAILED_JOB_RETENTION_DAYS)
    ended = _ended_before(cutoff)
    counts: dict[str, int] = {}

    # Edits: the mask. A retry of a purged edit asks for the mask to be painted again.
    keys = list(EditJob.objects.filter(ended).exclude(mask_key="").values_list("mask_key", flat=True))
    EditJob.objects.filter(ended, result__isnull=False).exclude(mask_key="").update(mask_key="")
    counts["edit_jobs"] = EditJob.objects.filter(ended, result__isnull=True).delete()[1].get(EditJob._meta.label, 0)

    # Packs: images waiting for a try-on; the pack itself when not one image was delivered.
    scratch = GenerationImage.objects.filter(Q(job__in=GenerationJob.objects.filter(ended)), ~Q(intermediate_key=""))
    keys += list(scratch.values_list("intermediate_key", flat=True))
    scratch.update(intermediate_key="")
    empty_packs = GenerationJob.objects.filter(ended).exclude(images__asset__isnull=False)
    counts["packs"] = empty_packs.delete()[1].get(GenerationJob._meta.label, 0)

    # Training: the zip of photos sent to the trainer; the run.
    keys += [k for k in TrainingRun.objects.filter(ended).values_list("zip_key", flat=True) if k]
    counts["training_runs"] = TrainingRun.objects.filter(ended).delete()[1].get(TrainingRun._meta.label, 0)

    empty_character_jobs = CharacterJob.objects.filter(ended).exclude(items__asset__isnull=False)
    counts["character_jobs"] = empty_character_jobs.delete()[1].get(CharacterJob._meta.label, 0)
    counts["prompt_drafts"] = PromptDraft.objects.filter(ended).delete()[1].get(PromptDraft._meta.label, 0)

    # Video: a clip that made nothing; an animation whose steps all ended long ago, none with a file.
    counts["video_jobs"] = VideoJob.objects.filter(ended, result__isnull=True).delete()[1].get(VideoJob._meta.label, 0)
    going_on = AnimateStep.objects.exclude(ended).values("pipeline")
    delivered = AnimateStep.objects.filter(Q(result__isnull=False) | Q(frame__isnull=False)).values("pipeline")
    empty_animations = AnimatePipeline.objects.filter(steps__isnull=False).exclude(pk__in=going_on)
    empty_animations = empty_animations.exclude(pk__in=delivered).distinct()
    counts["animations"] = (
        AnimatePipeline.objects.filter(pk__in=empty_animations.values("pk"))
        .delete()[1]
        .get(AnimatePipeline._meta.label, 0)
    )
    # A style extraction that failed or was cancelled made no recipe: nothing of it is worth keeping.
    counts["style_recipes"] = StyleRecipe.objects.filter(ended).delete()[1].get(StyleRecipe._meta.label, 0)
    keys += _builder_tools_projects_purge(ended, counts)
    counts["files"] = len(keys)
    _delete_files(keys)
    return counts


def _builder_tools_projects_purge(ended: Q, counts: dict[str, int]) -> list[str]:
    """The dataset builder, the AI tools and projects: their ended jobs' stage files (returned, for
    deletion after commit) and the rows of those that delivered nothing, counted into ``counts``."""
    # Dataset builder: the face-swap and crop stages of targets that got no result and that only
    # ended runs ever worked on (a live or succeeded run may still resume from them) ...
    live_runs = BuildRun.objects.exclude(ended)
    stale_targets = TargetPhoto.objects.filter(result__isnull=True, units__isnull=False).exclude(
        units__run__in=live_runs
    )
    stale_targets = TargetPhoto.objects.filter(pk__in=stale_targets.values("pk")).exclude(swap_key="", crop_key="")
    keys = [k for pair in stale_targets.values_list("swap_key", "crop_key") for k in pair if k]
    stale_targets.update(swap_key="", crop_key="")
    # ... and the runs (with their units) in which not one step succeeded.
    empty_runs = BuildRun.objects.filter(ended).exclude(units__status=JobStatus.SUCCEEDED)
    counts["dataset_runs"] = (
        BuildRun.objects.filter(pk__in=empty_runs.values("pk")).delete()[1].get(BuildRun._meta.label, 0)
    )
    counts["tool_jobs"] = ToolJob.objects.filter(ended, result__isnull=True).delete()[1].get(ToolJob._meta.label, 0)
    # A breakdown that failed holds only the chunks it was reading and their partial answers.
    counts["breakdowns"] = Breakdown.objects.filter(ended).delete()[1].get(Breakdown._meta.label, 0)
    # An answer cut off mid-way stays in the conversation; a question that got none goes.
    counts["chat_messages"] = ChatMessage.objects.filter(ended, answer="").delete()[1].get(ChatMessage._meta.label, 0)
    return keys


@transaction.atomic
def abandoned_uploads_purge(*, now=None) -> int:
    """Delete uploads that were abandoned, refused or cancelled over 30 days ago (and any file
    left of them). Uploads that became library items are not touched."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FAILED_JOB_RETENTION_DAYS)
    stale = Upload.objects.filter(
        status__in=[Upload.Status.ABANDONED, Upload.Status.FAILED, Upload.Status.CANCELLED], updated_at__lte=cutoff
    )
    keys = [k for k in stale.values_list("key", flat=True) if k]
    deleted = stale.delete()[1].get(Upload._meta.label, 0)
    _delete_files(keys)
    return deleted


def trained_datasets_purge(*, now=None) -> int:
    """Delete the training photos of characters whose face model has been ready for longer than
    their organisation keeps them (``dataset_retention_days``; 0 keeps them). Returns how many
    characters' photos went. A character training again (its photos are in use) is skipped."""
    now = now or timezone.now()
    due = (
        Character.objects.filter(
            lora_status=Character.LoraStatus.READY,
            org__dataset_retention_days__gt=0,
            org__deletion_due_at__isnull=True,
            pk__in=DatasetImage.objects.values("character_id"),
        )
        .exclude(training_runs__status__in=ACTIVE)
        .annotate(days=F("org__dataset_retention_days"))
        .select_related("org")
    )
    purged = 0
    for character in due:
        if character.lora_ready_at is None or character.lora_ready_at > now - timedelta(days=character.days):
            continue
        try:
            with transaction.atomic():
                photos = character_services.dataset_clear(character=character)
                zips = [k for k in character.training_runs.values_list("zip_key", flat=True) if k]
                character.training_runs.exclude(zip_key="").update(zip_key="")
                _delete_files(zips)
                record(
                    action=audit_actions.DATASET_DELETED_BY_RETENTION,
                    summary=f"The {photos} training photos of {character.name} were deleted, "
                    f"{character.days} days after its face model was trained",
                    org=character.org,
                    system=True,
                    target=character,
                    data={"character": character.name, "photos": photos, "retention_days": character.days},
                )
        except DomainError as exc:  # training started meanwhile: next time
            log.info("Retention: kept %s's photos for now: %s", character.pk, exc.message)
            continue
        purged += 1
    return purged


def data_exports_expire(*, now=None) -> dict[str, int]:
    """Delete the zips of exports whose week is over (the row stays, marked expired), and fail
    exports whose worker died mid-way, so the owner can ask again."""
    now = now or timezone.now()
    expired = 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now):
        if DataExport.objects.filter(pk=export.pk, status=DataExport.Status.READY).update(
            status=DataExport.Status.EXPIRED, key="", updated_at=now
        ):
            storage.delete(export.key)
            expired += 1
    stuck = DataExport.objects.filter(
        status__in=DataExport.ACTIVE, created_at__lte=now - timedelta(hours=STUCK_EXPORT_HOURS)
    ).update(
        status=DataExport.Status.FAILED,
        error="The export stopped before it finished. Ask for it again.",
        finished_at=now,
        updated_at=now,
    )
    return {"expired": expired, "stuck": stuck}


@transaction.atomic
def provider_records_trim(*, now=None) -> dict[str, int]:
    """Forget what failed and cancelled provider calls carried once they are as old as purged jobs,
    and webhook bodies once they are older than ``WEBHOOK_LOG_RETENTION_DAYS``. Returns counts."""
    now = now or timezone.now()
    calls_cutoff = now - timedelta(days=settings.FAILED_JOB_RETENTION_DAYS)
    ended_calls = ProviderCall.objects.filter(
        status__in=(ProviderCall.Status.FAILED, ProviderCall.Status.CANCELLED), finished_at__lte=calls_cutoff
    ).exclude(input={}, output__isnull=True)
    webhooks_cutoff = now - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    return {
        "provider_calls": ended_calls.update(input={}, output=None),
        "provider_webhooks": WebhookDelivery.objects.filter(received_at__lte=webhooks_cutoff, payload__isnull=False)
        .exclude(parked__gt="")
        .update(payload=None),
        "stripe_webhooks": WebhookEventTrigger.objects.filter(created__lte=webhooks_cutoff).delete()[0],
    }
