"""Clean originals: what we keep of an upload is the picture (bit for bit) or the video's tracks, with
nothing appended, no location and no hidden script — made from real crafted files."""

import io
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import ExifTags, Image

from assets import media
from assets.media import exif
from assets.models import Asset
from assets.tests import media_samples as samples
from assets.tests.factories import upload_through_views

PHP = b"<?php system($_GET['c']); ?>\n"
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (52.0, 22.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (4.0, 53.0, 38.1),
}


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("shell.php", PHP)
    return buffer.getvalue()


def _exif(orientation=6, gps=True, description=None) -> Image.Exif:
    data = Image.Exif()
    data[ExifTags.Base.Orientation] = orientation
    data[ExifTags.Base.Make] = "PersonaeCam"
    data[ExifTags.Base.Model] = "Model 12"
    if description:
        data[ExifTags.Base.ImageDescription] = description
    if gps:
        data[ExifTags.IFD.GPSInfo] = GPS
    return data


def _gps_jpeg(path: Path, **kwargs) -> Path:
    samples.photo((640, 480), seed=5).save(path, "JPEG", quality=90, exif=_exif(**kwargs), comment=b"from the camera")
    return path


def _clean(path: Path):
    """Run the cleaner; returns (cleaned bytes, what it says it removed)."""
    with media.clean_original(path, media.sniff(path)) as cleaned:
        return cleaned.path.read_bytes(), cleaned.removed


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def _written(tmp_path, name, data) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- Polyglots: cleaned when the payload can be separated, refused when it can't -------------------


def test_a_php_script_appended_to_a_jpeg_is_dropped_and_named(tmp_path):
    picture = samples.jpeg(tmp_path / "p.jpg", (320, 240), seed=1).read_bytes()
    path = _written(tmp_path, "shell.jpg", picture + PHP)

    cleaned, removed = _clean(path)

    assert cleaned == picture  # exactly the picture, ending at its end-of-image marker
    assert b"<?php" not in cleaned
    assert removed == (f"{len(PHP)} bytes after the end of the picture (a PHP script)",)


def test_a_zip_appended_to_a_jpeg_is_no_longer_a_zip(tmp_path):
    picture = samples.jpeg(tmp_path / "p.jpg", (320, 240), seed=2).read_bytes()
    path = _written(tmp_path, "archive.jpg", picture + _zip_bytes())
    assert zipfile.is_zipfile(path)  # the crafted file really is both

    cleaned, removed = _clean(path)

    assert cleaned == picture
    assert not zipfile.is_zipfile(io.BytesIO(cleaned))
    assert "a ZIP archive" in removed[0]


def test_a_png_with_trailing_data_ends_at_iend(tmp_path):
    picture = samples.png_alpha(tmp_path / "p.png", (64, 48)).read_bytes()
    path = _written(tmp_path, "trailing.png", picture + b"\x00garbage after the end" * 50)

    cleaned, removed = _clean(path)

    assert cleaned == picture
    assert cleaned.endswith(b"IEND\xae\x42\x60\x82")
    assert removed == ("1.1 KB after the end of the picture (unknown data)",)


def test_a_webp_ends_where_its_riff_header_says(tmp_path):
    picture = samples.webp(tmp_path / "p.webp", (64, 48)).read_bytes()
    path = _written(tmp_path, "trailing.webp", picture + _zip_bytes())

    cleaned, removed = _clean(path)

    assert cleaned == picture
    assert "a ZIP archive" in removed[0]


def test_a_script_in_the_comment_and_exif_is_removed_but_the_orientation_stays(tmp_path):
    path = tmp_path / "comment.jpg"
    samples.photo((320, 240), seed=3).save(
        path, "JPEG", exif=_exif(orientation=8, gps=False, description="<?php eval($_POST[1]); ?>"), comment=PHP
    )

    cleaned, removed = _clean(path)

    assert b"<?php" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.getexif()[ExifTags.Base.Orientation] == 8
        assert "comment" not in image.info
    assert _pixels(cleaned) == _pixels(path.read_bytes())
    assert "a script or archive hidden in its metadata" in removed


