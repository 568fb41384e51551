"""Image → 3D as a job (``MeshJob``): start it (the hold and its TRELLIS call), settle it when the
call ends (the GLB into the library as a child of the image, with its rendered previews, its OBJ
when asked, and its recipe), cancel it (credits back, the call cancelled at the provider) and
retry it (a new job with a new hold).

TRELLIS runs on Replicate (``image_to_3d`` in ``providers.registry``); with no Replicate token the
demo provider answers with a labelled relief of the image (``providers.adapters.demo_mesh``).
A provider that fails, or takes longer than the endpoint's deadline (the gateway's sweeper gives
up), fails the job with the reason, and its credits come back.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import storage
from assets.models import Asset
from assets.services import asset_create_file
from billing.prices import operation_credits
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from orgs.models import Organization
from providers import gateway, outputs, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall
from tools import mesh
from tools.models import MeshJob

OPERATION = "image_to_3d"
# How long a model usually takes, for the page's estimate (TRELLIS on an A100: about a minute).
EXPECTED_SECONDS = 90


class MeshRefused(DomainError):
    """Choices that can't be used, each with its reason: ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)


def mesh_credits() -> int:
    return operation_credits(OPERATION)


def mesh_start(
    *,
    org: Organization,
    user: User | None,
    asset: Asset,
    faces: int = mesh.DEFAULT_FACES,
    fmt: str = "glb",
    key: str = "",
    retry_of: MeshJob | None = None,
) -> MeshJob:
    """Hold the credits and queue TRELLIS on ``asset``. Raises ``MeshRefused`` (per field: ``source``,
    ``faces``, ``format``, ``credits``). ``key`` makes a double click start one job."""
    if existing := engine.job_by_key(MeshJob, org, key):
        return existing
    if asset.org_id != org.pk:
        raise DomainError("That image isn't in this organisation's library.")
    if problem := mesh.source_problem(asset):
        raise MeshRefused({"source": problem})
    if problems := mesh.choice_problems(faces, fmt):
        raise MeshRefused(problems)
    params = {
        "faces": faces,
        "format": fmt,
        "mesh_simplify": mesh.mesh_simplify(faces),
        "seed": uuid.uuid4().int % 2**31,
    }

    def build(job: MeshJob) -> None:
        job.call = gateway.call_create(
            org=org,
            operation=OPERATION,
            input={
                "images": [{"$asset": str(asset.public_id), "variant": "original"}],
                "seed": params["seed"],
                "generate_model": True,
                "generate_color": False,
                "save_gaussian_ply": False,
                "return_no_background": False,
                "mesh_simplify": params["mesh_simplify"],
                "texture_size": 1024,
            },
            handler=CALL_HANDLER,
            subject=job,
        )

    try:
        job = engine.job_start(
            MeshJob,
            org=org,
            user=user,
            key=key,
            credits=mesh_credits(),
            operation=OPERATION,
            hold_description=f"3D model of “{asset.title[:80]}” ({faces:,} faces, {fmt.upper()})",
            build=build,
            params=params,
            source=asset,
            source_title=asset.title[:200],
            retry_of=retry_of,
        )
    except InsufficientCredits as exc:
        raise MeshRefused({"credits": exc.refusal("A 3D model")}) from None
    track("tool_started", org=org, user=user, tool="mesh", job_id=str(job.public_id))
    return job


def progress(job: MeshJob) -> int | None:
    """An estimate (the provider reports none): time running against the usual time, never 100
    before it is done. None while queued."""
    if not job.is_active:
        return 100
    if job.status != JobStatus.RUNNING or not job.started_at:
        return None
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return max(1, min(95, round(100 * elapsed / EXPECTED_SECONDS)))


def seconds_left(job: MeshJob) -> int | None:
    """About how long a running job has left (None when unknown or overdue)."""
    if job.status != JobStatus.RUNNING or not job.started_at:
        return None
    left = EXPECTED_SECONDS - (timezone.now() - job.started_at).total_seconds()
    return round(left) if left > 0 else None


# --- Settling (called by the gateway) -----------------------------------------------------------------


def model_url(output: dict | None) -> str:
    """The GLB's URL in TRELLIS's output (``model_file``; the Replicate adapter nests a model's
    output under ``output``). Raises ``ProviderError`` when there is none."""
    output = output or {}
    if isinstance(output.get("output"), dict):
        output = output["output"]
    url = output.get("model_file")
    if isinstance(url, dict):  # a File object in some client versions
        url = url.get("url")
    if not isinstance(url, str) or not url:
        raise ProviderError("The provider finished but sent no 3D model back.")
    return url


