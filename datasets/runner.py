"""Running the pipeline: one ``BuildRun`` over some targets, one ``BuildUnit`` per target × step.

Per target the units run in order — ``swap`` (a provider call: the source face onto the target) →
``crop`` (local, in the worker: the face-aware 1024² square) → ``enhance`` (a provider call: 2×
upscale, brought back to 1024 and sharpened; the result goes to the library and is scored against
the source faces) → ``caption`` (the vision model, with the trigger word and an NSFW flag). A unit
that fails or is cancelled stops only its own target: the units after it are cancelled ("not
run"), the other targets carry on.

Credits: the run holds the price of its paid units when it starts; when none is active any more
it captures the price of the units that succeeded and releases the rest (``run_refresh``). A
resume or a redo is a new run over only the units still to do. Locks: the run, then its unit.
"""

from __future__ import annotations

import logging
import random
import time

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from assets import storage
from assets.models import Asset
from assets.services import asset_create_from_file
from characters import captions as character_captions
from characters import identity
from core.jobs import ACTIVE, JobStatus, transition
from datasets import photos, rules, tasks
from datasets.models import BuildRun, BuildUnit, TargetPhoto
from jobs import engine
from providers import gateway, handlers, outputs
from providers.adapters.base import ProviderError
from providers.adapters.xai import vision_message
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen

log = logging.getLogger(__name__)

CAPTION_PROMPT = (
    "Write a one-sentence caption of this photo for training an image model on the person in it. "
    "Start with the exact word {trigger}, which names the person. Then describe the framing, pose, "
    "expression, clothing, setting and light. Don't name or guess who the person is. At most 40 "
    "words. On a second line write NSFW: yes if the photo shows nudity or sexual content, else NSFW: no."
)


def scratch_key(target: TargetPhoto, stage: str) -> str:
    build = target.build
    return f"{storage.org_prefix(target.org)}/datasets/{build.public_id}/{target.public_id}-{stage}.jpg"


# --- Starting units --------------------------------------------------------------------------------


def gender_word(target: TargetPhoto) -> str:
    return {"male": "male", "female": "female"}.get(target.build.character.gender, "non-binary")


def unit_begin(run: BuildRun, unit: BuildUnit) -> None:
    """Start ``unit``: its provider call (submitted after commit), or the local crop task."""
    target = unit.target
    if unit.step == rules.STEP_CROP:
        unit_id = unit.pk
        transaction.on_commit(lambda: tasks.unit_crop.delay(unit_id))
        return
    if unit.step == rules.STEP_SWAP:
        assert target.source is not None
        request = {
            "face_image_0": {"url": {"$asset": str(target.source.asset.public_id), "variant": "edit"}},
            "gender_0": gender_word(target),
            "target_image": {"url": {"$asset": str(target.asset.public_id), "variant": "edit"}},
            "workflow_type": "target_hair",
            "upscale": False,
        }
    elif unit.step == rules.STEP_ENHANCE:
        request = {
            "image_url": {"$key": target.crop_key},
            "upscale_mode": "factor",
            "upscale_factor": rules.ENHANCE_FACTOR,
            "seed": target.seed % (2**31),
        }
    else:
        assert target.result is not None
        prompt = CAPTION_PROMPT.format(trigger=target.build.character.trigger_word)
        marker = {"$asset": str(target.result.public_id), "variant": "preview"}
        request = {"messages": [vision_message(prompt, marker)], "max_tokens": 120, "temperature": 0.2}  # type: ignore[arg-type]
    unit.call = gateway.call_create(
        org=run.org, operation=rules.STEP_OPERATIONS[unit.step], input=request, handler=CALL_HANDLER, subject=unit
    )
    unit.save(update_fields=["call"])


# --- Settling (called by the gateway) ------------------------------------------------------------


def unit_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    unit = BuildUnit.objects.filter(call_id=call.pk).only("pk", "run_id").first()
    if unit is None:
        log.info("provider call %s has no dataset unit waiting on it", call.pk)
        return
    if event == "running":
        transition(BuildUnit, unit.pk, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now())
        engine.job_running(BuildRun, unit.run_id)
        return
    if call.status == ProviderCall.Status.SUCCEEDED:
        _advance(unit.pk, call, last_attempt=last_attempt)
    else:
        status, error = engine.call_outcome(call)
        with transaction.atomic():
            run, unit = locked(unit.pk)
            if unit.status in ACTIVE and unit.call_id == call.pk:
                unit_finish(run, unit, status, error)
                run_refresh(run)


CALL_HANDLER = handlers.register("datasets.unit", unit_on_call)


def locked(unit_id: int) -> tuple[BuildRun, BuildUnit]:
    run_id = BuildUnit.objects.filter(pk=unit_id).values_list("run_id", flat=True).get()
    run = BuildRun.objects.select_for_update(of=("self",)).select_related("org", "hold", "build").get(pk=run_id)
    unit = (
        BuildUnit.objects.select_for_update(of=("self",))
        .select_related(
            "target",
            "target__build",
            "target__build__character",
            "target__source__asset",
            "target__asset",
            "target__result",
        )
        .get(pk=unit_id)
    )
    return run, unit


