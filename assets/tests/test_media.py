"""assets.media: what a file really is, what we refuse (and say), safe decoding, renditions,
perceptual hashes and video probing. Pure functions on generated files; no database."""

import dataclasses
import hashlib
import io
import os
import pickle
import struct
import threading
import time
import warnings
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from assets import media
from assets.tests import media_samples as samples

ACCEPTED = "We accept JPEG, PNG, WebP and HEIC images, and MP4, MOV and WebM videos."


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


def _make(sample_dir: Path, maker, name: str, **kwargs) -> Path:
    return maker(sample_dir / name, **kwargs)


def _process(path: Path):
    sniffed = media.sniff(path)
    if sniffed.kind == "image":
        return media.process_image(path, sniffed)
    return media.process_video(path, sniffed)


def _rendition_image(rendition: media.Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def _jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's header segments, up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF, f"not a marker at {at}"
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return markers


def _is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90


def _is_white(pixel) -> bool:
    return all(channel > 240 for channel in pixel[:3])


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


# --- Images: a camera photo ------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera(sample_dir):
    path = samples.jpeg_12mp(sample_dir / "DSC_0001.JPG")
    return path, media.process_image(path, media.sniff(path))


def test_camera_photo_dimensions_follow_exif_orientation(camera):
    _path, result = camera
    assert (result.mime, result.extension) == ("image/jpeg", "jpg")
    assert (result.width, result.height) == (3000, 4000)  # stored 4000x3000, orientation 6
    assert (result.preview.width, result.preview.height) == (768, 1024)
    assert (result.thumb.width, result.thumb.height) == (225, 300)
    assert result.metadata["orientation_applied"] == 6


def test_camera_photo_pixels_are_rotated_not_just_the_size(camera):
    _path, result = camera
    preview = _rendition_image(result.preview)
    assert preview.size == (result.preview.width, result.preview.height)
    # The red block is in the stored top-left corner; orientation 6 shows it at the top right.
    assert _is_red(preview.getpixel((preview.width - 20, 20)))
    assert not _is_red(preview.getpixel((20, 20)))
    thumb = _rendition_image(result.thumb)
    assert _is_red(thumb.getpixel((thumb.width - 5, 5)))


@pytest.mark.parametrize("which", ["preview", "thumb"])
def test_renditions_carry_no_metadata_or_payload_of_the_original(camera, which):
    path, result = camera
    original = path.read_bytes()
    assert samples.SECRET_COMMENT in original  # the sample has them
    assert samples.TRAILING_PAYLOAD in original
    assert Image.open(path).getexif().get_ifd(0x8825)  # and GPS
    rendition = getattr(result, which)
    assert rendition.mime == "image/jpeg"
    image = _rendition_image(rendition)
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(0x8825)
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    markers = _jpeg_markers(rendition.data)
    assert not {0xE1, 0xE2, 0xED, 0xFE} & set(markers)  # APP1 EXIF/XMP, APP2 ICC, APP13 IPTC, COM
    assert samples.SECRET_COMMENT not in rendition.data
    assert b"<script" not in rendition.data
    assert b"PersonaeCam" not in rendition.data
    assert rendition.data.endswith(b"\xff\xd9")  # nothing appended after the image


def test_camera_photo_metadata_has_facts_not_exif_values(camera):
    _path, result = camera
    assert result.metadata == {
        "format": "JPEG",
        "mode": "RGB",
        "has_alpha": False,
        "orientation_applied": 6,
        "frames": 1,
        "color_converted_to_srgb": False,
        "had_gps": True,
    }
    assert -(2**63) <= result.phash < 2**63


def test_pillow_globals_are_left_as_they_were(camera):
    path, _result = camera
    bomb = samples.png_bomb(path.with_name("b.png"))
    before = (Image.MAX_IMAGE_PIXELS, list(warnings.filters), ImageFile.LOAD_TRUNCATED_IMAGES)
    media.process_image(path, media.sniff(path))
    with pytest.raises(media.MediaError):
        media.process_image(bomb, media.sniff(bomb))
    assert (Image.MAX_IMAGE_PIXELS, list(warnings.filters), ImageFile.LOAD_TRUNCATED_IMAGES) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_large_jpegs_are_decoded_at_reduced_scale(monkeypatch, camera):
    """The speed target rests on libjpeg's DCT scaling: a 12 MP photo is decoded at 2000x1500."""
    from PIL import JpegImagePlugin

    calls = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = draft(self, mode, size)
        calls.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    path, _result = camera
    media.process_image(path, media.sniff(path))
    assert calls == [((1024, 768), (2000, 1500))]


# --- Images: other formats, modes and sizes --------------------------------------------------


def test_small_images_are_never_upscaled(sample_dir):
    result = _process(samples.tiny_jpeg(sample_dir / "tiny.jpg"))
    assert (result.width, result.height) == (200, 120)
    assert (result.preview.width, result.preview.height) == (200, 120)
    assert (result.thumb.width, result.thumb.height) == (200, 120)
    assert _rendition_image(result.preview).size == (200, 120)


def test_transparency_is_flattened_onto_white(sample_dir):
    result = _process(samples.png_alpha(sample_dir / "alpha.png"))
    assert (result.mime, result.extension) == ("image/png", "png")
    assert result.metadata["has_alpha"] is True
    assert (result.preview.width, result.preview.height) == (640, 480)  # not upscaled to 1024
    assert (result.thumb.width, result.thumb.height) == (300, 225)
    for rendition in (result.preview, result.thumb):
        image = _rendition_image(rendition)
        assert image.mode == "RGB"
        assert _is_white(image.getpixel((2, 2)))  # transparent black became white, not black
        assert _is_red(image.getpixel((image.width // 2, image.height // 2)))


def test_palette_transparency_is_flattened_too(sample_dir):
    result = _process(samples.png_palette_transparent(sample_dir / "palette.png"))
    image = _rendition_image(result.preview)
    assert _is_white(image.getpixel((image.width - 10, 10)))  # the transparent half
    r, g, b = image.getpixel((10, 10))
    assert (b > 200, r < 40, g < 40) == (True, True, True)  # the opaque blue half


def test_16_bit_grayscale_keeps_its_tones(sample_dir):
    result = _process(samples.png_16bit_gray(sample_dir / "gray16.png"))
    image = _rendition_image(result.preview)
    left, middle, right = (image.getpixel((x, 30))[0] for x in (2, 128, 253))
    assert left < 20
    assert 100 < middle < 160  # a ramp, not clipped to white
    assert right > 235


def test_cmyk_jpeg_becomes_rgb(sample_dir):
    result = _process(samples.cmyk_jpeg(sample_dir / "cmyk.jpg"))
    assert result.metadata["mode"] == "CMYK"
    image = _rendition_image(result.preview)
    assert image.mode == "RGB"
    assert _is_red(image.getpixel((10, 10)))


def test_colour_profiles_are_converted_to_srgb_and_not_embedded(sample_dir):
    result = _process(samples.red_jpeg_with_swapped_profile(sample_dir / "profiled.jpg"))
    assert result.metadata["color_converted_to_srgb"] is True
    for rendition in (result.preview, result.thumb):
        image = _rendition_image(rendition)
        assert "icc_profile" not in image.info
        assert 0xE2 not in _jpeg_markers(rendition.data)
        r, g, b = image.getpixel((10, 10))
        assert (b > 200, r < 60, g < 60) == (True, True, True)  # stored red, meant (and now shown) blue


def test_colour_profile_with_transparency(sample_dir):
    result = _process(samples.red_png_alpha_with_swapped_profile(sample_dir / "profiled.png"))
    assert result.metadata["color_converted_to_srgb"] is True
    image = _rendition_image(result.preview)
    assert _is_white(image.getpixel((2, 2)))
    r, _g, b = image.getpixel((image.width // 2, image.height // 2))
    assert (b > 180, r < 60) == (True, True)


def test_srgb_profile_is_left_alone(sample_dir):
    from PIL import ImageCms

    path = sample_dir / "srgb.jpg"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (64, 48), (255, 0, 0)).save(path, "JPEG", icc_profile=srgb)
    result = _process(path)
    assert result.metadata["color_converted_to_srgb"] is False
    assert _is_red(_rendition_image(result.preview).getpixel((5, 5)))


def test_generic_heif_is_processed(sample_dir):
    result = _process(samples.heif_generic(sample_dir / "camera.heif"))
    assert (result.mime, result.extension, result.width, result.height) == ("image/heif", "heif", 240, 160)


def test_webp_is_processed(sample_dir):
    result = _process(samples.webp(sample_dir / "photo.webp"))
    assert (result.mime, result.extension, result.width, result.height) == ("image/webp", "webp", 800, 600)
    assert (result.preview.width, result.thumb.width) == (800, 300)
    assert result.metadata["format"] == "WebP"


def test_heic_is_decoded_with_its_rotation(sample_dir):
    result = _process(samples.heic(sample_dir / "IMG_0002.HEIC", (240, 160), orientation=6))
    assert (result.mime, result.extension) == ("image/heic", "heic")
    assert (result.width, result.height) == (160, 240)
    assert (result.preview.width, result.preview.height) == (160, 240)
    assert result.metadata["orientation_applied"] == 6
    assert dict(_rendition_image(result.preview).getexif()) == {}


def test_polyglot_jpeg_keeps_no_html(sample_dir):
    path = samples.polyglot_jpeg_html(sample_dir / "poly.jpg")
    assert b"<script" in path.read_bytes()
    result = _process(path)
    for rendition in (result.preview, result.thumb):
        assert b"<script" not in rendition.data
        assert b"<html" not in rendition.data


# --- Images: bombs and broken files ----------------------------------------------------------


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel data gets decoded."""
    calls = []

    def load(self):
        calls.append(self)
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def test_100_megapixel_png_bomb_is_refused_before_decoding(sample_dir, no_decoding):
    path = samples.png_bomb(sample_dir / "bomb.png")
    assert path.stat().st_size < 20_000  # a tiny file...
    started = time.perf_counter()
    with pytest.raises(media.MediaError) as caught:
        _process(path)
    assert time.perf_counter() - started < 1.0
    assert caught.value.code == "too_many_pixels"
    assert caught.value.message == (
        "This image is 10,000 × 10,000 pixels (100 megapixels); the limit is 50 megapixels. "
        "Resize it and upload it again."
    )
    assert no_decoding == []


@pytest.mark.parametrize(
    ("maker", "size", "name"),
    [
        (samples.png_declaring, (65535, 65535), "max.png"),  # beyond Pillow's own hard limit
        (samples.jpeg_declaring, (60000, 60000), "huge.jpg"),
        (samples.heic_declaring, (10000, 10000), "bomb.heic"),
        (samples.png_declaring, (8000, 7000), "56mp.png"),  # just over our cap, under Pillow's default
    ],
)
def test_declared_sizes_over_the_pixel_cap_are_refused(sample_dir, no_decoding, maker, size, name):
    path = maker(sample_dir / name, *size)
    with pytest.raises(media.MediaError) as caught:
        _process(path)
    assert caught.value.code == "too_many_pixels"
    assert f"{size[0]:,} × {size[1]:,} pixels" in caught.value.message
    assert "the limit is 50 megapixels" in caught.value.message
    assert no_decoding == []


def test_just_under_the_pixel_cap_is_not_called_a_bomb(sample_dir, no_decoding):
    path = samples.png_declaring(sample_dir / "49mp.png", 7000, 7000)
    with pytest.raises(media.MediaError) as caught:
        _process(path)
    assert len(no_decoding) == 1  # the size checks let it through to decoding (which the fixture stops)
    assert caught.value.code == "corrupt"


def test_too_wide_image_is_refused(sample_dir, no_decoding):
    with pytest.raises(media.MediaError) as caught:
        _process(samples.png_wide(sample_dir / "panorama.png"))
    assert caught.value.code == "too_large_dimensions"
    assert caught.value.message == (
        "This image is 20,000 × 50 pixels; images can be at most 12,000 pixels on their longest side. "
        "Resize it and upload it again."
    )


def test_pillow_guard_raises_the_bomb_warning_and_restores_the_cap(sample_dir):
    path = samples.png_declaring(sample_dir / "guard.png", 8000, 7000)
    original = Image.MAX_IMAGE_PIXELS
    with media.images._pillow_guard():
        assert media.LIMITS.max_image_pixels == Image.MAX_IMAGE_PIXELS
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(path)
    assert original == Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Image.open(path).close()  # outside: Pillow's own default applies again, no error
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_pixel_cap_is_restored_after_concurrent_calls(sample_dir):
    good = samples.jpeg(sample_dir / "good.jpg", (800, 600))
    bomb = samples.png_bomb(sample_dir / "bomb2.png")
    original = (Image.MAX_IMAGE_PIXELS, list(warnings.filters))
    errors = []

    def work(path):
        for _ in range(5):
            try:
                _process(path)
            except media.MediaError as exc:
                errors.append(exc.code)

    threads = [threading.Thread(target=work, args=(path,)) for path in (good, bomb, good, bomb)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["too_many_pixels"] * 10
    assert (Image.MAX_IMAGE_PIXELS, list(warnings.filters)) == original


def test_cap_follows_limits(monkeypatch, sample_dir):
    monkeypatch.setattr(media.images, "LIMITS", dataclasses.replace(media.LIMITS, max_image_pixels=100_000))
    with pytest.raises(media.MediaError) as caught:
        _process(samples.jpeg(sample_dir / "small-but-over.jpg", (400, 300)))
    assert caught.value.code == "too_many_pixels"
    assert "the limit is 0.1 megapixels" in caught.value.message


@pytest.mark.parametrize(("maker", "name"), [(samples.truncated_jpeg, "cut.jpg"), (samples.truncated_png, "cut.png")])
def test_truncated_images_are_refused_as_damaged(sample_dir, maker, name):
    with pytest.raises(media.MediaError) as caught:
        _process(maker(sample_dir / name))
    assert caught.value.code == "corrupt"
    assert caught.value.message.startswith("This image is damaged or incomplete (the file ends too early")
    assert caught.value.message.endswith("Export it again and re-upload.")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_only_the_sniffed_format_is_decoded(sample_dir):
    """A JPEG handed over as PNG is not opened by the JPEG decoder behind our back."""
    path = samples.jpeg(sample_dir / "really-a-jpeg.png", (64, 48))
    with pytest.raises(media.MediaError) as caught:
        media.process_image(path, media.Sniffed("image/png", "image", "png"))
    assert caught.value.code == "corrupt"
    assert "it isn't a readable PNG file" in caught.value.message


def test_process_image_rejects_a_video_type(sample_dir):
    with pytest.raises(ValueError, match="not an image type"):
        media.process_image(sample_dir / "x", media.Sniffed("video/mp4", "video", "mp4"))


# --- Videos ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip_mp4(sample_dir):
    path = samples.mp4(sample_dir / "clip.mp4")
    return media.process_video(path, media.sniff(path))


def test_mp4_is_probed_and_gets_a_poster(clip_mp4):
    result = clip_mp4
    assert (result.mime, result.extension) == ("video/mp4", "mp4")
    assert (result.width, result.height) == (320, 240)
    assert result.duration == pytest.approx(2.0, abs=0.05)
    assert result.metadata == {
        "codec": "h264",
        "fps": 10.0,
        "has_audio": True,
        "audio_codec": "aac",
        "rotation": 0,
        "streams": 2,
    }
    assert (result.poster.width, result.poster.height) == (320, 240)  # preview size at most, never upscaled
    assert (result.thumb.width, result.thumb.height) == (300, 225)
    for rendition in (result.poster, result.thumb):
        image = _rendition_image(rendition)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (rendition.width, rendition.height))
        assert dict(image.getexif()) == {}
    assert -(2**63) <= result.phash < 2**63


@pytest.mark.parametrize(
    ("maker", "name", "mime", "codec", "has_audio"),
    [
        (samples.mov, "clip.mov", "video/quicktime", "h264", False),
        (samples.webm, "clip.webm", "video/webm", "vp8", False),
        (samples.webm_without_duration, "recorded.webm", "video/webm", "vp8", False),
    ],
)
def test_other_containers_give_the_same_poster(sample_dir, clip_mp4, maker, name, mime, codec, has_audio):
    result = _process(maker(sample_dir / name))
    assert result.mime == mime
    assert (result.width, result.height, result.metadata["codec"]) == (320, 240, codec)
    assert result.metadata["has_audio"] is has_audio
    assert result.duration == pytest.approx(2.0, abs=0.05)
    # Same test pattern at the same second, encoded differently: a near duplicate of the MP4's poster.
    assert media.phash_distance(result.phash, clip_mp4.phash) <= media.NEAR_DUPLICATE_DISTANCE


def test_webm_without_a_duration_is_measured(sample_dir):
    path = samples.webm_without_duration(sample_dir / "live.webm")
    duration, _streams = media.video._probe(path, "video/webm")
    assert duration is None  # the header doesn't say...
    assert media.process_video(path, media.sniff(path)).duration == pytest.approx(2.0, abs=0.05)  # ...we count


def test_rotated_phone_video_is_portrait(sample_dir):
    result = _process(samples.rotated_mp4(sample_dir / "portrait.mp4"))
    assert (result.width, result.height) == (240, 320)
    assert result.metadata["rotation"] == 90
    assert (result.poster.width, result.poster.height) == (240, 320)
    assert _rendition_image(result.poster).size == (240, 320)


def test_three_hour_video_is_refused(sample_dir):
    path = samples.long_video(sample_dir / "long.mp4")
    with pytest.raises(media.MediaError) as caught:
        _process(path)
    assert caught.value.code == "too_long"
    assert caught.value.message == (
        "This video is 3 h 0 min long; the limit is 15 minutes. Trim it and upload it again."
    )


def test_video_just_over_the_limit_says_so(monkeypatch, sample_dir):
    monkeypatch.setattr(media.video, "LIMITS", dataclasses.replace(media.LIMITS, max_video_seconds=1))
    with pytest.raises(media.MediaError) as caught:
        _process(samples.mp4(sample_dir / "two-seconds.mp4", audio=False))
    assert caught.value.code == "too_long"
    assert "This video is 2 s long; the limit is 1 second." in caught.value.message


def test_oversized_video_is_refused(sample_dir):
    with pytest.raises(media.MediaError) as caught:
        _process(samples.wide_video(sample_dir / "wide.mp4"))
    assert caught.value.code == "too_large_dimensions"
    assert "This video is 4,400 × 64 pixels; videos can be at most 4,096 pixels" in caught.value.message


def test_sound_only_mp4_has_no_video_stream(sample_dir):
    path = samples.audio_only(sample_dir / "song.mp4")
    assert media.sniff(path).mime == "video/mp4"  # the container says MP4...
    with pytest.raises(media.MediaError) as caught:
        media.process_video(path, media.sniff(path))
    assert caught.value.code == "no_video_stream"  # ...but there's nothing to see
    assert caught.value.message == (
        "This file has no video picture in it (it only contains sound). Upload a video file (MP4, MOV or WebM)."
    )


def test_video_with_too_many_tracks_is_refused(sample_dir):
    with pytest.raises(media.MediaError) as caught:
        _process(samples.many_streams(sample_dir / "tracks.mp4"))
    assert caught.value.code == "too_many_streams"
    assert "This video has 21 tracks; we accept up to 16." in caught.value.message


@pytest.mark.parametrize(("maker", "name"), [(samples.truncated_mp4, "cut.mp4"), (samples.garbage_mp4, "noise.mp4")])
def test_broken_videos_are_refused_as_damaged(sample_dir, maker, name):
    with pytest.raises(media.MediaError) as caught:
        _process(maker(sample_dir / name))
    assert caught.value.code == "corrupt"
    assert "Export it again and re-upload." in caught.value.message


def test_container_is_forced_to_the_sniffed_one(sample_dir):
    """ffmpeg may not guess another format than the one we checked."""
    path = samples.mp4(sample_dir / "really-an-mp4.webm", audio=False)
    with pytest.raises(media.MediaError) as caught:
        media.process_video(path, media.Sniffed("video/webm", "video", "webm"))
    assert caught.value.code == "corrupt"


def test_ffmpeg_runs_under_a_timeout(monkeypatch, sample_dir):
    path = samples.mp4(sample_dir / "slow.mp4", audio=False)
    monkeypatch.setattr(media.video, "FFMPEG_TIMEOUT", 0.001)
    with pytest.raises(media.MediaError) as caught:
        media.process_video(path, media.sniff(path))
    assert caught.value.code == "corrupt"
    assert "We couldn't read this video in time" in caught.value.message


def test_process_video_rejects_an_image_type(sample_dir):
    with pytest.raises(ValueError, match="not a video type"):
        media.process_video(sample_dir / "x", media.Sniffed("image/png", "image", "png"))