def test_a_php_script_woven_into_the_picture_data_is_refused(tmp_path):
    """A PNG whose pixel rows, stored uncompressed, spell out a PHP script: the script is the
    picture itself, so it can't be cut out; the file is refused with the reason."""
    width = 64
    row = PHP.ljust(width * 3, b" ")
    raw = b"".join(b"\x00" + row for _ in range(8))
    ihdr = struct.pack(">IIBBBBB", width, 8, 8, 2, 0, 0, 0)
    chunk = samples._png_chunk
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")
    path = _written(tmp_path, "woven.png", data)
    Image.open(path).load()  # a valid picture

    with pytest.raises(media.MediaError) as refused:
        _clean(path)

    assert refused.value.code == "polyglot"
    assert "also a PHP script, hidden inside the picture data itself" in refused.value.message


# --- Location: removed without touching a pixel ----------------------------------------------------


def test_gps_is_removed_from_a_jpeg_losslessly_and_the_orientation_kept(tmp_path):
    path = _gps_jpeg(tmp_path / "IMG_0001.jpg")
    with Image.open(path) as before:
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    cleaned, removed = _clean(path)

    with Image.open(io.BytesIO(cleaned)) as after:
        tags = after.getexif()
        assert not tags.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.IFD.GPSInfo not in tags
        assert tags[ExifTags.Base.Orientation] == 6
        assert (tags[ExifTags.Base.Make], tags[ExifTags.Base.Model]) == ("PersonaeCam", "Model 12")
        assert "comment" not in after.info
    assert _pixels(cleaned) == _pixels(path.read_bytes())  # pixels identical: nothing re-encoded
    assert removed[0] == "the location (GPS) it was taken at"
    # What the library then shows keeps the orientation.
    result = media.process_image(_written(tmp_path, "clean.jpg", cleaned), media.sniff(path))
    assert (result.width, result.height) == (480, 640)


def test_gps_is_removed_from_png_and_webp_exif_and_xmp_is_dropped(tmp_path):
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>52,22.2N</exif:GPSLatitude></x:xmpmeta>'
    for fmt, name in (("PNG", "gps.png"), ("WEBP", "gps.webp")):
        path = tmp_path / name
        params = {"lossless": True} if fmt == "WEBP" else {}
        samples.photo((96, 64), seed=4).save(path, fmt, exif=_exif(orientation=3), xmp=xmp, **params)

        cleaned, removed = _clean(path)

        with Image.open(io.BytesIO(cleaned)) as after:
            tags = after.getexif()
            assert not tags.get_ifd(ExifTags.IFD.GPSInfo), fmt
            assert tags[ExifTags.Base.Orientation] == 3, fmt
            assert not after.info.get("xmp"), fmt
        assert b"GPSLatitude" not in cleaned, fmt
        assert _pixels(cleaned) == _pixels(path.read_bytes()), fmt
        assert "the location (GPS) it was taken at" in removed, fmt


def test_gps_is_blanked_in_place_in_a_heic(tmp_path):
    path = tmp_path / "IMG_0002.heic"
    samples.photo((96, 64), seed=6).save(path, "HEIF", quality=60, exif=_exif(orientation=6).tobytes())
    original = path.read_bytes()

    cleaned, removed = _clean(path)

    assert len(cleaned) == len(original)  # boxes point at byte positions: nothing may move
    with Image.open(io.BytesIO(cleaned)) as after:
        assert not after.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert after.getexif()[ExifTags.Base.Make] == "PersonaeCam"
        assert after.info["original_orientation"] == 6  # what the library rotates by (HEIC keeps it in EXIF)
    assert _pixels(cleaned) == _pixels(original)
    assert removed == ("the location (GPS) it was taken at",)


