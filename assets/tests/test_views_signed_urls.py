"""The signed media URLs behind every picture: private to members, expiring, tamper-proof."""

import time
from unittest import mock

import pytest
from django.core import signing

from assets import storage
from assets.tests.factories import AssetFactory, jpeg_bytes

# --- Signed media URLs -------------------------------------------------------------------------


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, data=jpeg_bytes((120, 80), seed=40))


def test_a_signed_url_serves_the_file_privately_to_members(login, org, photo):
    url = storage.signed_url(org, photo.variants["thumb"])

    for role in ("owner", "viewer"):
        response = login(role).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=300"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert not response.get("Content-Disposition", "").startswith("attachment")
        assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_signed_url_is_a_404_for_a_member_of_another_org(login, org, photo):
    url = storage.signed_url(org, photo.original_key)

    assert login("outsider").get(url).status_code == 404


def test_a_signed_url_expires(login, org, photo, settings):
    owner = login("owner")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - settings.MEDIA_URL_EXPIRY - 5):
        expired = storage.signed_url(org, photo.original_key)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - settings.MEDIA_URL_EXPIRY + 30):
        fresh = storage.signed_url(org, photo.original_key)

    assert owner.get(expired).status_code == 404
    assert owner.get(fresh).status_code == 200


def test_a_forged_or_tampered_token_is_a_404(login, org, photo):
    owner = login("owner")
    token = storage.signed_url(org, photo.original_key).split("/")[2]
    payload = {"k": photo.original_key, "o": str(org.public_id), "d": ""}

    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    wrong_salt = signing.dumps(payload, salt="something-else")
    unsigned = signing.b64_encode(b'{"k":"%s","o":"%s"}' % (photo.original_key.encode(), str(org.public_id).encode()))

    for bad in (tampered, wrong_salt, unsigned.decode(), "x"):
        assert owner.get(f"/media/{bad}/").status_code == 404


def test_a_token_naming_another_orgs_key_is_a_404_even_when_signed(login, org, people, photo):
    theirs = AssetFactory(org=people.other_org)
    owner = login("owner")

    for key in (
        theirs.original_key,  # the other org's file, under our org's name
        f"orgs/{org.public_id}/../{people.other_org.public_id}/assets/{theirs.public_id}/original.jpg",
        "../../etc/passwd",
    ):
        token = signing.dumps({"k": key, "o": str(org.public_id), "d": ""}, salt=storage.SIGNED_URL_SALT)
        assert owner.get(f"/media/{token}/").status_code == 404
    assert not storage.key_belongs_to(org, theirs.original_key)
    assert storage.key_belongs_to(people.other_org, theirs.original_key)


def test_a_signed_url_for_a_deleted_file_is_a_404(login, org, photo, media_root):
    url = storage.signed_url(org, photo.original_key)
    (media_root / photo.original_key).unlink()

    assert login("owner").get(url).status_code == 404
