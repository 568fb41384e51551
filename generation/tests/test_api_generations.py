"""``/api/v1/generations/``: start a pack, read its per-image progress, cancel it; with the Studio's
rules and refusals."""

import pytest
from django.conf import settings

from billing.services import credits_available
from generation.models import GenerationJob

pytestmark = pytest.mark.django_db

BASE = "/api/v1/generations/"


def create(client, character, headers, **fields):
    return client.post(
        BASE, {"character": str(character.public_id), **fields}, content_type="application/json", headers=headers
    )


def test_start_read_and_finish_a_pack(
    client, people, org, hd_character, fund, api_key, django_capture_on_commit_callbacks
):
    fund(100)
    key = api_key(people.member)
    with django_capture_on_commit_callbacks(execute=True):
        response = create(client, hd_character, key, scene="beach_day", environment="beach", count=5, seed=3)
    assert response.status_code == 201
    body = response.json()
    assert (body["mode"], body["count"], body["credits_per_image"], body["credits_held"]) == ("hd", 5, 4, 20)

    status = client.get(BASE + body["id"], headers=key).json()
    assert status["status"] == "succeeded"
    assert status["finished"] is True
    assert status["progress"] == {"total": 5, "done": 5, "failed": 0, "cancelled": 0, "active": 0}
    assert [i["seed"] for i in status["images"]] == [3, 4, 5, 6, 7]
    first = status["images"][0]
    assert first["status"] == "succeeded"
    assert first["asset"]
    assert first["url"].startswith(settings.SITE_URL + "/media/a/")
    assert GenerationJob.objects.get().origin == "api"


def test_cancel_returns_the_unmade_images_credits(client, people, org, hd_character, fund, api_key):
    fund(100)
    key = api_key(people.member)
    job_id = create(client, hd_character, key, count=5).json()["id"]  # submits never run here
    assert credits_available(org) == 80
    response = client.post(f"{BASE}{job_id}/cancel", headers=key)
    assert response.status_code == 200
    assert response.json()["progress"]["cancelled"] == 5
    assert credits_available(org) == 100
    assert client.post(f"{BASE}{job_id}/cancel", headers=key).json()["detail"] == "This pack has already finished."


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({"count": 11}, 400, "Choose 1, 5 or 10 images."),
        ({"scene": "moon"}, 400, "Choose one of the eight scenes."),
        ({"count": 10}, 402, "10 images need 40 credits and you have 25 available."),
        ({"prompt": "two kids playing"}, 400, "Prompts can't mention children"),
        ({"nsfw": True}, 400, "Adult content isn't allowed"),
    ],
)
def test_refusals_say_why(client, people, org, hd_character, fund, api_key, fields, status, detail):
    fund(25)
    response = create(client, hd_character, api_key(people.member), **fields)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert not GenerationJob.objects.exists()


def test_viewers_outsiders_and_strangers(client, people, org, hd_character, fund, api_key):
    """A viewer's key can't generate (403); another organisation's key gets 404 for this org's
    character and pack; no key at all, or only a signed-in session, is a 401."""
    fund(100)
    assert create(client, hd_character, api_key(people.viewer)).status_code == 403
    outsider = api_key(people.outsider)
    assert create(client, hd_character, outsider).status_code == 404
    job_id = create(client, hd_character, api_key(people.member), count=1).json()["id"]
    assert client.get(BASE + job_id, headers=outsider).status_code == 404
    assert client.post(f"{BASE}{job_id}/cancel", headers=outsider).status_code == 404
    client.force_login(people.member)  # a session cookie is not a key
    assert client.get(BASE + job_id).status_code == 401
    assert create(client, hd_character, {}).status_code == 401
    assert client.post(f"{BASE}{job_id}/cancel").status_code == 401


def test_an_idempotent_replay_returns_the_first_pack_and_holds_once(client, people, org, hd_character, fund, api_key):
    fund(100)
    headers = {**api_key(people.member), "Idempotency-Key": "6d1c7f1e-retry"}
    first = create(client, hd_character, headers, count=5)
    replay = create(client, hd_character, headers, count=5)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert GenerationJob.objects.count() == 1
    assert credits_available(org) == 80
    other = create(client, hd_character, {**headers, "Idempotency-Key": "another"}, count=1)
    assert other.status_code == 201
    assert GenerationJob.objects.count() == 2
