"""Org-scoped reads for edit jobs, image packs and prompt drafts."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from assets.models import Asset
from characters.models import Character
from core.jobs import ACTIVE
from core.lookups import one_or_404
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft


def edit_jobs(org, *, status: str = ""):
    jobs = EditJob.objects.for_org(org).select_related("source", "result", "call", "created_by")
    if status == "active":
        jobs = jobs.filter(status__in=("queued", "running"))
    elif status:
        jobs = jobs.filter(status=status)
    return jobs


def edit_job_or_404(org, public_id) -> EditJob:
    """The org's edit job; 404 for another org's, a missing one or a malformed id (the same answer)."""
    return one_or_404(edit_jobs(org).select_related("org"), public_id)


def edit_jobs_for_asset(asset, limit: int = 5) -> list[EditJob]:
    return list(
        EditJob.objects.for_org(asset.org_id)
        .filter(source=asset)
        .select_related("result", "call")
        .order_by("-created_at")[:limit]
    )


def clothing_choices(org, *, exclude, selected=None, limit: int = 24) -> list:
    """Library images to try on the person in ``exclude``: the newest, and ``selected`` among them."""
    images = list(
        Asset.objects.for_org(org).filter(kind=Asset.Kind.IMAGE).exclude(pk=exclude.pk).order_by("-created_at")[:limit]
    )
    if selected is not None and selected not in images:
        images.insert(0, selected)
    return images


# --- Packs ------------------------------------------------------------------------------------------


def _with_images(jobs):
    return jobs.prefetch_related(
        Prefetch(
            "images",
            queryset=GenerationImage.objects.select_related("asset").order_by("position"),
        )
    )


def _packs(org):
    return _with_images(GenerationJob.objects.for_org(org).select_related("org", "character"))


def pack_get(org, public_id) -> GenerationJob | None:
    """A pack of ``org`` with its character, and its images with their assets; None if not theirs."""
    return _packs(org).filter(public_id=public_id).first()


def pack_or_404(org, public_id) -> GenerationJob:
    """Like ``pack_get``, for a page or the API: 404 for another org's, a missing one or a malformed id."""
    return one_or_404(_packs(org), public_id, "No such pack.")


def pack_latest(character) -> GenerationJob | None:
    """The character's newest pack: the one the Studio shows when it opens."""
    return _with_images(
        GenerationJob.objects.filter(character=character).select_related("character").order_by("-created_at", "-id")
    ).first()


HISTORY_FILTERS = ("scene", "environment", "quality", "mode", "status")


def pack_history(character, filters: dict | None = None):
    """The character's packs, newest first, filtered by recipe and outcome (``HISTORY_FILTERS``)."""
    jobs = GenerationJob.objects.filter(character=character)
    for name, value in (filters or {}).items():
        if name not in HISTORY_FILTERS or not value:
            continue
        jobs = (
            jobs.filter(status__in=ACTIVE) if name == "status" and value == "active" else jobs.filter(**{name: value})
        )
    return _with_images(jobs.select_related("character", "created_by").order_by("-created_at", "-id"))


def pack_image_or_404(job: GenerationJob, position: int) -> GenerationImage:
    image = GenerationImage.objects.filter(job=job, position=position).select_related("job", "asset").first()
    if image is None:
        raise Http404("No such image in this pack.")
    return image


def draft_or_404(org, public_id) -> PromptDraft:
    return one_or_404(PromptDraft.objects.for_org(org).select_related("character"), public_id)


def draft_open(character, user) -> PromptDraft | None:
    """The person's latest prompt draft for ``character``, unless they have generated since (then it
    was used, or set aside)."""
    draft = (
        PromptDraft.objects.filter(character=character, created_by=user)
        .select_related("call")
        .order_by("-created_at", "-id")
        .first()
    )
    if draft is None:
        return None
    if GenerationJob.objects.filter(character=character, created_by=user, created_at__gt=draft.created_at).exists():
        return None
    return draft


# --- The library's batch sidebar -------------------------------------------------------------------


def batch_selection(org, ids: list[str]) -> tuple[list, int] | None:
    """The library items named by ``ids``: (the images, in the order they were selected; how many
    others — videos, files — were left out). None if any isn't ``org``'s or no longer exists."""
    found = {str(a.public_id): a for a in Asset.objects.for_org(org).filter(public_id__in=ids)}
    if len(found) != len(set(ids)):
        return None
    chosen = [found[i] for i in dict.fromkeys(ids)]
    images = [a for a in chosen if a.kind == Asset.Kind.IMAGE]
    return images, len(chosen) - len(images)


def batch_characters(org) -> list:
    """The org's characters for the batch sidebar's picker, by name, with their avatars."""
    return list(Character.objects.for_org(org).select_related("org", "avatar", "base_image").order_by("name"))