def test_a_clean_file_is_kept_as_it_is(tmp_path):
    path = samples.jpeg(tmp_path / "plain.jpg", (320, 240), seed=9)
    with media.clean_original(path, media.sniff(path)) as cleaned:
        assert cleaned.path == path
        assert cleaned.removed == ()


def test_exif_scrubbing_keeps_the_block_length_and_refuses_a_broken_one():
    block = bytearray(_exif().tobytes()[6:])
    length = len(block)

    assert exif.scrub_gps(block) is True
    assert len(block) == length
    assert not exif.has_gps(bytes(block))
    assert exif.scrub_gps(block) is False  # a second pass finds nothing
    with pytest.raises(exif.Unreadable):
        exif.scrub_gps(bytearray(b"MM\x00*\x00\x00\xff\xff"))


# --- Videos: remuxed without location or data tracks ------------------------------------------------


def _probe(path: Path) -> str:
    return subprocess.run(
        [samples.ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False
    ).stderr


def test_a_gps_tagged_mp4_loses_its_location_but_keeps_its_tracks_and_rotation(tmp_path):
    plain = samples.mp4(tmp_path / "plain.mp4")
    tagged = tmp_path / "IMG_0003.mp4"
    samples._ffmpeg(
        *("-display_rotation:v:0", "90", "-i", str(plain)),
        *("-c", "copy", "-metadata", "location=+52.3700+004.8900/", "-metadata", "make=PersonaeCam"),
        str(tagged),
    )
    assert "+52.3700+004.8900/" in _probe(tagged)

    with media.clean_original(tagged, media.sniff(tagged)) as cleaned:
        report = _probe(cleaned.path)
        data = cleaned.path.read_bytes()
        removed = cleaned.removed

    assert "location" not in report.lower()
    assert b"+52.3700" not in data
    assert b"PersonaeCam" not in data
    assert "Video: h264" in report
    assert "Audio: aac" in report
    assert "rotation of 90.00 degrees" in report
    assert removed == ("the location (GPS) it was recorded at",)


def test_a_data_track_such_as_gps_telemetry_is_dropped(tmp_path):
    plain = samples.mov(tmp_path / "plain.mov")
    track = tmp_path / "track.srt"
    track.write_text("1\n00:00:00,000 --> 00:00:01,000\n52.3700 N 4.8900 E\n")
    tagged = tmp_path / "drone.mov"
    samples._ffmpeg(
        "-i", str(plain), "-i", str(track), "-map", "0", "-map", "1", "-c:v", "copy", "-c:s", "mov_text", str(tagged)
    )
    assert "Subtitle" in _probe(tagged)

    with media.clean_original(tagged, media.sniff(tagged)) as cleaned:
        report = _probe(cleaned.path)

    assert "Subtitle" not in report
    assert "Data" not in report
    assert "Video: h264" in report


# --- Through the uploader ---------------------------------------------------------------------------


def test_an_uploaded_polyglot_is_stored_clean_and_the_uploader_says_what_went(owner, org, media_root, tmp_path):
    picture = _gps_jpeg(tmp_path / "p.jpg").read_bytes()

    answer = upload_through_views(owner, org.slug, "holiday.jpg", picture + _zip_bytes(), "image/jpeg")

    assert answer["status"] == "done"
    assert answer["cleaned"][0] == "the location (GPS) it was taken at"
    assert any("a ZIP archive" in note for note in answer["cleaned"])
    asset = Asset.objects.get()
    stored = (Path(media_root) / asset.original_key).read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(stored))
    assert stored.endswith(b"\xff\xd9")
    assert asset.bytes == len(stored)
    assert _pixels(stored) == _pixels(picture)
    page = owner.get(reverse("assets:detail", args=[org.slug, asset.public_id])).content.decode()
    assert "Removed when it was added: the location (GPS) it was taken at;" in page

    # The same photo with another payload is the same original: already in the library.
    again = upload_through_views(owner, org.slug, "holiday (1).jpg", picture + PHP, "image/jpeg")
    assert again["status"] == "duplicate"
    assert Asset.objects.count() == 1
