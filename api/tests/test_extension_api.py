"""What the browser extension calls: import from URL (with its bad inputs), import status, style
extraction, the key's badge and disconnect. Media comes from a loopback fixture host only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiKey, Scope
from assets.models import Asset, CollectionItem, MediaImport
from assets.tests.factories import AssetFactory, CollectionFactory, jpeg_bytes
from assets.tests.fixture_host import FixtureHost, Reply
from styles.models import StyleRecipe

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def host(settings):
    with FixtureHost() as fixture:
        settings.MEDIA_IMPORT_FIXTURE_HOSTS = [fixture.netloc]
        yield fixture


@pytest.fixture
def key(api_key, people):
    return api_key(people.member)


def save(client, key, body, capture, **headers):
    with capture(execute=True):
        return client.post("/api/v1/assets/import", body, content_type=JSON, headers={**key, **headers})


def test_an_image_is_imported_with_its_source_and_filed_in_a_collection(
    client, org, key, host, django_capture_on_commit_callbacks
):
    host.routes["/originals/ab/cat.jpg"] = Reply(body=jpeg_bytes((160, 120), seed=4))
    board = CollectionFactory(org=org, name="Moodboard")
    body = {
        "media_url": host.url("/originals/ab/cat.jpg"),
        "page_url": "https://www.pinterest.com/pin/123/",
        "author": "Ana  Lima",
        "caption": "Golden hour\nby the sea",
        "site": "pinterest",
        "collection": str(board.public_id),
    }
    response = save(client, key, body, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    status = client.get(f"/api/v1/assets/import/{response.json()['id']}", headers=key).json()
    assert status["status"] == "done", status
    asset = Asset.objects.get(public_id=status["asset"])
    assert status["asset_url"] == f"/o/{org.slug}/library/{asset.public_id}/"
    assert (asset.org, asset.source, asset.width, asset.title) == (org, "extension", 160, "Golden hour")
    assert asset.metadata["import"]["page_url"] == "https://www.pinterest.com/pin/123/"
    assert asset.metadata["import"]["media_url"] == body["media_url"]
    assert asset.metadata["import"]["author"] == "Ana Lima"
    assert asset.metadata["import"]["caption"] == "Golden hour\nby the sea"
    assert asset.variants.get("thumb")
    assert CollectionItem.objects.filter(collection=board, asset=asset).exists()


def test_the_same_bytes_twice_are_linked_not_stored_twice(client, org, key, host, django_capture_on_commit_callbacks):
    data = jpeg_bytes((120, 90), seed=9)
    host.routes["/a.jpg"] = Reply(body=data)
    host.routes["/b.jpg"] = Reply(body=data)
    first = save(client, key, {"media_url": host.url("/a.jpg")}, django_capture_on_commit_callbacks).json()
    second = save(client, key, {"media_url": host.url("/b.jpg")}, django_capture_on_commit_callbacks).json()
    one = client.get(f"/api/v1/assets/import/{first['id']}", headers=key).json()
    two = client.get(f"/api/v1/assets/import/{second['id']}", headers=key).json()
    assert (one["status"], two["status"]) == ("done", "duplicate")
    assert one["asset"] == two["asset"]
    assert Asset.objects.count() == 1


def test_an_idempotency_key_replays_the_first_import(client, key, host, django_capture_on_commit_callbacks):
    host.routes["/a.jpg"] = Reply(body=jpeg_bytes(seed=2))
    body = {"media_url": host.url("/a.jpg")}
    first = save(client, key, body, django_capture_on_commit_callbacks, **{"Idempotency-Key": "k-1"})
    again = save(client, key, body, django_capture_on_commit_callbacks, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert MediaImport.objects.count() == 1
    assert host.hits == ["/a.jpg"]


def test_a_page_with_no_media_is_a_clear_error_and_nothing_is_queued(client, key, django_capture_on_commit_callbacks):
    response = save(client, key, {"page_url": "https://www.instagram.com/p/abc/"}, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "no picture or video" in response.json()["detail"]
    blob = save(client, key, {"media_url": "blob:https://www.instagram.com/1"}, django_capture_on_commit_callbacks)
    assert blob.status_code == 400
    assert "plays from the page" in blob.json()["detail"]
    assert not MediaImport.objects.exists()


def test_a_host_outside_the_allow_list_or_a_private_address_is_refused_at_once(client, key):
    for url, reason in [
        ("https://evil.example/a.jpg", "isn't a site we import from"),
        ("http://i.pinimg.com/a.jpg", "Only https"),
        ("https://127.0.0.1/a.jpg", "isn't a site we import from"),
    ]:
        response = client.post("/api/v1/assets/import", {"media_url": url}, content_type=JSON, headers=key)
        assert response.status_code == 400
        assert reason in response.json()["detail"]
    assert not MediaImport.objects.exists()


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(404, b"Sorry, this page isn't available."), "private or was removed"),
        (Reply(403, b""), "private or was removed"),
        (Reply(body=b"<!DOCTYPE html><html>Log in</html>"), "web page"),
        (Reply(302, headers={"Location": "http://169.254.169.254/latest/"}), "Only https"),
        (Reply(body=b"", headers={"Content-Length": str(2 * 1024**3)}), "2.0 GB"),
    ],
    ids=["removed", "private", "html", "redirect-to-private", "2gb-video"],
)
def test_bad_media_fails_the_import_with_a_reason_and_keeps_nothing(
    client, key, host, reply, reason, django_capture_on_commit_callbacks, media_root
):
    host.routes["/m"] = reply
    started = save(client, key, {"media_url": host.url("/m")}, django_capture_on_commit_callbacks)
    assert started.status_code == 202
    status = client.get(f"/api/v1/assets/import/{started.json()['id']}", headers=key).json()
    assert status["status"] == "failed"
    assert reason in status["error"]
    assert not Asset.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_another_orgs_collection_is_a_404_and_nothing_is_queued(client, key, people, host):
    theirs = CollectionFactory(org=people.other_org)
    body = {"media_url": host.url("/a.jpg"), "collection": str(theirs.public_id)}
    response = client.post("/api/v1/assets/import", body, content_type=JSON, headers=key)
    assert response.status_code == 404
    assert not MediaImport.objects.exists()


def test_another_orgs_key_cannot_see_an_import(client, key, api_key, people, host, django_capture_on_commit_callbacks):
    host.routes["/a.jpg"] = Reply(body=jpeg_bytes(seed=5))
    started = save(client, key, {"media_url": host.url("/a.jpg")}, django_capture_on_commit_callbacks).json()
    outsider = api_key(people.outsider)
    assert client.get(f"/api/v1/assets/import/{started['id']}", headers=outsider).status_code == 404


def test_revoked_expired_and_read_only_keys_cannot_import(client, api_key, people, host):
    body = {"media_url": host.url("/a.jpg")}
    revoked = api_key(people.member)
    ApiKey.objects.update(revoked_at=timezone.now())
    assert client.post("/api/v1/assets/import", body, content_type=JSON, headers=revoked).status_code == 401
    expiring = api_key(people.member, expires_at=timezone.now() + timedelta(seconds=1))
    ApiKey.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.post("/api/v1/assets/import", body, content_type=JSON, headers=expiring).status_code == 401
    reader = api_key(people.member, scopes=[Scope.READ])
    assert client.post("/api/v1/assets/import", body, content_type=JSON, headers=reader).status_code == 403
    assert not MediaImport.objects.exists()


def test_a_flood_of_saves_is_rate_limited_and_every_accepted_save_lands(
    client, key, host, settings, django_capture_on_commit_callbacks
):
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    for n in range(8):
        host.routes[f"/{n}.jpg"] = Reply(body=jpeg_bytes((64, 48), seed=100 + n))
    answers = [
        save(client, key, {"media_url": host.url(f"/{n}.jpg")}, django_capture_on_commit_callbacks) for n in range(8)
    ]
    accepted = [a for a in answers if a.status_code == 202]
    limited = [a for a in answers if a.status_code == 429]
    assert accepted
    assert limited
    assert all(int(a.headers["Retry-After"]) > 0 for a in limited)
    assert MediaImport.objects.count() == len(accepted)
    assert set(MediaImport.objects.values_list("status", flat=True)) == {"done"}
    assert Asset.objects.count() == len(accepted)


def test_extract_style_of_a_saved_image(client, org, key, people, fund):
    fund(10)
    asset = AssetFactory(org=org)
    response = client.post(f"/api/v1/assets/{asset.public_id}/style", headers={**key, "Idempotency-Key": "s1"})
    assert response.status_code == 201, response.json()
    job = StyleRecipe.objects.get(public_id=response.json()["id"])
    assert response.json()["url"] == f"/o/{org.slug}/styles/{job.public_id}/"
    again = client.post(f"/api/v1/assets/{asset.public_id}/style", headers={**key, "Idempotency-Key": "s1"})
    assert (again.status_code, again.json()["id"]) == (200, str(job.public_id))
    theirs = AssetFactory(org=people.other_org)
    assert client.post(f"/api/v1/assets/{theirs.public_id}/style", headers=key).status_code == 404


def test_the_badge_and_disconnect(client, org, key):
    me = client.get("/api/v1/extension/me", headers=key).json()
    assert (me["org"], me["org_slug"]) == (org.name, org.slug)
    assert client.post("/api/v1/extension/disconnect", headers=key).status_code == 204
    assert ApiKey.objects.get().revoked_at is not None
    assert client.get("/api/v1/extension/me", headers=key).status_code == 401
