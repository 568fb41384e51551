"""assets.media: what a file really is, what we refuse (and say), size limits and hashes."""

import hashlib
import os
import pickle
import struct
from pathlib import Path

import pytest
from PIL import Image

from assets import media
from assets.tests import media_samples as samples
from assets.tests.media_samples import process as _process

ACCEPTED = "We accept JPEG, PNG, WebP and HEIC images, and MP4, MOV and WebM videos."


def _make(sample_dir: Path, maker, name: str, **kwargs) -> Path:
    return maker(sample_dir / name, **kwargs)


# --- Sniffing: accepted types, whatever the filename -----------------------------------------


@pytest.mark.parametrize(
    ("maker", "filename", "mime", "kind", "extension"),
    [
        (samples.jpeg, "holiday.png", "image/jpeg", "image", "jpg"),
        (samples.jpeg, "no-extension", "image/jpeg", "image", "jpg"),
        (samples.png_alpha, "picture.jpg", "image/png", "image", "png"),
        (samples.webp, "image.heic", "image/webp", "image", "webp"),
        (samples.heic, "IMG_0001.jpg", "image/heic", "image", "heic"),
        (samples.mp4, "video.webm", "video/mp4", "video", "mp4"),
        (samples.mov, "video.mp4", "video/quicktime", "video", "mov"),
        (samples.webm, "video.mov", "video/webm", "video", "webm"),
    ],
)
def test_sniff_recognises_accepted_types_from_their_bytes(sample_dir, maker, filename, mime, kind, extension):
    path = _make(sample_dir, maker, filename)
    assert media.sniff(path) == media.Sniffed(mime=mime, kind=kind, extension=extension)
    assert media.ALLOWED[mime] == kind


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 64


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (_ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"heix", b"mif1"), "image/heic"),
        (_ftyp(b"mif1", b"mif1", b"miaf"), "image/heif"),
        (_ftyp(b"mp42", b"isom", b"mp42"), "video/mp4"),
        (_ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (_ftyp(b"XAVC", b"XAVC", b"mp42"), "video/mp4"),
        (_ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (struct.pack(">I", 8) + b"wide" + b"\x00" * 64, "video/quicktime"),  # old QuickTime, no ftyp
    ],
)
def test_sniff_reads_iso_media_brands(tmp_path, head, mime):
    path = tmp_path / "file.bin"
    path.write_bytes(head)
    assert media.sniff(path).mime == mime


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (_ftyp(b"avif", b"avif", b"mif1", b"miaf"), "an AVIF image"),
        (_ftyp(b"mif1", b"mif1", b"avif"), "an AVIF image"),
        (_ftyp(b"M4A ", b"M4A ", b"isom"), "an audio file"),
        (_ftyp(b"crx ", b"crx "), "a camera RAW photo"),
        (_ftyp(b"3gp4", b"isom", b"3gp4"), "a 3GP video"),
        (_ftyp(b"zzzz", b"zzzz"), "brand “zzzz”"),
    ],
)
def test_sniff_names_iso_media_files_we_refuse(tmp_path, head, found):
    path = tmp_path / "IMG_0001.heic"
    path.write_bytes(head)
    with pytest.raises(media.MediaError) as caught:
        media.sniff(path)
    assert caught.value.code == "unsupported_type"
    assert found in caught.value.message
    assert ACCEPTED in caught.value.message


# --- Sniffing: refusals, each with its code and a message a person understands ----------------


@pytest.mark.parametrize(
    ("maker", "filename", "code", "says"),
    [
        (samples.empty, "photo.jpg", "empty", "This file is empty (0 bytes). Check the file and upload it again."),
        (samples.elf, "selfie.jpg", "executable", "This file is a Linux program (ELF), not an image or video."),
        (samples.windows_exe, "photo.png", "executable", "This file is a Windows program"),
        (samples.shell_script, "portrait.jpg", "executable", "This file is a script, not an image or video."),
        (samples.svg_with_script, "logo.png", "svg", "SVG images aren't accepted because they can carry scripts."),
        (samples.svg_utf16, "logo.png", "svg", "Export it as PNG or JPEG."),
        (samples.html_page, "page.jpg", "unsupported_type", "This file is a web page (HTML)"),
        (samples.zip_bomb_heic, "IMG_0001.heic", "unsupported_type", "This file is a ZIP archive"),
        (samples.gif, "animation.jpg", "unsupported_type", "This file is a GIF image, which we don't accept."),
        (samples.avif, "photo.heic", "unsupported_type", "This file is an AVIF image"),
        (samples.mkv, "movie.mp4", "unsupported_type", "This file is a Matroska (MKV) video"),
        (samples.m4a, "voice-memo.mp4", "unsupported_type", "This file is an audio file"),
        (samples.pdf, "scan.jpg", "unsupported_type", "This file is a PDF document"),
        (samples.text_file, "notes.jpg", "unsupported_type", "This file is a text file"),
    ],
)
def test_sniff_refuses_with_a_clear_message(sample_dir, maker, filename, code, says):
    path = _make(sample_dir, maker, filename)
    with pytest.raises(media.MediaError) as caught:
        media.sniff(path)
    error = caught.value
    assert error.code == code
    assert says in error.message
    assert str(error) == error.message
    if code in ("executable", "unsupported_type"):
        assert ACCEPTED in error.message  # tells the person what would work
    assert filename not in error.message  # the name proves nothing and isn't echoed


