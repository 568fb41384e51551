"""Every resource by API key: what each scope allows, another org's ids (404), bad input."""

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from assets.models import Asset, Collection, CollectionItem, Upload
from assets.tests.factories import AssetFactory, CollectionFactory, jpeg_bytes
from billing.services import credits_available
from characters.models import Character, TrainingRun
from characters.tests.factories import CharacterFactory, TrainingRunFactory
from generation.models import EditJob
from video.models import VideoJob

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def key(api_key, people):
    """Every scope, as the org's member."""
    return api_key(people.member)


@pytest.fixture
def outsider(api_key, people):
    """Every scope, in the other organisation."""
    return api_key(people.outsider)


# --- Assets --------------------------------------------------------------------------------------


def test_list_filter_search_and_page_the_library(client, org, key):
    beach = AssetFactory(org=org, filename="beach sunset.jpg")
    AssetFactory(org=org, filename="city night.jpg")
    AssetFactory(org=org, filename="forest.jpg")
    page = client.get("/api/v1/assets/?limit=2", headers=key).json()
    assert len(page["items"]) == 2
    rest = client.get(f"/api/v1/assets/?limit=2&cursor={page['next_cursor']}", headers=key).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] == ""
    found = client.get("/api/v1/assets/?q=beach", headers=key).json()["items"]
    assert [a["id"] for a in found] == [str(beach.public_id)]
    assert found[0]["thumbnail_url"].startswith(settings.SITE_URL + "/media/a/")
    assert client.get("/api/v1/assets/?kind=video", headers=key).json()["items"] == []
    assert client.get("/api/v1/assets/?tag=nothing", headers=key).json()["items"] == []
    bad = client.get("/api/v1/assets/?limit=500", headers=key)
    assert bad.status_code == 422
    assert bad.json() == {"code": "invalid", "detail": bad.json()["detail"], "field": "limit"}


def test_get_tag_collect_and_delete_an_asset(client, org, key):
    asset = AssetFactory(org=org, filename="beach.jpg")
    board = CollectionFactory(org=org, name="Summer")
    url = f"/api/v1/assets/{asset.public_id}"
    body = {"title": "Beach day", "tags": ["beach", "#summer"], "add_to_collections": [str(board.public_id)]}
    updated = client.patch(url, body, content_type=JSON, headers=key).json()
    assert updated["title"] == "Beach day"
    assert updated["tags"] == ["beach", "summer"]
    assert updated["collections"] == [str(board.public_id)]
    listed = client.get(f"/api/v1/assets/?collection={board.public_id}", headers=key).json()["items"]
    assert [a["id"] for a in listed] == [str(asset.public_id)]
    shown = client.get(url, headers=key).json()
    # The URL works for the API's client, which has no session; a forged one doesn't.
    original = shown["original_url"].removeprefix(settings.SITE_URL)
    assert original.startswith("/media/a/")
    fetched = client.get(original)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content if fetched.streaming else [fetched.content])[:2] == b"\xff\xd8"
    assert client.get(original[:-6] + "AAAAA/").status_code == 404
    assert shown["mime"] == "image/jpeg"
    removed = client.patch(url, {"remove_from_collections": [str(board.public_id)]}, content_type=JSON, headers=key)
    assert removed.json()["collections"] == []
    assert client.delete(url, headers=key).status_code == 204
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert client.get(url, headers=key).status_code == 404


def test_another_orgs_collection_changes_nothing(client, org, people, key):
    asset = AssetFactory(org=org)
    theirs = CollectionFactory(org=people.other_org)
    body = {"title": "Renamed", "add_to_collections": [str(theirs.public_id)]}
    response = client.patch(f"/api/v1/assets/{asset.public_id}", body, content_type=JSON, headers=key)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    asset.refresh_from_db()
    assert asset.title != "Renamed"
    assert not CollectionItem.objects.exists()


