"""The demo workspace's 3D model: made once, on the demo provider, from the first usable image."""

import pytest

from assets.services import asset_create_from_bytes
from core.jobs import JobStatus
from seeds import mesh as mesh_seed
from tools.models import MeshJob
from tools.tests import fixtures

pytestmark = pytest.mark.django_db


def test_it_makes_one_labelled_model_and_running_it_again_adds_nothing(
    org, people, fund, media_root, settings, django_capture_on_commit_callbacks
):
    settings.REPLICATE_API_TOKEN = "r8_would_be_paid"  # the seed stays on the demo provider anyway
    fund(100)
    asset_create_from_bytes(org=org, data=fixtures.chart(mode="RGBA", fmt="PNG"), filename="cutout.png")
    photo = asset_create_from_bytes(org=org, data=fixtures.chart(), filename="chart.jpg")

    with django_capture_on_commit_callbacks(execute=True):  # as in seed_demo, outside any transaction
        mesh_seed.seed(org, people.owner)
    with django_capture_on_commit_callbacks(execute=True):
        mesh_seed.seed(org, people.owner)

    job = MeshJob.objects.get()
    assert job.source == photo  # the image with transparency is passed over
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.recipe["provider"] == "demo"


def test_without_an_image_or_credits_it_does_nothing(org, people, fund, media_root):
    mesh_seed.seed(org, people.owner)
    asset_create_from_bytes(org=org, data=fixtures.chart(), filename="chart.jpg")
    mesh_seed.seed(org, people.owner)  # no credits
    assert not MeshJob.objects.exists()


def test_seeding_leaves_celery_reading_the_eager_setting_from_django(settings):
    from celery import current_app

    from seeds.workspace import demo_provider_inline

    with demo_provider_inline():
        assert current_app.conf.task_always_eager is True
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a later test's choice must still reach Celery
    assert current_app.conf.task_always_eager is False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert current_app.conf.task_always_eager is True
