"""Re-run any node of a lineage graph with its recipe (issue #25): a generated image (optionally
with a new seed, another scene or a LoRA version), an edit, an upscale, a video. The new result
is a branch beside the old one; the old one is never changed. Every re-run is a new paid job
through the job engine, refused in plain words when what it needs is gone."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from assets.models import Asset
from assets.storage import storage
from characters.models import CharacterJobItem, TrainingRun
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation import edits, packs, presets
from generation import services as edit_services
from generation.models import EditJob, GenerationImage, GenerationJob
from jobs.models import Job
from video import services as video_services
from video import upscale as video_upscale
from video.models import AnimateStep, VideoJob


@dataclass
class RerunChanges:
    new_seed: bool = False
    scene: str = ""  # a scene key; "" keeps the recipe's
    lora_run: str = ""  # a TrainingRun public id; "" keeps the character's current LoRA


def rerun_problem(asset: Asset) -> str:
    """Why ``asset`` can't be made again ('' if it can), in plain words."""
    if GenerationImage.objects.filter(asset=asset).exists():
        return ""
    if edit := EditJob.objects.filter(result=asset).first():
        return "" if edit.source_id else "The image this edit was made from was deleted, so it can't be made again."
    if video := VideoJob.objects.filter(result=asset).first():
        return "" if video.source_id else "The image this video was made from was deleted, so it can't be made again."
    if AnimateStep.objects.filter(result=asset).exists():
        return "An animation is made again from its pipeline page, step by step."
    if item := CharacterJobItem.objects.filter(asset=asset).select_related("job").first():
        # Its prompt is kept (the Recipe card shows it), but the wizard makes its images as a set
        # for the character, so one of them isn't made again on its own.
        return (
            f"This is one of the {item.job.get_kind_display().lower()} the character wizard made as a set. "
            "Its prompt is kept under Recipe, but it isn't made again on its own."
        )
    if asset.source in (Asset.Source.UPLOAD, Asset.Source.EXTENSION, Asset.Source.IMPORT):
        return "This was added to the library, not made here, so there is no recipe to run again."
    return "There is no recipe kept for this item, so it can't be made again."


def lora_version(image: GenerationImage, run_id: str) -> str:
    """The LoRA file of training run ``run_id`` of the image's character. Refuses a run of
    another character, one that isn't finished, and a version whose file is gone (a later
    training replaced it: each character keeps one LoRA file)."""
    job = image.job
    character = job.character
    assert character is not None
    run = TrainingRun.objects.filter(character=character, public_id=run_id).first() if run_id else None
    if run is None:
        raise DomainError("That LoRA version isn't one of this character's trainings.", field="lora")
    if run.status != JobStatus.SUCCEEDED or not run.lora_key:
        raise DomainError("That training didn't produce a LoRA, so it can't be used.", field="lora")
    latest = (
        TrainingRun.objects.filter(character=character, status=JobStatus.SUCCEEDED).order_by("-finished_at").first()
    )
    if latest != run or character.lora_key != run.lora_key or not storage().exists(run.lora_key):
        raise DomainError(
            f"The LoRA version trained on {run.finished_at:%d %b %Y} was deleted (a later training replaced its "
            "file). Re-run with the current version instead.",
            field="lora",
        )
    if job.mode != GenerationJob.Mode.HD and character.mode != GenerationJob.Mode.HD:
        raise DomainError("This character has no trained face model to use.", field="lora")
    return run.lora_key


def _generation_rerun(image: GenerationImage, asset: Asset, user: User | None, changes: RerunChanges, key: str) -> Job:
    job = image.job
    if job.character is None:
        raise DomainError("The character of this image was deleted, so it can't be made again.")
    if job.origin == GenerationJob.Origin.BATCH and image.reference_id is None:
        raise DomainError("The library image this was made from was deleted, so it can't be made again.")
    if job.clothing_id is None and job.outfit == presets.CLOTHING:
        raise DomainError("The clothing image this was made with was deleted, so it can't be made again.")
    if changes.scene and changes.scene not in presets.SCENES_BY_KEY:
        raise DomainError("Choose one of the eight scenes.", field="scene")
    licensed = job.org_id != job.character.org_id  # made under a licence of another org's likeness
    if licensed and changes.lora_run:
        raise DomainError("A licensed likeness is always made with the creator's current face model.", field="lora")
    lora_key = lora_version(image, changes.lora_run) if changes.lora_run else ""
    recipe = packs._recipe_of(job)
    recipe.count = 1
    recipe.prompts = [image.prompt] if not changes.scene else []
    recipe.seed = None
    if changes.scene:
        recipe.scene, recipe.style_source, recipe.style = changes.scene, None, {}
    return packs.pack_start(
        character=job.character,
        user=user,
        recipe=recipe,
        key=key,
        origin=GenerationJob.Origin.RERUN,
        source_job=job,
        seeds=None if changes.new_seed else [image.seed],
        counts=range(1, max(presets.COUNTS) + 1),
        rerun_of=asset,
        lora_key=lora_key,
        # A licensed image is made again for the licensee, within the licence (checked again now).
        org=job.org,
        use=packs._licensed_use(job) if licensed else "",
    )


def node_rerun(*, asset: Asset, user: User | None, changes: RerunChanges | None = None, key: str = "") -> Job:
    """Start making ``asset`` again with its recipe (and ``changes``, for a generated image).
    Returns the new job (its page shows the progress). Raises ``DomainError``."""
    changes = changes or RerunChanges()
    if problem := rerun_problem(asset):
        raise DomainError(problem)
    if image := GenerationImage.objects.select_related("job__character", "job__clothing").filter(asset=asset).first():
        return _generation_rerun(image, asset, user, changes, key)
    if changes.new_seed or changes.scene or changes.lora_run:
        raise DomainError("Only a generated image can be re-run with another seed, scene or LoRA version.")
    if edit := EditJob.objects.select_related("source", "org").filter(result=asset).first():
        assert edit.source is not None
        if edit.kind == EditJob.Kind.UPSCALE:
            return edit_services.upscale_start(
                org=edit.org, user=user, asset=edit.source, factor=edit.params.get("factor", 2), key=key
            )
        with transaction.atomic():
            new = edits.edit_job_rerun(job=edit, user=user)
            # A branch, not a retry: its cost is its own, not the first edit's calls too.
            EditJob.objects.filter(pk=new.pk).update(retry_of=None)
            new.retry_of = None
        return new
    video = VideoJob.objects.select_related("source", "org").filter(result=asset).first()
    assert video is not None  # rerun_problem let only these through
    assert video.source is not None
    if video.kind == VideoJob.Kind.UPSCALE:
        return video_upscale.video_upscale_start(
            org=video.org, user=user, asset=video.source, factor=video.params.get("factor", 2), key=key
        )
    params = video.params
    request = video_services.VideoRequest(
        prompt=params.get("prompt", ""),
        seconds=params["seconds"],
        shape=params["shape"],
        resolution=params["resolution"],
        speed=params["speed"],
        audio=params["audio"],
        nsfw=params.get("nsfw", False) and not video.source.nsfw,
        write=params.get("write", False),
    )
    return video_services.video_start(org=video.org, user=user, asset=video.source, request=request, key=key)