def test_another_orgs_ids_are_404_everywhere(client, org, people, outsider, fund):
    fund(200)
    asset = AssetFactory(org=org)
    board = CollectionFactory(org=org)
    character = CharacterFactory(org=org)
    TrainingRunFactory(character=character)
    from generation.services import upscale_start
    from video.services import VideoRequest, video_start

    edit = upscale_start(org=org, user=people.member, asset=asset, factor=2)
    clip = video_start(org=org, user=people.member, asset=asset, request=VideoRequest(prompt="a slow pan"))
    for method, url in [
        ("get", f"/api/v1/assets/{asset.public_id}"),
        ("patch", f"/api/v1/assets/{asset.public_id}"),
        ("delete", f"/api/v1/assets/{asset.public_id}"),
        ("get", f"/api/v1/collections/{board.public_id}"),
        ("delete", f"/api/v1/collections/{board.public_id}"),
        ("get", f"/api/v1/characters/{character.public_id}"),
        ("patch", f"/api/v1/characters/{character.public_id}"),
        ("get", f"/api/v1/characters/{character.public_id}/training"),
        ("post", f"/api/v1/characters/{character.public_id}/training/cancel"),
        ("get", f"/api/v1/jobs/{edit.public_id}"),
        ("post", f"/api/v1/jobs/{edit.public_id}/cancel"),
        ("get", f"/api/v1/videos/{clip.public_id}"),
        ("post", f"/api/v1/videos/{clip.public_id}/cancel"),
    ]:
        response = getattr(client, method)(url, {}, content_type=JSON, headers=outsider)
        assert response.status_code == 404, (method, url)
    post = lambda url, body: client.post(url, body, content_type=JSON, headers=outsider)  # noqa: E731
    assert post("/api/v1/edits/upscale", {"asset": str(asset.public_id)}).status_code == 404
    assert post("/api/v1/videos/", {"asset": str(asset.public_id), "prompt": "pan"}).status_code == 404
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert Collection.objects.filter(pk=board.pk).exists()
    assert EditJob.objects.get().status == "queued"
    assert VideoJob.objects.get().status in ("queued", "running")


@pytest.mark.parametrize(
    ("method", "url", "scope"),
    [
        ("post", "/api/v1/collections/", "assets:write"),
        ("post", "/api/v1/uploads/", "assets:write"),
        ("post", "/api/v1/generations/", "generate"),
        ("post", "/api/v1/videos/", "generate"),
        ("post", "/api/v1/edits/upscale", "generate"),
        ("post", "/api/v1/characters/", "characters:write"),
        ("get", "/api/v1/credits/", "billing:read"),
        ("get", "/api/v1/credits/history", "billing:read"),
    ],
)
def test_a_read_only_key_can_only_read(client, people, api_key, method, url, scope):
    read_only = api_key(people.owner, scopes=["read"])
    response = getattr(client, method)(url, {}, content_type=JSON, headers=read_only)
    assert response.status_code == 403
    assert scope in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assets/",
        "/api/v1/collections/",
        "/api/v1/characters/",
        "/api/v1/uploads/00000000-0000-0000-0000-000000000000",
    ],
)
def test_reading_needs_the_read_scope(client, people, api_key, url):
    response = client.get(url, headers=api_key(people.owner, scopes=["generate"]))
    assert response.status_code == 403
    assert "read" in response.json()["detail"]


# --- Uploads ---------------------------------------------------------------------------------------


def test_multipart_upload_becomes_an_asset_and_a_second_copy_is_a_duplicate(
    client, org, key, django_capture_on_commit_callbacks
):
    data = jpeg_bytes((120, 90), seed=7)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/assets/", {"file": SimpleUploadedFile("pier.jpg", data, "image/jpeg")}, headers=key
        )
    assert response.status_code == 202
    upload_id = response.json()["id"]
    status = client.get(f"/api/v1/uploads/{upload_id}", headers=key).json()
    assert status["status"] == "done"
    asset = Asset.objects.get(public_id=status["asset"])
    assert (asset.org, asset.width, asset.height) == (org, 120, 90)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            "/api/v1/assets/", {"file": SimpleUploadedFile("pier2.jpg", data, "image/jpeg")}, headers=key
        )
    second = client.get(f"/api/v1/uploads/{again.json()['id']}", headers=key).json()
    assert (second["status"], second["asset"]) == ("duplicate", status["asset"])
    assert Asset.objects.count() == 1


