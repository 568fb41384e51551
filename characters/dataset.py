"""The training photos' analysis and the dataset check (PRODUCT.md §2, "From photos").

Each DatasetImage is analysed by the worker right after it is added (``analysis_enqueue``): its
size, its faces, the largest face's embedding and sharpness. The *dataset check*
(``dataset_check_start``) then judges every photo against the others — exactly one face, the
same person as the rest, no copies, sharp enough, big enough — and says per photo what is wrong
and what to do. Blocking problems must be fixed before training; warnings can be accepted.

Issue codes and levels::

    blocking  undecodable, analysis_failed, too_small, no_face, many_faces, other_person, duplicate
    warning   near_duplicate, blurry, other_person (borderline), no_face (variety bucket only:
              profile and back views are what that bucket is for, and HOG sees frontal faces)
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from assets import media
from assets.storage import storage
from characters import identity, rules
from characters.models import Character, DatasetCheck, DatasetImage
from core.exceptions import DomainError

logger = logging.getLogger(__name__)

# Face sharpness (variance of the Laplacian at 128²) under which a face reads as blurry. Measured
# on 21 photos of person A (short side 1024 px, read from their 1024 px previews): sharp faces
# 134–478; after a Gaussian blur of radius 4 px 6–62, radius 3 12–107, radius 2 30–186. 70 flags
# every radius-4 and most radius-3 blurs with room to spare above it for soft but usable light.
BLURRY_SHARPNESS = 70.0
# A check that hasn't finished after this long died with its worker; a new one may start.
CHECK_STALE_AFTER = timedelta(minutes=10)

BLOCKING = DatasetImage.Level.BLOCKING
WARNING = DatasetImage.Level.WARNING
OK = DatasetImage.Level.OK


# --- Per-image analysis (worker) ----------------------------------------------------------------


def analysis_enqueue(image: DatasetImage) -> None:
    """Analyse ``image`` in the worker once the current transaction commits."""
    image_id = image.pk
    transaction.on_commit(lambda: dataset_image_analyse.delay(image_id))


@shared_task(
    name="characters.tasks.dataset_image_analyse",
    acks_late=True,
    max_retries=2,
    default_retry_delay=5,
    soft_time_limit=120,
    time_limit=150,
)
def dataset_image_analyse(image_id: int) -> None:
    image_analyse(image_id=image_id)


def image_analyse(*, image_id: int) -> None:
    """Fill in one photo's analysis from its stored preview (or original). A no-op if it was already analysed
    or has been deleted; when two runs race, the first to finish is kept."""
    image = DatasetImage.objects.select_related("asset").filter(pk=image_id).first()
    if image is None or image.analysis != DatasetImage.Analysis.PENDING:
        return
    fields = _analysis_fields(image)
    DatasetImage.objects.filter(pk=image_id, analysis=DatasetImage.Analysis.PENDING).update(**fields)


def _analysis_fields(image: DatasetImage) -> dict:
    started = time.perf_counter()
    fields: dict = {
        "width": None,
        "height": None,
        "face_count": None,
        "face_box": None,
        "embedding": None,
        "sharpness": None,
        "analysis_error": "",
    }
    asset = image.asset
    # The library's preview is this photo decoded, upright, in sRGB, at 1024 px (the size faces
    # are detected at anyway): reading it instead of a 12 MP original saves the decode.
    key = asset.variants.get("preview") or asset.original_key
    size = (asset.width, asset.height) if key != asset.original_key and asset.width and asset.height else None
    try:
        with storage().open(key, "rb") as fh:
            result = identity.photo_analyse(fh, size=size)
    except FileNotFoundError:
        fields.update(
            analysis=DatasetImage.Analysis.FAILED,
            analysis_error="The stored file for this photo is missing. Remove it and upload the photo again.",
        )
    except identity.UnreadablePhoto as exc:
        fields.update(analysis=DatasetImage.Analysis.FAILED, analysis_error=exc.message[:300])
    except Exception:
        logger.exception("face analysis failed for dataset image %s", image.pk)
        fields.update(
            analysis=DatasetImage.Analysis.FAILED,
            width=asset.width,  # the pixels were readable at upload; the face analysis wasn't
            height=asset.height,
            analysis_error="The face analysis stopped on this photo. Replace it with another photo, or try the check again.",
        )
    else:
        largest = result.faces[0] if result.faces else None
        fields.update(
            analysis=DatasetImage.Analysis.DONE,
            width=result.width,
            height=result.height,
            face_count=len(result.faces),
            face_box=list(largest.box) if largest else None,
            embedding=largest.embedding if largest else None,
            sharpness=round(largest.sharpness, 2) if largest else None,
        )
    fields["analysis_ms"] = round((time.perf_counter() - started) * 1000)
    return fields


# --- Status (cheap; polled by the page) ---------------------------------------------------------


@dataclass
class DatasetStatus:
    counts: dict[str, int]
    total: int
    minimums: dict[str, int]
    count_problems: list[str]
    pending: int  # photos still being analysed
    check: DatasetCheck | None  # the latest check
    check_current: bool  # the latest check covers exactly the current photos and buckets
    running: bool  # a check is in progress
    blocking: int
    unaccepted_warnings: int
    can_check: bool
    can_train: bool
    reasons: list[str] = field(default_factory=list)  # why training can't start yet, plain words


def fingerprint(rows) -> str:
    """Which photos, files and buckets a check covers: rows of (public_id, asset_id, bucket)."""
    text = "\n".join(sorted(f"{public_id}:{asset_id}:{bucket}" for public_id, asset_id, bucket in rows))
    return hashlib.sha256(text.encode()).hexdigest()


def dataset_status(character: Character) -> DatasetStatus:
    """Where the character's dataset stands: counts, analysis, the last check, and whether training
    may start (and if not, why). Two queries."""
    rows = list(
        DatasetImage.objects.filter(character=character).values_list(
            "public_id", "asset_id", "bucket", "analysis", "level", "warnings_accepted"
        )
    )
    check = DatasetCheck.objects.filter(character=character).order_by("-created_at", "-id").first()
    counts = {key: 0 for key in rules.BUCKET_KEYS}
    for _public_id, _asset_id, bucket, *_rest in rows:
        counts[bucket] = counts.get(bucket, 0) + 1
    total = len(rows)
    problems = rules.count_problems(counts)
    pending = sum(1 for row in rows if row[3] == DatasetImage.Analysis.PENDING)
    blocking = sum(1 for row in rows if row[4] == BLOCKING)
    unaccepted = sum(1 for row in rows if row[4] == WARNING and not row[5])
    running = (
        check is not None
        and check.status == DatasetCheck.Status.RUNNING
        and check.created_at > timezone.now() - CHECK_STALE_AFTER
    )
    current = check is not None and total > 0 and check.fingerprint == fingerprint(row[:3] for row in rows)
    passed = current and check is not None and check.status == DatasetCheck.Status.DONE and not check.problems

    reasons = list(problems)
    if not problems:
        if running:
            reasons.append("The dataset check is running.")
        elif check is None:
            reasons.append("Run the dataset check before training.")
        elif not current:
            reasons.append("Your photos changed since the last check. Run the check again.")
        elif check.status != DatasetCheck.Status.DONE:
            reasons.append("The last check didn't finish. Run it again.")
        elif check.problems:
            reasons.extend(check.problems)
        else:
            if blocking:
                reasons.append(
                    f"{blocking} photo{'s' if blocking != 1 else ''} must be fixed: replace or remove "
                    f"{'them' if blocking != 1 else 'it'}, then run the check again."
                )
            if unaccepted:
                reasons.append(
                    f"{unaccepted} photo{'s have warnings' if unaccepted != 1 else ' has a warning'}: "
                    "replace them, or accept the warnings to train anyway."
                )
    return DatasetStatus(
        counts=counts,
        total=total,
        minimums=rules.bucket_minimums(total),
        count_problems=problems,
        pending=pending,
        check=check,
        check_current=current,
        running=running,
        blocking=blocking,
        unaccepted_warnings=unaccepted,
        can_check=not problems and not running,
        can_train=passed and not problems and blocking == 0 and unaccepted == 0,
        reasons=reasons,
    )


# --- The check -----------------------------------------------------------------------------------


def dataset_check_start(*, character: Character, user=None) -> DatasetCheck:
    """Start checking the character's photos in the worker. Refuses (DomainError) while the counts
    break the 12-9-6-3 rule; while a check is already running, returns that one."""
    with transaction.atomic():
        Character.objects.select_for_update().filter(pk=character.pk).first()  # one start at a time
        running = (
            DatasetCheck.objects.filter(
                character=character,
                status=DatasetCheck.Status.RUNNING,
                created_at__gt=timezone.now() - CHECK_STALE_AFTER,
            )
            .order_by("-created_at")
            .first()
        )
        if running is not None:
            return running
        rows = list(DatasetImage.objects.filter(character=character).values_list("public_id", "asset_id", "bucket"))
        counts = {key: 0 for key in rules.BUCKET_KEYS}
        for _public_id, _asset_id, bucket in rows:
            counts[bucket] += 1
        problems = rules.count_problems(counts)
        if problems:
            raise DomainError("Fix the photo counts before the check: " + " ".join(problems))
        check = DatasetCheck.objects.create(
            org=character.org, character=character, images=len(rows), fingerprint=fingerprint(rows)
        )
        check_id = check.pk
        transaction.on_commit(lambda: dataset_check_run.delay(check_id))
    return check


@shared_task(
    name="characters.tasks.dataset_check_run", acks_late=True, max_retries=1, soft_time_limit=240, time_limit=270
)
def dataset_check_run(check_id: int) -> None:
    check_run(check_id=check_id)


def check_run(*, check_id: int) -> None:
    """Judge every photo of the check's character; analyses any still pending first, so the check
    never waits on another task. A repeated run of a finished check changes nothing."""
    check = DatasetCheck.objects.select_related("character").filter(pk=check_id).first()
    if check is None or check.status != DatasetCheck.Status.RUNNING:
        return
    started = time.perf_counter()
    try:
        _check(check, started)
    except Exception:
        logger.exception("dataset check %s failed", check_id)
        DatasetCheck.objects.filter(pk=check_id, status=DatasetCheck.Status.RUNNING).update(
            status=DatasetCheck.Status.DONE,
            problems=["The check stopped unexpectedly before it finished. Run it again."],
            duration_ms=round((time.perf_counter() - started) * 1000),
            finished_at=timezone.now(),
        )


def _check(check: DatasetCheck, started: float) -> None:
    character = check.character
    for image_id in DatasetImage.objects.filter(
        character=character, analysis=DatasetImage.Analysis.PENDING
    ).values_list("pk", flat=True):
        image_analyse(image_id=image_id)
    images = list(DatasetImage.objects.filter(character=character).select_related("asset").order_by("created_at", "id"))
    centre, members = consensus([image.embedding for image in images if image.face_count == 1])
    seen_sha: dict[str, DatasetImage] = {}
    seen_hash: list[DatasetImage] = []
    for image in images:
        issues = _issues(image, centre, seen_sha, seen_hash)
        if image.asset.sha256 not in seen_sha:
            seen_sha[image.asset.sha256] = image
        if image.asset.phash is not None:
            seen_hash.append(image)
        level = _worst(issues)
        if issues != image.issues:
            image.warnings_accepted = False
        image.issues, image.level = issues, level
    counts = {key: 0 for key in rules.BUCKET_KEYS}
    for image in images:
        counts[image.bucket] += 1
    levels = [image.level for image in images]
    with transaction.atomic():
        if not DatasetCheck.objects.select_for_update().filter(pk=check.pk, status=DatasetCheck.Status.RUNNING):
            return  # another run finished it
        DatasetImage.objects.bulk_update(images, ["issues", "level", "identity_distance", "warnings_accepted"])
        DatasetCheck.objects.filter(pk=check.pk).update(
            status=DatasetCheck.Status.DONE,
            images=len(images),
            ok=levels.count(OK),
            warnings=levels.count(WARNING),
            blocking=levels.count(BLOCKING),
            problems=rules.count_problems(counts),
            fingerprint=fingerprint((image.public_id, image.asset_id, image.bucket) for image in images),
            duration_ms=round((time.perf_counter() - started) * 1000),
            finished_at=timezone.now(),
        )
        if members and character.identity_source in ("", "dataset"):
            identity.reference_set(character, members, source="dataset")
        if (best := best_closeup(images)) is not None:
            # Face-swap mode (and a face on the character's cards) before any training.
            Character.objects.filter(pk=character.pk, base_image__isnull=True).update(base_image=best.asset_id)
            Character.objects.filter(pk=character.pk, avatar__isnull=True).update(avatar=best.asset_id)


def best_closeup(images: list[DatasetImage]) -> DatasetImage | None:
    """The photo that shows the character best: a clean close-up nearest the dataset's face (then
    the sharpest); another clean photo if no close-up is clean; None if none is."""
    clean = [i for i in images if i.level == OK and i.face_count == 1 and i.identity_distance is not None]
    if not clean:
        return None
    return min(
        clean,
        key=lambda i: (
            i.bucket != DatasetImage.Bucket.CLOSEUP,
            round(i.identity_distance or 0.0, 2),
            -(i.sharpness or 0),
        ),
    )


def consensus(embeddings) -> tuple[list[float] | None, list[list[float]]]:
    """The dataset's own face: (centre, the embeddings that agree with it).

    A plain mean would sit between two people in a mixed dataset and pass both, so the centre
    starts from the embedding with the most same-person neighbours (the biggest group), is the
    mean of that group, and is refined once against the whole set.
    """
    vectors = [list(e) for e in embeddings if e]
    if not vectors:
        return None, []

    def near(centre) -> list[list[float]]:
        return [v for v in vectors if identity.distance(v, centre) <= identity.SAME_PERSON]

    def rank(v) -> tuple[int, float]:
        distances = [identity.distance(v, other) for other in vectors]
        return sum(d <= identity.SAME_PERSON for d in distances), -sum(distances)

    seed = max(vectors, key=rank)
    members = near(seed)
    centre = identity.mean(members)
    members = near(centre) or members
    return identity.mean(members), members


def _issue(code: str, level: str, message: str) -> dict:
    return {"code": code, "level": str(level), "message": message}


def _issues(image: DatasetImage, centre, seen_sha: dict, seen_hash: list) -> list[dict]:
    label = rules.BUCKET_LABELS.get(image.bucket, image.bucket)
    image.identity_distance = None
    if image.analysis == DatasetImage.Analysis.FAILED:
        code = "undecodable" if image.width is None else "analysis_failed"
        return [_issue(code, BLOCKING, image.analysis_error or "This photo couldn't be read. Replace it.")]
    if image.analysis != DatasetImage.Analysis.DONE:  # analysed inline above; only a race leaves this
        return [_issue("analysis_failed", BLOCKING, "This photo wasn't analysed. Run the check again.")]
    # A done analysis recorded the size and the faces (analysis_fields).
    assert image.width is not None
    assert image.height is not None
    assert image.face_count is not None

    issues = []
    short = min(image.width, image.height)
    if short < rules.MIN_SHORT_SIDE:
        issues.append(
            _issue(
                "too_small",
                BLOCKING,
                f"This photo is {image.width} × {image.height} px; the short side must be at least "
                f"{rules.MIN_SHORT_SIDE} px. Replace it with a larger original.",
            )
        )
    earlier = seen_sha.get(image.asset.sha256)
    if earlier is not None:
        issues.append(
            _issue(
                "duplicate",
                BLOCKING,
                f"The same photo is already in this dataset (in {rules.BUCKET_LABELS.get(earlier.bucket, '')}). "
                "Remove this copy.",
            )
        )
    elif image.asset.phash is not None:
        twin = next(
            (
                other
                for other in seen_hash
                if media.phash_distance(other.asset.phash, image.asset.phash) <= media.NEAR_DUPLICATE_DISTANCE
            ),
            None,
        )
        if twin is not None:
            issues.append(
                _issue(
                    "near_duplicate",
                    WARNING,
                    f"Almost the same picture as another photo (in {rules.BUCKET_LABELS.get(twin.bucket, '')}). "
                    "Near copies teach the model nothing new; replace it with a different photo if you can.",
                )
            )

    if image.face_count == 0:
        if image.bucket == DatasetImage.Bucket.VARIETY:
            issues.append(
                _issue(
                    "no_face",
                    WARNING,
                    "No face found. That's fine for a profile or back view; otherwise replace it with a photo "
                    "where the face is visible.",
                )
            )
        else:
            issues.append(
                _issue(
                    "no_face",
                    BLOCKING,
                    f"No face found. {label} need this person's face clearly visible: replace it, or remove it.",
                )
            )
    elif image.face_count > 1:
        issues.append(
            _issue(
                "many_faces",
                BLOCKING,
                f"{image.face_count} faces found — crop the photo to this person alone, or remove it.",
            )
        )
    elif centre is not None and image.embedding:
        gap = identity.distance(image.embedding, centre)
        image.identity_distance = round(gap, 4)
        match = identity.score(gap)
        if gap > identity.SAME_PERSON:
            issues.append(
                _issue(
                    "other_person",
                    BLOCKING,
                    f"This looks like a different person from the rest of your photos (match {match}/100). "
                    "Replace it with a photo of the same person.",
                )
            )
        elif gap > identity.BORDERLINE:
            issues.append(
                _issue(
                    "other_person",
                    WARNING,
                    f"This may be a different person (match {match}/100, a bit low). If it is the same "
                    "person, accept the warning; otherwise replace it.",
                )
            )
    if image.face_count and image.sharpness is not None and image.sharpness < BLURRY_SHARPNESS:
        issues.append(
            _issue(
                "blurry",
                WARNING,
                "The face is blurry. Replace it with a sharper photo, or accept the warning if it's the best you have.",
            )
        )
    return issues


def _worst(issues: list[dict]) -> str:
    levels = {issue["level"] for issue in issues}
    if BLOCKING in levels:
        return BLOCKING
    if WARNING in levels:
        return WARNING
    return OK


# --- Accepting warnings ---------------------------------------------------------------------------


def warnings_accept(*, character: Character, image_ids: list[str] | None = None) -> int:
    """Accept the warnings of the given photos (public ids), or of every photo with warnings when
    ``image_ids`` is None. Photos with blocking problems can't be accepted. Returns how many."""
    images = DatasetImage.objects.filter(character=character, level=WARNING, warnings_accepted=False)
    if image_ids is not None:
        wanted = []
        for value in image_ids:
            try:
                wanted.append(uuid.UUID(str(value)))
            except ValueError:
                continue
        images = images.filter(public_id__in=wanted)
    return images.update(warnings_accepted=True)
