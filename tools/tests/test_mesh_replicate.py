"""Image → 3D against TRELLIS on Replicate, emulated at the HTTP layer behind the real client
library (``tests.replicate_emulator``, checked against the model version's contract): what is sent,
the GLB taken into the library, and a failed prediction refunded."""

import pytest
from PIL import Image

from billing.services import credits_available, ledger_problems
from core.jobs import JobStatus
from providers import gateway, registry
from providers.adapters import demo_mesh
from providers.models import ProviderCall
from tools import mesh, mesh_jobs

pytestmark = pytest.mark.django_db

TRELLIS = registry.ENDPOINTS["image_to_3d"].endpoint_id


def _start(org, people, photo, fund, capture, **choices):
    fund(100)
    with capture(execute=True):
        job = mesh_jobs.mesh_start(org=org, user=people.member, asset=photo, **choices)
    job.refresh_from_db()
    return job, ProviderCall.objects.get(pk=job.call_id)


def _poll_until_done(call, capture, most=5):
    for _ in range(most):
        with capture(execute=True):
            gateway.call_poll(call.pk)
        call.refresh_from_db()
        if call.status in ProviderCall.FINISHED:
            return call
    return call


def test_trellis_gets_the_image_and_the_simplification_and_its_glb_lands_in_the_library(
    replicate_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    glb = demo_mesh.relief_glb(Image.new("RGB", (64, 48), (90, 120, 200)), 3_000)
    url = replicate_emulator.add_file("out/model.glb", glb, "model/gltf-binary")
    replicate_emulator.behave(TRELLIS, output={"model_file": url})

    job, call = _start(org, people, photo, fund, django_capture_on_commit_callbacks, faces=50_000, fmt="obj")

    assert call.provider == "replicate"
    sent = replicate_emulator.last["input"]
    assert sent["mesh_simplify"] == 0.9
    assert sent["generate_model"] is True
    assert len(sent["images"]) == 1
    assert sent["images"][0].startswith("https://")
    _poll_until_done(call, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    model = job.result
    assert model.mime == mesh.GLB_MIME
    assert model.recipe["provider"] == "replicate"
    assert model.recipe["model"] == TRELLIS
    assert abs(model.recipe["faces"] - 3_000) < 150  # what the provider made, recorded as it is
    assert set(model.variants) == {"thumb", "preview", "obj"}
    assert list(model.parents.all()) == [photo]
    assert credits_available(org) == 100 - 25
    assert ledger_problems(org) == []


def test_a_failed_prediction_fails_the_job_in_words_and_returns_the_credits(
    replicate_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    replicate_emulator.behave(TRELLIS, statuses=("starting", "failed"), error="CUDA out of memory")

    job, call = _start(org, people, photo, fund, django_capture_on_commit_callbacks)
    _poll_until_done(call, django_capture_on_commit_callbacks)
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert "CUDA out of memory" in job.error
    assert job.result is None
    assert credits_available(org) == 100
    assert ledger_problems(org) == []