def test_a_file_type_we_dont_take_is_refused_and_nothing_is_kept(client, key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/assets/", {"file": SimpleUploadedFile("notes.txt", b"hello", "text/plain")}, headers=key
    )
    assert response.status_code == 400
    assert "isn't a type we accept" in response.json()["detail"]
    assert not Upload.objects.exists()


def test_direct_upload_start_put_complete(client, org, key, django_capture_on_commit_callbacks):
    data = jpeg_bytes((100, 80), seed=3)
    started = client.post(
        "/api/v1/uploads/",
        {"filename": "cafe.jpg", "size": len(data), "content_type": "image/jpeg"},
        content_type=JSON,
        headers=key,
    )
    assert started.status_code == 201
    target = started.json()["target"]
    upload_id = started.json()["upload"]["id"]
    assert target["method"] == "PUT"
    assert target["url"] == f"/api/v1/uploads/{upload_id}/data"
    short = client.put(target["url"], data[:-10], content_type="application/octet-stream", headers=key)
    assert short.status_code == 400
    assert client.put(target["url"], data, content_type="application/octet-stream", headers=key).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=key)
    assert done.status_code == 200
    status = client.get(f"/api/v1/uploads/{upload_id}", headers=key).json()
    assert status["status"] == "done"
    assert Asset.objects.get(public_id=status["asset"]).org == org


# --- Collections -------------------------------------------------------------------------------------


def test_collections_make_list_get_and_delete(client, org, key):
    made = client.post("/api/v1/collections/", {"name": "Moodboard"}, content_type=JSON, headers=key)
    assert made.status_code == 201
    board = made.json()
    clash = client.post("/api/v1/collections/", {"name": "moodboard"}, content_type=JSON, headers=key)
    assert clash.status_code == 400
    assert clash.json()["field"] == "name"
    assert [c["name"] for c in client.get("/api/v1/collections/", headers=key).json()] == ["Moodboard"]
    assert client.get(f"/api/v1/collections/{board['id']}", headers=key).json()["assets"] == 0
    assert client.delete(f"/api/v1/collections/{board['id']}", headers=key).status_code == 204
    assert not Collection.objects.exists()


# --- Characters ----------------------------------------------------------------------------------------


def test_characters_list_create_edit_and_refusals(client, org, key):
    CharacterFactory(org=org, name="Ava Stone")
    made = client.post("/api/v1/characters/", {"name": "Maya Lind", "age": 31}, content_type=JSON, headers=key)
    assert made.status_code == 201
    maya = made.json()
    assert (maya["origin"], maya["face_model"]) == ("photos", "none")
    names = [c["name"] for c in client.get("/api/v1/characters/", headers=key).json()]
    assert names == ["Ava Stone", "Maya Lind"]
    edited = client.patch(f"/api/v1/characters/{maya['id']}", {"hair_colour": "red"}, content_type=JSON, headers=key)
    assert edited.json()["hair_colour"] == "red"
    assert edited.json()["age"] == 31
    young = client.patch(f"/api/v1/characters/{maya['id']}", {"age": 16}, content_type=JSON, headers=key)
    assert young.status_code == 400
    assert young.json()["field"] == "age"
    assert Character.objects.get(public_id=maya["id"]).age == 31


