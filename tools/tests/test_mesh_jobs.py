"""Image → 3D as a job: the hold and its settling, refunds on failure, timeout and cancel, retries,
bad input (transparency, CMYK, a video), and the GLB in the library (valid, near the faces asked,
labelled DEMO by the demo provider, drawn for the grid, OBJ when asked)."""

import io
import zipfile
from datetime import timedelta

import pytest
import trimesh
from django.utils import timezone
from PIL import Image

from assets import storage
from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from providers import gateway
from providers.adapters.base import Status
from providers.models import ProviderCall
from tools import mesh, mesh_jobs
from tools.models import MeshJob
from tools.tests import fixtures

pytestmark = pytest.mark.django_db

PRICE = 25


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.REPLICATE_API_TOKEN = ""


def _scene(asset: Asset):
    with storage.storage().open(asset.original_key, "rb") as fh:
        return trimesh.load(io.BytesIO(fh.read()), file_type="glb", force="scene")


def test_a_model_is_made_from_an_image_and_lands_in_the_library_as_its_child(org, people, photo, fund, run):
    fund(100)
    job = run(mesh_jobs.mesh_start, org=org, user=people.member, asset=photo, faces=10_000, fmt="glb")

    assert job.status == JobStatus.SUCCEEDED, job.error
    model = job.result
    assert model.mime == "model/gltf-binary"
    assert model.kind == Asset.Kind.FILE
    assert list(model.parents.all()) == [photo]
    scene = _scene(model)
    faces = sum(len(g.faces) for g in scene.geometry.values())
    assert abs(faces - 10_000) / 10_000 < 0.05  # near the target
    assert scene.metadata["personae_demo"]["demo"] is True
    assert "DEMO" in next(iter(scene.geometry))
    recipe = model.recipe
    assert recipe["faces"] == faces
    assert recipe["faces_asked"] == 10_000
    assert recipe["mesh_simplify"] == 0.98
    assert recipe["provider"] == "demo"
    assert "not AI" in recipe["model"]
    assert recipe["job"] == str(job.public_id)
    assert model.credits_cost == PRICE
    # The grid's thumbnail and the page's preview: PNGs of the model, not blank.
    for name, side in (("thumb", 300), ("preview", 1024)):
        with storage.storage().open(model.variants[name], "rb") as fh:
            drawn = Image.open(fh)
            drawn.load()
        assert drawn.size == (side, side)
        assert len(drawn.convert("RGB").resize((64, 64)).getcolors(4096) or []) > 20
    assert "obj" not in model.variants
    hold = Hold.objects.get(pk=job.hold_id)
    assert hold.status == Hold.Status.CAPTURED
    assert credits_available(org) == 100 - PRICE
    assert ledger_problems(org) == []


def test_obj_is_a_zip_of_the_mesh_its_material_and_texture(org, people, photo, fund, run):
    fund(100)
    job = run(mesh_jobs.mesh_start, org=org, user=people.member, asset=photo, faces=25_000, fmt="obj")

    assert job.status == JobStatus.SUCCEEDED, job.error
    with storage.storage().open(job.result.variants["obj"], "rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    names = archive.namelist()
    assert "chart.obj" in names
    assert "chart.mtl" in names
    assert any(n.endswith(".png") for n in names)
    obj = trimesh.load(io.BytesIO(archive.read("chart.obj")), file_type="obj", force="mesh")
    assert abs(len(obj.faces) - 25_000) / 25_000 < 0.05


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (fixtures.chart(mode="RGBA", fmt="PNG"), "cutout.png", "has transparency (an alpha channel)"),
        (fixtures.chart(mode="CMYK", fmt="JPEG"), "print.jpg", "is in CMYK (print colours)"),
    ],
)
def test_images_with_alpha_or_in_cmyk_are_refused_with_what_to_do(org, people, fund, data, filename, words):
    fund(100)
    image = asset_create_from_bytes(org=org, data=data, filename=filename)

    with pytest.raises(mesh_jobs.MeshRefused) as refused:
        mesh_jobs.mesh_start(org=org, user=people.member, asset=image)

    assert words in refused.value.errors["source"]
    assert "upload it and start again" in refused.value.errors["source"]
    assert not MeshJob.objects.exists()
    assert credits_available(org) == 100


def test_a_video_bad_choices_and_short_credits_are_refused(org, people, photo, video, fund):
    with pytest.raises(mesh_jobs.MeshRefused) as not_image:
        mesh_jobs.mesh_start(org=org, user=people.member, asset=video)
    assert not_image.value.errors == {"source": "3D models are made from images, and this is a video."}

    with pytest.raises(mesh_jobs.MeshRefused) as choices:
        mesh_jobs.mesh_start(org=org, user=people.member, asset=photo, faces=12_345, fmt="fbx")
    assert choices.value.errors == {"faces": "Choose 10,000, 25,000 or 50,000 faces.", "format": "Choose GLB or OBJ."}

    fund(10)
    with pytest.raises(mesh_jobs.MeshRefused) as short:
        mesh_jobs.mesh_start(org=org, user=people.member, asset=photo)
    assert short.value.errors["credits"] == "A 3D model needs 25 credits and you have 10 available."
    assert not MeshJob.objects.exists()


