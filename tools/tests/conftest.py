"""Tools tests: their own MEDIA_ROOT, the demo provider, credits, and the library items they work on."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.services import asset_create_from_bytes
from tools import audio
from tools.tests import fixtures


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT."""


@pytest.fixture
def photo(org, people):
    return asset_create_from_bytes(org=org, data=fixtures.chart(), filename="chart.jpg", created_by=people.member)


@pytest.fixture
def video(org, people):
    return asset_create_from_bytes(org=org, data=fixtures.clip(), filename="clip.mp4", created_by=people.member)


@pytest.fixture
def recording(org, people):
    upload = SimpleUploadedFile("voice.wav", fixtures.recording("wav"), content_type="audio/wav")
    return audio.audio_upload(org=org, user=people.member, upload=upload)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``run(start, **kwargs)``: start a job and run it (the worker's task, eagerly) after commit."""

    def go(start, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            job = start(**kwargs)
        job.refresh_from_db()
        return job

    return go