def test_training_status_has_an_eta_from_recent_runs(client, org, key):
    character = CharacterFactory(org=org)
    never = client.get(f"/api/v1/characters/{character.public_id}/training", headers=key)
    assert never.status_code == 404
    now = timezone.now()
    done = TrainingRunFactory(character=CharacterFactory(org=org), status="succeeded")
    TrainingRun.objects.filter(pk=done.pk).update(
        started_at=now - timezone.timedelta(minutes=30), finished_at=now - timezone.timedelta(minutes=20)
    )
    run = TrainingRunFactory(character=character, status="running")
    TrainingRun.objects.filter(pk=run.pk).update(started_at=now - timezone.timedelta(minutes=4))
    status = client.get(f"/api/v1/characters/{character.public_id}/training", headers=key).json()
    assert status["status"] == "running"
    assert 5 * 60 <= status["estimated_seconds_left"] <= 6 * 60 + 5  # 10 min typical, 4 done
    assert "median of the last 1 successful training run" in status["estimate_basis"]


# --- Edits, video, credits ------------------------------------------------------------------------------


def test_upscale_status_and_an_idempotent_replay(client, org, key, fund, django_capture_on_commit_callbacks):
    fund(100)
    asset = AssetFactory(org=org, size=(160, 120))
    headers = {**key, "Idempotency-Key": "upscale-1"}
    body = {"asset": str(asset.public_id), "factor": 2}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/edits/upscale", body, content_type=JSON, headers=headers)
    assert first.status_code == 201
    replay = client.post("/api/v1/edits/upscale", body, content_type=JSON, headers=headers)
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert EditJob.objects.count() == 1
    status = client.get(f"/api/v1/jobs/{first.json()['id']}", headers=key).json()
    assert status["status"] == "succeeded"
    assert status["result"]["width"] == 320


def test_video_make_refuse_and_cancel(client, org, key, fund):
    fund(200)
    asset = AssetFactory(org=org)
    no_motion = client.post("/api/v1/videos/", {"asset": str(asset.public_id)}, content_type=JSON, headers=key)
    assert no_motion.status_code == 400
    assert no_motion.json()["field"] == "prompt"
    made = client.post(
        "/api/v1/videos/", {"asset": str(asset.public_id), "prompt": "a slow pan"}, content_type=JSON, headers=key
    )
    assert made.status_code == 201
    clip = made.json()
    assert clip["credits"] > 0
    assert credits_available(org) == 200 - clip["credits"]
    assert client.get(f"/api/v1/videos/{clip['id']}", headers=key).json()["source"] == str(asset.public_id)
    cancelled = client.post(f"/api/v1/videos/{clip['id']}/cancel", headers=key)
    assert cancelled.json()["status"] == "cancelled"
    assert credits_available(org) == 200


def test_too_few_credits_is_402(client, org, key):
    asset = AssetFactory(org=org)
    response = client.post(
        "/api/v1/videos/", {"asset": str(asset.public_id), "prompt": "a slow pan"}, content_type=JSON, headers=key
    )
    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_credits"
    assert not VideoJob.objects.exists()


def test_credits_balance_and_history(client, org, key, fund):
    fund(150)
    fund(50)
    assert client.get("/api/v1/credits/", headers=key).json() == {"balance": 200, "held": 0, "available": 200}
    page = client.get("/api/v1/credits/history?limit=1", headers=key).json()
    assert [e["amount"] for e in page["items"]] == [50]
    older = client.get(f"/api/v1/credits/history?before={page['next_before']}", headers=key).json()
    assert [e["amount"] for e in older["items"]] == [150]
    assert older["next_before"] is None


def test_a_media_url_expires_like_the_apps_own(client, org, key, settings):
    asset = AssetFactory(org=org, filename="beach.jpg")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        url = client.get(f"/api/v1/assets/{asset.public_id}", headers=key).json()["preview_url"]
        path = url.removeprefix(settings.SITE_URL)
        assert client.get(path).status_code == 200
        clock.shift(settings.MEDIA_URL_EXPIRY + 1)
        expired = client.get(path)
    assert expired.status_code == 404