def _advance(unit_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    with transaction.atomic():
        run, unit = locked(unit_id)
        if unit.status not in ACTIVE or unit.call_id != call.pk:
            return
        guard = engine.OutputGuard(
            lambda message, _type: unit_finish(run, unit, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            if unit.step == rules.STEP_SWAP:
                _swapped(unit, call)
            elif unit.step == rules.STEP_ENHANCE:
                _enhanced(run, unit, call)
            else:
                _captioned(run, unit, call)
        if not guard.failed:
            unit_finish(run, unit, JobStatus.SUCCEEDED)
        run_refresh(run)


def _store(key: str, path) -> str:
    storage.delete(key)
    with open(path, "rb") as fh:
        return storage.storage().save(key, File(fh))


def _swapped(unit: BuildUnit, call: ProviderCall) -> None:
    target = unit.target
    with outputs.output_download(call, outputs.output_image_url(call.output)) as path:
        target.swap_key = _store(scratch_key(target, "swap"), path)
    target.demo = call.provider == "demo"
    target.save(update_fields=["swap_key", "demo", "updated_at"])


def unit_crop(*, unit_id: int) -> None:
    """The crop step, in the worker: the swapped image as a face-aware 1024² square."""
    with transaction.atomic():
        run, unit = locked(unit_id)
        if unit.status not in ACTIVE:
            return
        target = unit.target
        started = time.perf_counter()
        try:
            with storage.storage().open(target.swap_key, "rb") as fh, Image.open(fh) as stored:
                image = stored.convert("RGB")
            box = _swapped_face_box(target, image.size)
            square, rule = photos.square_crop(image, box)
            key = scratch_key(target, "crop")
            storage.delete(key)
            from io import BytesIO

            out = BytesIO()
            square.save(out, "JPEG", quality=94)
            out.seek(0)
            target.crop_key = storage.storage().save(key, File(out, name="crop.jpg"))
            target.crop_rule = rule
            target.save(update_fields=["crop_key", "crop_rule", "updated_at"])
        except Exception as exc:  # an unreadable stage fails this unit only, in words
            log.warning("dataset crop of unit %s failed: %s", unit_id, exc)
            unit_finish(
                run, unit, JobStatus.FAILED, "The swapped photo couldn't be cropped: it wasn't a readable image."
            )
        else:
            unit.duration_ms = round((time.perf_counter() - started) * 1000)
            unit_finish(run, unit, JobStatus.SUCCEEDED)
        run_refresh(run)


def _swapped_face_box(target: TargetPhoto, size: tuple[int, int]) -> list[float] | None:
    """Where the face is in the swapped image: the swap keeps the target's framing, so it is the
    target's face box, scaled if the provider returned another size (no second detection)."""
    if not target.face_box or not target.asset.width or not target.asset.height:
        return None
    sx, sy = size[0] / target.asset.width, size[1] / target.asset.height
    left, top, right, bottom = target.face_box
    return [left * sx, top * sy, right * sx, bottom * sy]


def _enhanced(run: BuildRun, unit: BuildUnit, call: ProviderCall) -> None:
    """The 2× result back to 1024², sharpened (and stamped DEMO), into the library; scored."""
    target = unit.target
    build = target.build
    character = build.character
    with outputs.output_download(call, outputs.output_image_url(call.output)) as path, Image.open(path) as big:
        big.load()
        image = big.convert("RGB")
    image = photos.sharpen(image.resize((rules.OUTPUT_SIDE, rules.OUTPUT_SIDE), Image.Resampling.LANCZOS))
    demo = target.demo or call.provider == "demo"
    # Scored before the label goes on, so the label can't hide the face from the detector.
    faces = identity.analyse(image)
    centre = source_centre(build)
    if faces:
        top, bottom = faces[0].box[1], faces[0].box[3]
        target.face_share = (bottom - top) / image.height
        target.identity = identity.score(identity.distance(faces[0].embedding, centre)) if centre else None
    else:
        target.face_share, target.identity = None, 0 if centre else None
    if demo:
        photos.demo_stamp(image, "face pasted locally · not AI")
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="dataset-") as folder:
        out = Path(folder) / "result.jpg"
        image.save(out, "JPEG", quality=93)
        name = result_filename(target)
        old = target.result
        target.result = asset_create_from_file(
            org=run.org,
            path=out,
            filename=name,
            title=f"{character.name} · dataset {target.number}",
            source=Asset.Source.GENERATED,
            created_by=run.created_by,
            parents=[p for p in (target.asset, target.source.asset if target.source else None) if p is not None],
            metadata={
                "recipe": {
                    "operation": "dataset_build",
                    "build": str(build.public_id),
                    "character": str(character.public_id),
                    "target": target.number,
                    "source": target.source.number if target.source else None,
                    "crop": target.crop_rule,
                    "enhance": f"{rules.ENHANCE_FACTOR}× then {rules.OUTPUT_SIDE}²",
                    "provider": call.provider,
                    "model": "Demo: face pasted and resized locally, not AI" if demo else call.endpoint_id,
                    "seed": target.seed,
                }
            },
        )
    Asset.objects.filter(pk=target.result.pk).update(character=character)
    if old is not None and old.pk != target.result.pk:
        target.review = TargetPhoto.Review.PENDING
    target.demo = demo
    target.bucket = target.bucket or photos.bucket_for(target.face_share)
    target.save(update_fields=["result", "face_share", "identity", "demo", "bucket", "review", "updated_at"])


def result_filename(target: TargetPhoto) -> str:
    """The seed's naming: ``{character}-s{source}-t{target}[-nsfw]-enhanced.jpg``."""
    name = slugify(target.build.character.name) or "character"
    source = target.source.number if target.source else 0
    return f"{name}-s{source}-t{target.number}{'-nsfw' if target.nsfw else ''}-enhanced.jpg"


def source_centre(build) -> list[float] | None:
    embeddings = [
        s.embedding for s in build.sources.all() if s.embedding and not s.problem and s.outlier_distance is None
    ]
    return identity.mean(embeddings) if embeddings else None


def caption_parse(text: str) -> tuple[str, bool]:
    """(caption, nsfw) from the model's answer: the caption, then a line ``NSFW: yes|no``."""
    nsfw = False
    lines = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped.upper().startswith("NSFW:"):
            nsfw = stripped.split(":", 1)[1].strip().lower().startswith("y")
        elif stripped:
            lines.append(stripped)
    return " ".join(lines).strip().strip("\"'“”").strip(), nsfw


def _captioned(run: BuildRun, unit: BuildUnit, call: ProviderCall) -> None:
    target = unit.target
    character = target.build.character
    text, nsfw = caption_parse(str((call.output or {}).get("text") or ""))
    if not text:
        raise ProviderError("The vision model sent back an empty caption.")
    caption = character_captions.caption_with_trigger(text, character.trigger_word)[: character_captions.MAX_CAPTION]
    try:
        text_screen(caption, org=run.org, user=run.created_by, where="caption_writer", subject="Captions")
    except MinorsRefused as exc:
        raise engine.Unusable(
            f"The written caption was refused. {exc.message} Check this photo.", "caption_refused"
        ) from None
    target.caption, target.nsfw = caption, nsfw
    target.save(update_fields=["caption", "nsfw", "updated_at"])
    if nsfw and target.result_id:
        Asset.objects.filter(pk=target.result_id).update(nsfw=True)


# --- Finishing -------------------------------------------------------------------------------------


def unit_finish(run: BuildRun, unit: BuildUnit, status: str, error: str = "") -> None:
    """Record how ``unit`` ended; on success start the target's next unit, otherwise mark the
    target's later units in this run as not run."""
    now = timezone.now()
    unit.status, unit.error, unit.finished_at = status, error, now
    if unit.duration_ms is None and unit.started_at:
        unit.duration_ms = round((now - unit.started_at).total_seconds() * 1000)
    unit.save(update_fields=["status", "error", "finished_at", "duration_ms"])
    later = list(run.units.filter(target_id=unit.target_id, status=JobStatus.QUEUED, position__gt=unit.position))
    if status == JobStatus.SUCCEEDED:
        if later:
            nxt = later[0]
            nxt.target = unit.target
            BuildUnit.objects.filter(pk=nxt.pk).update(started_at=now)
            nxt.started_at = now
            unit_begin(run, nxt)
        return
    reason = f"Not run: the {rules.STEP_LABELS[unit.step].lower()} before it didn't finish."
    BuildUnit.objects.filter(pk__in=[u.pk for u in later]).update(
        status=JobStatus.CANCELLED, error=reason, finished_at=now
    )


def run_refresh(run: BuildRun) -> None:
    """With the run locked: once no unit is active, finish it and settle its hold once — the
    units that succeeded are charged, the rest released."""
    rows = list(run.units.values_list("status", "credits", "error"))
    if any(status in ACTIVE for status, _c, _e in rows):
        if run.status == JobStatus.QUEUED:
            engine.job_running(BuildRun, run.pk)
        return
    if run.settled_at is not None or run.status not in ACTIVE:
        return
    charge = sum(credits for status, credits, _e in rows if status == JobStatus.SUCCEEDED)
    done = sum(1 for status, _c, _e in rows if status == JobStatus.SUCCEEDED)
    failed = [error for status, _c, error in rows if status == JobStatus.FAILED]
    cancelled = sum(1 for status, _c, _e in rows if status == JobStatus.CANCELLED)
    if done == len(rows):
        status, error = JobStatus.SUCCEEDED, ""
    elif done:
        status = JobStatus.SUCCEEDED
        error = f"{done} of {len(rows)} steps done; {len(failed)} failed, {cancelled} not run. Resume to finish them."
    elif failed:
        status, error = JobStatus.FAILED, f"No step finished. {failed[0]}"
    else:
        status, error = JobStatus.CANCELLED, "Cancelled before any step finished."
    run.settled_at = timezone.now()
    engine.job_finish(run, status, error, charge=charge, settled_at=run.settled_at)


def new_seed() -> int:
    return random.randrange(1, 2**31)
