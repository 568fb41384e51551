"""Local media answers byte ranges, so a video seeks without downloading everything before that
point: to members through signed URLs, and to providers through their signed URLs."""

import os

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from assets import storage
from assets.serving import byte_range

SIZE = 3 * 1024 * 1024 + 123  # a few MB, not a multiple of any block size
CONTENT = os.urandom(SIZE)


@pytest.fixture
def video_key(org):
    """A multi-MB file in the org's storage, whose bytes are known."""
    key = f"orgs/{org.public_id}/assets/clip/original.mp4"
    return storage.storage().save(key, ContentFile(CONTENT))


@pytest.fixture
def member(login):
    return login("member")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_whole_file_says_ranges_are_accepted(member, org, video_key):
    response = member.get(storage.signed_url(org, video_key))

    assert response.status_code == 200
    assert response.streaming
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert int(response["Content-Length"]) == SIZE
    assert body(response) == CONTENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=2000000-", 2_000_000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=3000000-99999999", 3_000_000, SIZE - 1),  # a last byte past the end is the end
        ("bytes=-99999999", 0, SIZE - 1),  # more than the whole file is the whole file
    ],
    ids=["first-byte", "a-b", "a-", "-n", "past-the-end", "suffix-longer-than-file"],
)
def test_one_range_is_partial_content(member, org, video_key, header, first, last):
    response = member.get(storage.signed_url(org, video_key), headers={"Range": header})

    assert response.status_code == 206
    assert response.streaming  # read in blocks as it is sent, never whole
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert int(response["Content-Length"]) == last - first + 1
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, max-age=300"
    assert body(response) == CONTENT[first : last + 1]


@pytest.mark.django_db
@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_past_the_end_is_416(member, org, video_key, header):
    response = member.get(storage.signed_url(org, video_key), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "items=0-10", "bytes=x-y", "bytes=-"])
def test_ranges_we_dont_serve_get_the_whole_file(member, org, video_key, header):
    response = member.get(storage.signed_url(org, video_key), headers={"Range": header})

    assert response.status_code == 200
    assert int(response["Content-Length"]) == SIZE
    assert body(response) == CONTENT


@pytest.mark.django_db
def test_an_if_range_gets_the_whole_file(member, org, video_key):
    # We send no ETag or Last-Modified, so no If-Range validator can match.
    response = member.get(storage.signed_url(org, video_key), headers={"Range": "bytes=0-9", "If-Range": '"some-etag"'})

    assert response.status_code == 200
    assert body(response) == CONTENT


@pytest.mark.django_db
def test_a_range_of_someone_elses_file_is_still_a_404(login, org, video_key):
    response = login("outsider").get(storage.signed_url(org, video_key), headers={"Range": "bytes=0-9"})

    assert response.status_code == 404


@pytest.mark.django_db
def test_providers_get_ranges_too(settings, org, video_key):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    url = storage.provider_url(org, video_key).removeprefix("https://app.example.com")
    client = Client()  # no login: the signature is the credential

    whole = client.get(url)
    part = client.get(url, headers={"Range": "bytes=1048576-2097151"})
    tail = client.get(url, headers={"Range": "bytes=-1"})
    beyond = client.get(url, headers={"Range": f"bytes={SIZE}-"})

    assert (whole.status_code, whole["Accept-Ranges"], body(whole)) == (200, "bytes", CONTENT)
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1048576-2097151/{SIZE}"
    assert body(part) == CONTENT[1048576:2097152]
    assert (tail.status_code, body(tail)) == (206, CONTENT[-1:])
    assert beyond.status_code == 416


def test_the_range_header_is_read_the_way_the_rfc_says():
    assert byte_range("", 10) is None
    assert byte_range("bytes=2-4", 10) == (2, 4)
    assert byte_range(" bytes=2-4 ", 10) == (2, 4)
    assert byte_range("bytes=8-", 10) == (8, 9)
    assert byte_range("bytes=-3", 10) == (7, 9)
    assert byte_range("bytes=10-", 10) is False
    assert byte_range("bytes=-1", 0) is False
    assert byte_range("bytes=0-", 0) is False
    assert byte_range("bytes=4-2", 10) is None
    assert byte_range("bytes=1-2,4-5", 10) is None
