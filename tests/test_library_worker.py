"""The library on a real Celery worker and the real (embedded) Redis: a drop of 30 camera-sized
photos goes through the uploader's sequence of requests and the worker turns each into an asset;
a crash inside one task fails only that file, and a redelivered task adds nothing twice."""

import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

from assets.models import Asset, Upload
from assets.tasks import process_upload
from assets.tests import media_samples as samples
from assets.tests.factories import asset_files, jpeg_bytes, stored_files
from config.celery import app
from tests.in_process_worker import in_process_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHOTOS = 30
QUEUE = f"test-library-{uuid.uuid4().hex[:12]}"


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def live_worker(django_db_blocker, media_root):
    """A worker consuming a queue of its own. The broker can be a Redis that a development worker
    (``make run``) also consumes; on the shared queue that worker would take our tasks."""
    app.conf.task_always_eager = False
    queues = app.amqp.queues
    consume_from = queues._consume_from
    try:
        with (
            mock.patch("assets.tasks.process_upload") as routed,
            django_db_blocker.unblock(),
            in_process_worker(app, queues=[QUEUE], shutdown_timeout=30),
        ):
            routed.delay.side_effect = _enqueue
            yield
    finally:
        queues._consume_from = consume_from
        app.conf.task_always_eager = True


def _enqueue(upload_id: int) -> None:
    process_upload.apply_async((upload_id,), queue=QUEUE)


@pytest.fixture
def owner(client, people):
    client.force_login(people.owner)
    return client


def _send(client, org, name: str, data: bytes) -> dict:
    """Start, PUT and complete one upload, as the browser does; the worker takes it from there."""
    started = client.post(
        reverse("assets:upload_start", args=[org.slug]),
        {"filename": name, "size": len(data), "content_type": "image/jpeg"},
    ).json()
    assert client.put(started["target"]["url"], data, content_type="application/octet-stream").status_code == 200
    assert client.post(started["complete_url"]).json()["status"] in ("received", "processing", "done")
    return started


def _finished(client, started: list[dict]) -> bool:
    return all(client.get(s["status_url"]).json()["done"] for s in started)


@pytest.fixture(scope="module")
def camera_photos(tmp_path_factory) -> list[bytes]:
    """30 different 4000x3000 JPEGs (~2.5 MB each), like a phone's."""
    folder = tmp_path_factory.mktemp("photos")
    return [samples.jpeg(folder / f"{i}.jpg", (4000, 3000), seed=200 + i).read_bytes() for i in range(PHOTOS)]


def test_a_drop_of_30_photos_is_processed_by_the_worker(live_worker, owner, org, media_root, camera_photos):
    begun = time.monotonic()
    started = [_send(owner, org, f"IMG_{i:04}.jpg", data) for i, data in enumerate(camera_photos)]

    assert wait_for(lambda: _finished(owner, started), timeout=180)

    elapsed = time.monotonic() - begun
    statuses = [owner.get(s["status_url"]).json() for s in started]
    assert [s["status"] for s in statuses] == ["done"] * PHOTOS, [s["error"] for s in statuses]
    assets = list(Asset.objects.for_org(org))
    assert len(assets) == PHOTOS
    for asset in assets:
        assert set(asset.variants) == {"preview", "thumb"}
        assert (asset.width, asset.height) == (4000, 3000)
    # Exactly the assets' files: every upload in flight was cleaned away.
    assert stored_files(media_root) == set().union(*(asset_files(a) for a in assets))
    print(f"\n{PHOTOS} × 12 MP photos uploaded and processed by one worker in {elapsed:.1f} s")


def test_a_crash_inside_one_task_fails_only_that_file(live_worker, owner, org, media_root):
    from assets import media

    real = media.process_image

    def crash_on_the_first(path, sniffed):
        if not crashed:
            crashed.append(path)
            raise MemoryError("the worker ran out of memory")
        return real(path, sniffed)

    crashed = []
    with mock.patch("assets.services.pipeline.media.process_image", side_effect=crash_on_the_first):
        first = _send(owner, org, "first.jpg", jpeg_bytes((800, 600), seed=300))
        assert wait_for(lambda: _finished(owner, [first]))
        second = _send(owner, org, "second.jpg", jpeg_bytes((800, 600), seed=301))
        assert wait_for(lambda: _finished(owner, [second]))

    failed, done = (owner.get(s["status_url"]).json() for s in (first, second))
    assert failed["status"] == "failed"
    assert failed["error"] == "Something went wrong while processing this file. Try again."
    assert done["status"] == "done"
    [asset] = Asset.objects.all()
    assert asset.title == "second"
    assert stored_files(media_root) == asset_files(asset)


def test_a_redelivered_task_adds_the_file_once(live_worker, owner, org, media_root):
    started = _send(owner, org, "beach.jpg", jpeg_bytes((800, 600), seed=302))
    upload = Upload.objects.get(public_id=started["id"])

    _enqueue(upload.pk)  # the same message again, as after a lost acknowledgement
    _enqueue(upload.pk)

    assert wait_for(lambda: _finished(owner, [started]))
    time.sleep(1)  # the extra deliveries have been consumed by now
    assert Asset.objects.count() == 1
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.DONE