def test_an_image_of_another_org_is_refused(org, people, fund):
    from tests.factories import OrganizationFactory

    other = OrganizationFactory(slug="elsewhere")
    theirs = asset_create_from_bytes(org=other, data=fixtures.chart(), filename="theirs.jpg")
    fund(100)
    with pytest.raises(DomainError, match="isn't in this organisation's library"):
        mesh_jobs.mesh_start(org=org, user=people.member, asset=theirs)


def _queued(org, people, photo, fund, settings, django_capture_on_commit_callbacks):
    """A job whose call went to the (demo) provider but hasn't finished."""
    fund(100)
    settings.DEMO_PROVIDER_LATENCY = 0
    from unittest import mock

    with mock.patch("providers.tasks.demo_run.apply_async"), django_capture_on_commit_callbacks(execute=True):
        job = mesh_jobs.mesh_start(org=org, user=people.member, asset=photo)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert credits_available(org) == 100 - PRICE
    return job


def test_a_provider_failure_fails_the_job_and_returns_the_credits(
    org, people, photo, fund, settings, django_capture_on_commit_callbacks
):
    job = _queued(org, people, photo, fund, settings, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_apply_status(job.call_id, Status("failed", error="CUDA out of memory"))
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert job.error == "CUDA out of memory"
    assert Hold.objects.get(pk=job.hold_id).status == Hold.Status.RELEASED
    assert credits_available(org) == 100
    assert ledger_problems(org) == []


def test_a_provider_that_takes_too_long_times_out_and_the_credits_come_back(
    org, people, photo, fund, settings, django_capture_on_commit_callbacks
):
    job = _queued(org, people, photo, fund, settings, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.calls_sweep(now=timezone.now() + timedelta(minutes=31))
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert job.error == "The provider took longer than 30 minutes, so we stopped waiting."
    assert credits_available(org) == 100
    assert ledger_problems(org) == []


def test_cancel_returns_the_credits_cancels_the_call_and_a_retry_holds_again(
    org, people, photo, fund, settings, django_capture_on_commit_callbacks, run
):
    job = _queued(org, people, photo, fund, settings, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mesh_jobs.mesh_cancel(job=job, user=people.member)
    job.refresh_from_db()

    assert job.status == JobStatus.CANCELLED
    assert ProviderCall.objects.get(pk=job.call_id).status == ProviderCall.Status.CANCELLED
    assert credits_available(org) == 100
    with pytest.raises(DomainError, match="already finished"):
        mesh_jobs.mesh_cancel(job=job, user=people.member)

    again = run(mesh_jobs.mesh_retry, job=job, user=people.member)
    assert again.retry_of == job
    assert again.status == JobStatus.SUCCEEDED, again.error
    assert again.params["faces"] == job.params["faces"]
    assert credits_available(org) == 100 - PRICE
    assert ledger_problems(org) == []
    with pytest.raises(DomainError, match="Only failed or cancelled"):
        mesh_jobs.mesh_retry(job=again, user=people.member)


def test_a_result_that_is_not_a_glb_fails_the_job_with_words_and_refunds(
    org, people, photo, fund, settings, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    job = _queued(org, people, photo, fund, settings, django_capture_on_commit_callbacks)
    key = default_storage.save("demo/not-a-model.glb", ContentFile(b"<html>nope</html>"))
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_apply_status(job.call_id, Status("succeeded", output={"model_file": f"storage:{key}"}))
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert job.error == "The provider's result wasn't a GLB 3D model, so nothing was saved."
    assert credits_available(org) == 100
    assert not Asset.objects.filter(mime=mesh.GLB_MIME).exists()


def test_progress_is_estimated_while_it_runs_and_the_job_centre_lists_it(org, people, photo, fund, settings):
    from jobs.engine import job_models

    assert MeshJob in job_models()
    assert MeshJob.can_cancel()
    assert MeshJob.can_retry()
    job = MeshJob(org=org, status=JobStatus.QUEUED, params={"faces": 25_000})
    assert job.progress_percent() is None
    job.status, job.started_at = JobStatus.RUNNING, timezone.now() - timedelta(seconds=45)
    assert 45 <= job.progress_percent() <= 55
    assert 40 <= mesh_jobs.seconds_left(job) <= 46
    job.started_at = timezone.now() - timedelta(minutes=10)
    assert job.progress_percent() == 95  # never 100 before it is done
    assert mesh_jobs.seconds_left(job) is None
    assert job.label == "3D model · 25,000 faces"


def test_the_renderer_draws_a_plain_mesh_and_broken_or_empty_models_are_refused(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=2)
    path = tmp_path / "sphere.glb"
    path.write_bytes(trimesh.Scene(sphere).export(file_type="glb"))
    scene = mesh.load(path)
    drawn = mesh.render(scene, 120)
    centre, corner = drawn.getpixel((60, 60)), drawn.getpixel((2, 2))
    assert corner == mesh.BACKGROUND
    assert centre != mesh.BACKGROUND
    assert mesh.facts(scene).faces == len(sphere.faces)

    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00" + bytes(12))
    with pytest.raises(DomainError, match="couldn't be read"):
        mesh.load(broken)
    points = tmp_path / "points.glb"
    points.write_bytes(trimesh.Scene(trimesh.PointCloud(sphere.vertices)).export(file_type="glb"))
    with pytest.raises(DomainError, match="no surface"):
        mesh.load(points)