def _deliver(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    with transaction.atomic():
        job = engine.job_lock(MeshJob, job_id, "org", "source", "created_by")
        if job.status not in ACTIVE or job.call_id != call.pk:
            return
        guard = engine.OutputGuard(
            lambda message, _type: engine.job_finish(job, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            if job.source is None:
                raise engine.Unusable("The image was deleted while its 3D model was being made.", "source_deleted")
            try:
                asset = _store(job, call)
            except DomainError as exc:
                raise engine.Unusable(exc.message) from None
        if not guard.failed:
            engine.job_finish(job, JobStatus.SUCCEEDED, result=asset)
            track("tool_succeeded", org=job.org, user=job.created_by, tool="mesh", job_id=str(job.public_id))


def _store(job: MeshJob, call: ProviderCall) -> Asset:
    """The call's GLB into the library: checked, drawn (thumb and preview PNGs), its OBJ when asked."""
    assert job.source is not None
    demo = call.provider == "demo"
    stem = PurePath(job.source_title or "image").stem[:80] or "model"
    with outputs.output_download(call, model_url(call.output)) as path:
        scene = mesh.load(path)
        found = mesh.facts(scene)
        previews = {
            "thumb": mesh.png(mesh.render(scene, 300, demo=demo)),
            "preview": mesh.png(mesh.render(scene, 1024, demo=demo)),
        }
        obj = mesh.obj_zip(scene, stem) if job.params.get("format") == "obj" else None
        key = f"{storage.org_prefix(job.org)}/models/{uuid.uuid4()}.glb"
        with path.open("rb") as fh:
            key = storage.storage().save(key, ContentFile(fh.read()))
    recipe = {
        "operation": OPERATION,
        "faces_asked": job.params.get("faces"),
        "faces": found.faces,
        "vertices": found.vertices,
        "textured": found.textured,
        "format": job.params.get("format"),
        "mesh_simplify": job.params.get("mesh_simplify"),
        "provider": call.provider,
        "model": "Relief of the image, labelled (demo provider, not AI)" if demo else call.endpoint_id,
        "model_label": registry.ENDPOINTS[OPERATION].label,
        "endpoint": call.endpoint_id,
        "source": str(job.source.public_id),
        "cost": job.credits,
        "job": str(job.public_id),
        "seed": job.params.get("seed"),
    }
    asset = asset_create_file(
        org=job.org,
        key=key,
        filename=f"{stem} 3D.glb",
        title=f"{job.source_title} · 3D model",
        mime=mesh.GLB_MIME,
        source=Asset.Source.GENERATED,
        created_by=job.created_by,
        metadata={"recipe": recipe, "mesh": {"faces": found.faces, "size": list(found.size)}},
    )
    variants: dict[str, str] = {}
    stored = asset.bytes
    for name, data in previews.items():
        variants[name] = storage.storage().save(storage.asset_key(job.org, asset, name, "png"), ContentFile(data))
        stored += len(data)
    if obj is not None:
        variants["obj"] = storage.storage().save(storage.asset_key(job.org, asset, "obj", "zip"), ContentFile(obj))
        stored += len(obj)
    cost = engine.delivery_cost(call, job.attempts())
    Asset.objects.filter(pk=asset.pk).update(
        variants=variants,
        stored_bytes=stored,
        nsfw=job.source.nsfw,
        credits_cost=job.credits,
        provider_cost_usd=cost.usd,
        provider_cost_note=cost.note,
    )
    asset.variants, asset.stored_bytes = variants, stored
    asset.parents.add(job.source)
    return asset


CALL_HANDLER = engine.call_job_handler("tools.mesh", MeshJob, succeeded=_deliver, failed="The 3D model failed.")


# --- What people do ------------------------------------------------------------------------------------


@transaction.atomic
def mesh_cancel(*, job: MeshJob, user: User | None) -> None:
    """Stop a queued or running job and return its credits; the call is cancelled at the provider."""
    locked = engine.job_lock(MeshJob, job.pk, "call")
    if locked.status not in ACTIVE:
        raise DomainError("This job has already finished.")
    reason = engine.cancelled_by(user)
    engine.job_finish(locked, JobStatus.CANCELLED, reason)
    if locked.call:
        gateway.call_cancel(locked.call, reason=reason)


def mesh_retry(*, job: MeshJob, user: User | None) -> MeshJob:
    """Make it again, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The image was deleted, so this can't run again.")
    return mesh_start(
        org=job.org,
        user=user,
        asset=job.source,
        faces=job.params.get("faces", mesh.DEFAULT_FACES),
        fmt=job.params.get("format", "glb"),
        retry_of=job,
    )