def test_sniff_advises_what_to_do_for_refused_media(sample_dir):
    with pytest.raises(media.MediaError) as caught:
        media.sniff(samples.mkv(sample_dir / "advice.mkv"))
    assert "Convert it to MP4" in caught.value.message
    with pytest.raises(media.MediaError) as caught:
        media.sniff(samples.zip_bomb_heic(sample_dir / "advice.zip"))
    assert "Unpack it and upload the photos or videos inside" in caught.value.message


def test_media_error_survives_pickling():
    error = media.MediaError("This file is empty (0 bytes).", "empty")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.message, copy.code, str(copy)) == (error.message, "empty", error.message)


# --- Sizes -----------------------------------------------------------------------------------


def test_check_size_refuses_a_2_gb_video_in_words():
    with pytest.raises(media.MediaError) as caught:
        media.check_size("video", 2 * 1024**3)
    assert caught.value.code == "too_big"
    assert caught.value.message.startswith("This video is 2.0 GB; videos can be up to 1 GB.")


def test_check_size_limits_and_boundaries():
    media.check_size("image", media.LIMITS.max_image_bytes)  # exactly the limit is fine
    media.check_size("video", media.LIMITS.max_video_bytes)
    with pytest.raises(media.MediaError) as caught:
        media.check_size("image", 61 * 1024 * 1024)
    assert caught.value.message.startswith("This image is 61.0 MB; images can be up to 60 MB.")
    with pytest.raises(media.MediaError) as caught:
        media.check_size("video", media.LIMITS.max_video_bytes + 1)
    assert "1.1 GB" in caught.value.message  # rounded up: never reads as the limit itself
    for size in (0, -5):
        with pytest.raises(media.MediaError) as caught:
            media.check_size("image", size)
        assert caught.value.code == "empty"
    with pytest.raises(ValueError, match="unknown media kind"):
        media.check_size("document", 10)


def test_check_size_after_upload_on_a_real_2_gb_file(tmp_path):
    path = tmp_path / "huge.mp4"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: costs no disk
    with pytest.raises(media.MediaError) as caught:
        media.check_size("video", path.stat().st_size)
    assert caught.value.code == "too_big"


# --- Hashes ----------------------------------------------------------------------------------


def test_sha256_file_streams_in_chunks_and_matches_hashlib(tmp_path):
    data = os.urandom(2 * media.HASH_CHUNK + 12345)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert media.sha256_file(path) == hashlib.sha256(data).hexdigest()
    empty = samples.empty(tmp_path / "empty")
    assert media.sha256_file(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_dhash_is_a_signed_64_bit_int():
    rising = Image.linear_gradient("L").rotate(90).resize((90, 80))  # brighter to the right: all bits 1
    falling = rising.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # darker to the right: all bits 0
    assert media.dhash(rising) == -1  # 0xFFFF_FFFF_FFFF_FFFF as a signed bigint
    assert media.dhash(falling) == 0
    assert media.phash_distance(media.dhash(rising), media.dhash(falling)) == 64
    assert media.phash_distance(-1, 2**63 - 1) == 1
    assert media.phash_distance(12345, 12345) == 0


@pytest.fixture(scope="module")
def base_photo(sample_dir):
    image = samples.photo((1600, 1200), seed=21)
    path = sample_dir / "base.jpg"
    image.save(path, "JPEG", quality=92)
    return image, _process(path).phash


def _hash_of(tmp_path: Path, image: Image.Image, fmt: str, **params) -> int:
    path = tmp_path / f"copy.{fmt.lower()}"
    image.save(path, fmt, **params)
    return _process(path).phash


@pytest.mark.parametrize(
    ("change", "fmt", "params"),
    [
        ("none", "JPEG", {"quality": 30}),
        ("none", "WEBP", {"quality": 70}),
        ("half", "PNG", {}),
        ("quarter", "JPEG", {"quality": 85}),
        ("rotated-with-exif-tag", "JPEG", {"quality": 90}),
    ],
)
def test_phash_of_a_re_encoded_or_resized_copy_is_near(tmp_path, base_photo, change, fmt, params):
    image, base_hash = base_photo
    if change == "half":
        image = image.resize((800, 600), Image.Resampling.BICUBIC)
    elif change == "quarter":
        image = image.resize((400, 300), Image.Resampling.BICUBIC)
    elif change == "rotated-with-exif-tag":  # stored sideways, displayed upright: the same picture
        exif = Image.Exif()
        exif[0x0112] = 6
        params = {**params, "exif": exif}
        image = image.transpose(Image.Transpose.ROTATE_90)
    assert media.phash_distance(base_hash, _hash_of(tmp_path, image, fmt, **params)) <= media.NEAR_DUPLICATE_DISTANCE


@pytest.mark.parametrize("seed", [22, 23, 24, 25])
def test_phash_of_a_different_picture_is_far(tmp_path, base_photo, seed):
    _image, base_hash = base_photo
    other = _hash_of(tmp_path, samples.photo((1600, 1200), seed=seed), "JPEG", quality=92)
    assert media.phash_distance(base_hash, other) > media.NEAR_DUPLICATE_DISTANCE
