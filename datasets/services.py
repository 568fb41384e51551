"""The builder's state changes: create a build with its attestations, add and remove photos (each
checked at once, before anything is paid for), plan and start a run, cancel, resume, redo, review,
and hand the accepted set to the character's dataset (``characters``' check and training take it
from there, unchanged).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file
from billing.services import InsufficientCredits
from characters import dataset as character_dataset
from characters import identity
from characters.captions import MAX_CAPTION, caption_with_trigger
from characters.models import Character, DatasetImage
from characters.rules import BUCKET_KEYS, MAX_IMAGES, MIN_IMAGES
from characters.services import character_create, consent_record
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from datasets import photos, rules, runner
from datasets.models import BuildRun, BuildUnit, DatasetBuild, SourcePhoto, TargetPhoto
from jobs import engine
from orgs.models import Organization
from providers import gateway
from safety.services import text_screen

log = logging.getLogger(__name__)

RIGHTS_VERSION = "2026-12"
RIGHTS_TEXT = (
    "I took the body photos I upload here or hold the rights to use them for this purpose, and every "
    "person in them is an adult (18 or older). Their faces will be replaced by the face above."
)


# --- Creating ----------------------------------------------------------------------------------------


@transaction.atomic
def build_create(
    *,
    org: Organization,
    user: User,
    name: str,
    gender: str = "",
    ip: str | None = None,
    user_agent: str = "",
    imported: bool = False,
) -> DatasetBuild:
    """A photo character and its builder, with the face consent (the photo path's record) and the
    rights to the body photos, both attested by ``user`` now."""
    character = character_create(org=org, user=user, name=name, origin=Character.Origin.PHOTOS, gender=gender)
    consent = consent_record(character=character, user=user, ip=ip, user_agent=user_agent)
    return DatasetBuild.objects.create(
        org=org,
        character=character,
        consent=consent,
        rights_text=f"[{RIGHTS_VERSION}] {RIGHTS_TEXT}",
        rights_by=user,
        rights_email=user.email,
        rights_ip=ip or None,
        rights_at=timezone.now(),
        imported=imported,
        created_by=user,
    )


# --- Photos -------------------------------------------------------------------------------------------


def _ensure_editable(build: DatasetBuild) -> None:
    if build.runs.filter(status__in=ACTIVE).exists():
        raise DomainError("The pipeline is running. Wait for it to finish, or cancel it, before changing photos.")


def _asset_for(build: DatasetBuild, user: User | None, path: Path, filename: str, role: str) -> Asset:
    try:
        sniffed = media.sniff(path)
    except media.MediaError as exc:
        raise DomainError(f"“{filename}” can't be used: {exc.message}", field="file") from None
    if sniffed.kind != "image":
        raise DomainError(f"“{filename}” is not a photo. Upload JPEG, PNG, WebP or HEIC photos.", field="file")
    sha = media.sha256_file(path)
    taken = (
        SourcePhoto.objects.filter(build=build, asset__sha256=sha).exists()
        or TargetPhoto.objects.filter(build=build, asset__sha256=sha).exists()
    )
    if taken:
        raise DomainError(f"“{filename}” is already in this set. Each photo can be used once.", field="file")
    return asset_create_from_file(
        org=build.org,
        path=path,
        filename=filename,
        created_by=user,
        metadata={"dataset_build": str(build.public_id), "role": role},
    )


def _discard(asset: Asset) -> None:
    keys = [asset.original_key, *asset.variants.values()]
    Asset.objects.filter(pk=asset.pk).delete()
    for key in keys:
        with suppress(Exception):
            storage.delete(key)


def source_add(*, build: DatasetBuild, user: User | None, path: Path, filename: str) -> SourcePhoto:
    """One face photo, checked at once (one face, big and upright enough); outliers are flagged
    across the set. Raises ``DomainError`` or ``media.MediaError`` (nothing is kept then)."""
    _ensure_editable(build)
    if build.sources.count() >= rules.MAX_SOURCES:
        raise DomainError(f"A set takes at most {rules.MAX_SOURCES} face photos. Remove one to add another.")
    asset = _asset_for(build, user, path, filename, "source")
    try:
        read = photos.face_read(asset)
    except identity.UnreadablePhoto as exc:
        _discard(asset)
        raise DomainError(exc.message, field="file") from None
    position = (build.sources.aggregate(m=Max("position"))["m"] or 0) + (1 if build.sources.exists() else 0)
    source = SourcePhoto.objects.create(
        org=build.org,
        build=build,
        asset=asset,
        position=position,
        face_box=list(read.faces[0].box) if read.faces else None,
        embedding=read.faces[0].embedding if len(read.faces) == 1 else None,
        problem=photos.source_problem(read),
    )
    sources_check(build)
    source.refresh_from_db()
    return source


def sources_check(build: DatasetBuild) -> None:
    """Flag the face photos that aren't the same person as the rest (before any charge)."""
    sources = [s for s in build.sources.all() if s.embedding and not s.problem]
    far = photos.sources_outliers({s.pk: list(s.embedding or []) for s in sources}) if len(sources) >= 2 else {}
    for source in build.sources.all():
        distance = far.get(source.pk)
        if source.outlier_distance != distance:
            SourcePhoto.objects.filter(pk=source.pk).update(outlier_distance=distance)


def target_add(*, build: DatasetBuild, user: User | None, path: Path, filename: str) -> TargetPhoto:
    """One body photo, checked at once: exactly one face, big enough and upright enough to swap."""
    _ensure_editable(build)
    if build.targets.count() >= rules.MAX_TARGETS:
        raise DomainError(f"A set takes at most {rules.MAX_TARGETS} body photos. Remove one to add another.")
    asset = _asset_for(build, user, path, filename, "target")
    try:
        read = photos.face_read(asset)
    except identity.UnreadablePhoto as exc:
        _discard(asset)
        raise DomainError(exc.message, field="file") from None
    position = (build.targets.aggregate(m=Max("position"))["m"] or 0) + (1 if build.targets.exists() else 0)
    return TargetPhoto.objects.create(
        org=build.org,
        build=build,
        asset=asset,
        position=position,
        face_box=list(read.faces[0].box) if read.faces else None,
        problem=photos.target_problem(read),
        seed=runner.new_seed(),
    )


def photo_remove(*, build: DatasetBuild, photo: SourcePhoto | TargetPhoto) -> None:
    _ensure_editable(build)
    if isinstance(photo, TargetPhoto) and photo.units.exists():
        TargetPhoto.objects.filter(pk=photo.pk).update(review=TargetPhoto.Review.REJECTED)
        raise DomainError("This photo has already been worked on, so it stays in the history; it is marked rejected.")
    asset = photo.asset
    photo.delete()
    if isinstance(photo, SourcePhoto):
        sources_check(build)
    if not Asset.objects.filter(pk=asset.pk, parents__isnull=False).exists():
        with suppress(Exception):
            _discard(asset)


# --- The plan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    sources: int
    usable_sources: int
    outliers: int
    targets: int
    usable_targets: int
    skipped: int
    swaps: int
    enhancements: int
    captions: int
    credits: int
    problems: list[str]

    @property
    def ready(self) -> bool:
        return not self.problems


def plan(build: DatasetBuild) -> Plan:
    """What a run would do and cost now, and what stops it (in words)."""
    sources = list(build.sources.all())
    usable_sources = [s for s in sources if not s.problem and s.outlier_distance is None]
    outliers = sum(1 for s in sources if s.outlier_distance is not None)
    targets = list(build.targets.all())
    todo = targets_to_run(build)
    steps = [step for _target, target_steps in todo for step in target_steps]
    problems = []
    if len(sources) < rules.MIN_SOURCES:
        problems.append(f"Add {rules.MIN_SOURCES - len(sources)} more face photo(s): at least {rules.MIN_SOURCES}.")
    if bad := [s for s in sources if s.problem]:
        problems.append(f"Remove or replace {len(bad)} face photo(s) that can't be used (see each photo).")
    if outliers:
        problems.append(
            f"{outliers} face photo(s) don't look like the same person as the others. Remove them: "
            "the face set must be one person."
        )
    usable_targets = [t for t in targets if not t.problem]
    if len(usable_targets) < rules.MIN_TARGETS:
        problems.append(
            f"Add {rules.MIN_TARGETS - len(usable_targets)} more usable body photo(s): at least {rules.MIN_TARGETS}."
        )
    if not todo and usable_targets:
        problems.append("Every photo is done. Review the results below.")
    return Plan(
        sources=len(sources),
        usable_sources=len(usable_sources),
        outliers=outliers,
        targets=len(targets),
        usable_targets=len(usable_targets),
        skipped=len(targets) - len(usable_targets),
        swaps=steps.count(rules.STEP_SWAP),
        enhancements=steps.count(rules.STEP_ENHANCE),
        captions=steps.count(rules.STEP_CAPTION),
        credits=rules.steps_credits(steps),
        problems=problems,
    )


def last_units(target: TargetPhoto) -> dict[str, BuildUnit]:
    """The newest unit of each step for ``target`` (since its last redo)."""
    latest: dict[str, BuildUnit] = {}
    for unit in target.units.order_by("id"):
        if unit.step == rules.STEP_SWAP and unit.run.kind == BuildRun.Kind.REDO:
            latest = {}
        latest[unit.step] = unit
    return latest


def steps_left(target: TargetPhoto) -> list[str]:
    """The steps ``target`` still needs: from the first one not done, to the end."""
    latest = last_units(target)
    if not latest and target.result_id:  # imported from a zip: nothing to run
        return []
    for index, step in enumerate(rules.STEPS):
        unit = latest.get(step)
        if unit is None or unit.status != JobStatus.SUCCEEDED:
            return rules.STEPS[index:]
    return []


def targets_to_run(build: DatasetBuild) -> list[tuple[TargetPhoto, list[str]]]:
    return [
        (target, left)
        for target in build.targets.select_related("source").prefetch_related("units__run")
        if not target.problem and target.review != TargetPhoto.Review.REJECTED and (left := steps_left(target))
    ]


# --- Running --------------------------------------------------------------------------------------------


def _refusal(exc: InsufficientCredits) -> DomainError:
    return DomainError(
        f"This needs {exc.needed:,} credits and {exc.available:,} are available. Buy a top-up on Billing, "
        "or remove some body photos."
    )


def run_start(*, build: DatasetBuild, user: User | None, key: str = "") -> BuildRun:
    """Run every step still to do (the first run, or a resume after failures or a cancel): only
    those are held and paid. Raises ``DomainError`` (with what to fix) or ``LimitReached``."""
    if existing := engine.job_by_key(BuildRun, build.org, key):
        return existing
    if build.runs.filter(status__in=ACTIVE).exists():
        raise DomainError("The pipeline is already running.")
    current = plan(build)
    if not current.ready:
        raise DomainError(current.problems[0])
    kind = BuildRun.Kind.RESUME if build.runs.exists() else BuildRun.Kind.RUN
    return _start(build, user, key, targets_to_run(build), kind)


def redo(*, target: TargetPhoto, user: User | None, key: str = "") -> BuildRun:
    """Make ``target`` again from the start with another seed and the next face photo; paid again."""
    build = target.build
    if existing := engine.job_by_key(BuildRun, build.org, key):
        return existing
    if build.runs.filter(status__in=ACTIVE).exists():
        raise DomainError("The pipeline is running. Redo this photo when it has finished.")
    if target.problem:
        raise DomainError(target.problem)
    sources = usable_sources(build)
    if not sources:
        raise DomainError("Add face photos of the person first.")
    current = sources.index(target.source) if target.source in sources else -1
    target.source = sources[(current + 1) % len(sources)]
    target.seed = runner.new_seed()
    target.review = TargetPhoto.Review.PENDING
    target.save(update_fields=["source", "seed", "review", "updated_at"])
    return _start(build, user, key, [(target, list(rules.STEPS))], BuildRun.Kind.REDO)


def usable_sources(build: DatasetBuild) -> list[SourcePhoto]:
    return [s for s in build.sources.select_related("asset") if not s.problem and s.outlier_distance is None]


def _start(build, user, key, todo: list[tuple[TargetPhoto, list[str]]], kind: str) -> BuildRun:
    sources = usable_sources(build)
    steps = [step for _t, target_steps in todo for step in target_steps]

    def create_units(run: BuildRun) -> None:
        position = 0
        for target, target_steps in todo:
            if target.source_id is None or target.source not in sources:
                target.source = sources[target.position % len(sources)]
                target.save(update_fields=["source", "updated_at"])
            units = []
            for step in target_steps:
                units.append(
                    BuildUnit.objects.create(
                        run=run, target=target, step=step, position=position, credits=rules.step_credits(step)
                    )
                )
                position += 1
            first = units[0]
            first.target = target
            first.started_at = timezone.now()
            first.save(update_fields=["started_at"])
            runner.unit_begin(run, first)

    return engine.job_start(
        BuildRun,
        org=build.org,
        user=user,
        key=key,
        credits=rules.steps_credits(steps),
        operation="dataset_build",
        hold_description=f"Dataset builder for {build.character.name}: {len(todo)} photo(s)",
        hold_operation="dataset_swap",
        refusal=_refusal,
        build=create_units,
        build_id=build.pk,
        kind=kind,
    )


def run_cancel(*, run: BuildRun, user: User | None) -> None:
    """Stop what hasn't finished: its calls are cancelled, its credits come back."""
    reason = engine.cancelled_by(user)
    with transaction.atomic():
        run = engine.job_lock(BuildRun, run.pk)
        if run.status not in ACTIVE:
            return
        now = timezone.now()
        for unit in run.units.filter(status__in=ACTIVE).select_related("call"):
            if unit.call is not None:
                gateway.call_cancel(unit.call, reason=reason)
            BuildUnit.objects.filter(pk=unit.pk).update(status=JobStatus.CANCELLED, error=reason, finished_at=now)
        runner.run_refresh(run)


# --- Review -----------------------------------------------------------------------------------------------


def review_set(*, target: TargetPhoto, review: str) -> TargetPhoto:
    if review not in TargetPhoto.Review.values:
        raise DomainError("Choose accept or reject.")
    if review == TargetPhoto.Review.ACCEPTED and target.result_id is None:
        raise DomainError("This photo has no result yet: run it first.")
    target.review = review
    TargetPhoto.objects.filter(pk=target.pk).update(review=review)
    return target


def bucket_set(*, target: TargetPhoto, bucket: str) -> TargetPhoto:
    if bucket not in BUCKET_KEYS:
        raise DomainError("Choose one of the four groups: close-ups, half-body, full-body or variety.")
    target.bucket = bucket
    TargetPhoto.objects.filter(pk=target.pk).update(bucket=bucket)
    return target


def caption_edit(*, target: TargetPhoto, text: str, user: User | None) -> TargetPhoto:
    """A caption by hand; the trigger word is added if it's missing; screened for minors."""
    text = " ".join((text or "").split())
    if text:
        text_screen(text, org=target.org, user=user, where="caption", field="caption", subject="Captions")
        text = caption_with_trigger(text, target.build.character.trigger_word)
    if len(text) > MAX_CAPTION:
        raise DomainError(
            f"Keep the caption to {MAX_CAPTION:,} characters (this one has {len(text):,}).", field="caption"
        )
    target.caption = text
    TargetPhoto.objects.filter(pk=target.pk).update(caption=text)
    return target


def accepted(build: DatasetBuild) -> list[TargetPhoto]:
    return list(
        build.targets.filter(review=TargetPhoto.Review.ACCEPTED, result__isnull=False).select_related(
            "result", "source"
        )
    )


@transaction.atomic
def hand_over(*, build: DatasetBuild, user: User | None) -> int:
    """The accepted results become the character's dataset (in their buckets, with their captions);
    the photo path's dataset check then runs as for uploaded photos. Returns how many."""
    build = DatasetBuild.objects.select_for_update().select_related("character").get(pk=build.pk)
    if build.runs.filter(status__in=ACTIVE).exists():
        raise DomainError("The pipeline is still running. Hand the set over when it has finished.")
    chosen = accepted(build)
    if not MIN_IMAGES <= len(chosen) <= MAX_IMAGES:
        raise DomainError(
            f"Training takes {MIN_IMAGES}–{MAX_IMAGES} photos and {len(chosen)} are accepted. "
            + ("Accept more, or redo some." if len(chosen) < MIN_IMAGES else "Reject a few.")
        )
    character = build.character
    if character.training_runs.filter(status__in=ACTIVE).exists():
        raise DomainError("Training is running on the current dataset.")
    DatasetImage.objects.filter(character=character).delete()
    images = []
    for position, target in enumerate(chosen):
        assert target.result is not None
        images.append(
            DatasetImage.objects.create(
                org=build.org,
                character=character,
                asset=target.result,
                bucket=target.bucket or photos.bucket_for(target.face_share),
                position=position,
                caption=target.caption,
            )
        )
    for image in images:
        character_dataset.analysis_enqueue(image)
    build.handed_over_at = timezone.now()
    build.save(update_fields=["handed_over_at", "updated_at"])
    return len(images)
