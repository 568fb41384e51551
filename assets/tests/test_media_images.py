"""assets.media on images: renditions, orientation, metadata, formats and colour, bombs and broken files."""

import dataclasses
import struct
import threading
import time
import warnings

import pytest
from PIL import Image, ImageFile

from assets import media
from assets.tests import media_samples as samples
from assets.tests.media_samples import process as _process
from assets.tests.media_samples import rendition_image as _rendition_image


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
