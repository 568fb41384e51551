"""Video in the library: uploaded and made videos get a poster and a hover strip; tiles carry the
strip; the page plays the video with its poster, duration, size and frame rate; it seeks (byte
ranges on the real file); the library filters by kind and by length."""

import re

import pytest
from bs4 import BeautifulSoup

from assets import storage
from assets.models import Asset
from assets.services import asset_create_from_bytes
from assets.tests.factories import AssetFactory, AssetRowFactory
from core.tests.pages import text_of
from providers.contracts.shapes import sample_mp4

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    pass


@pytest.fixture
def clip(org):
    return asset_create_from_bytes(org=org, data=sample_mp4(320, 180, 4.0, 25, True), filename="walk.mp4")


def test_an_uploaded_video_gets_a_poster_a_thumb_and_a_hover_strip(clip):
    assert clip.kind == Asset.Kind.VIDEO
    assert set(clip.variants) == {"poster", "thumb", "scrub"}
    assert clip.metadata["media"]["scrub"] == {"frames": 10, "width": 240, "height": 136}
    assert clip.stored_bytes > clip.bytes  # the derived files count against the quota


def test_a_video_tile_carries_its_strip_and_length(login, clip):
    page = BeautifulSoup(login("viewer").get("/o/northstar/library/").content, "html.parser")

    tile = page.select_one(f'[data-id="{clip.public_id}"]')
    strip = tile.select_one(".tile-scrub")
    assert strip["data-frames"] == "10"
    assert (strip["data-frame-width"], strip["data-frame-height"]) == ("240", "136")
    assert strip["data-scrub"].startswith("/media/")
    assert tile.select_one(".tile-duration").get_text(strip=True) == "0:04"


def test_the_page_plays_it_with_its_poster_size_length_and_frame_rate(login, clip):
    response = login("viewer").get(f"/o/northstar/library/{clip.public_id}/")
    page = BeautifulSoup(response.content, "html.parser")

    video = page.select_one("video[data-asset-video]")
    assert video["poster"].startswith("/media/")
    assert video["src"].startswith("/media/")
    text = text_of(response)
    assert "320 × 180 px" in text
    assert "0:04 (4.00 s)" in text
    assert "25 fps" in text
    assert re.search(r"Sound\s*Yes", text)


def test_it_seeks_the_real_file_with_byte_ranges(login, clip, org):
    client = login("viewer")
    url = storage.signed_url(org, clip.original_key)

    whole = client.get(url)
    assert whole["Content-Type"] == "video/mp4"
    assert whole["Accept-Ranges"] == "bytes"
    middle = client.get(url, HTTP_RANGE=f"bytes=1000-{clip.bytes - 1}")
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 1000-{clip.bytes - 1}/{clip.bytes}"
    assert len(b"".join(middle.streaming_content)) == clip.bytes - 1000


@pytest.mark.parametrize(
    ("length", "expected"),
    [("short", {"4 s"}), ("medium", {"30 s"}), ("long", {"3 min"}), ("", {"4 s", "30 s", "3 min", "photo"})],
)
def test_the_library_filters_videos_by_length(login, org, length, expected):
    AssetRowFactory(org=org, title="4 s", kind=Asset.Kind.VIDEO, mime="video/mp4", duration=4)
    AssetRowFactory(org=org, title="30 s", kind=Asset.Kind.VIDEO, mime="video/mp4", duration=30)
    AssetRowFactory(org=org, title="3 min", kind=Asset.Kind.VIDEO, mime="video/mp4", duration=180)
    AssetFactory(org=org, filename="photo.jpg")

    page = BeautifulSoup(login("viewer").get(f"/o/northstar/library/?length={length}").content, "html.parser")

    assert {t.get_text(strip=True) for t in page.select(".tile-title")} == expected


def test_the_kind_filter_shows_only_videos(login, org, clip):
    AssetFactory(org=org, filename="photo.jpg")

    page = BeautifulSoup(login("viewer").get("/o/northstar/library/?kind=video").content, "html.parser")

    assert [t.get_text(strip=True) for t in page.select(".tile-title")] == ["walk"]
