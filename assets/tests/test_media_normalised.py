"""``media.normalised_image``: the full-resolution image AI edits are sent, decoded exactly as the
library shows it (the preview's orientation, colours and background), with nothing of the
original's metadata."""

import io

import pytest
from PIL import Image

from assets import media
from assets.tests import media_samples as samples


def normalised(path) -> tuple[media.Rendition, Image.Image]:
    rendition = media.normalised_image(path, media.sniff(path))
    image = Image.open(io.BytesIO(rendition.data))
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert image.size == (rendition.width, rendition.height)
    return rendition, image


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90


def test_a_camera_photo_is_full_size_the_right_way_up_and_without_its_metadata(sample_dir):
    path = samples.jpeg_12mp(sample_dir / "DSC_0001.JPG")  # stored 4000 × 3000, orientation 6

    rendition, image = normalised(path)

    assert (rendition.width, rendition.height) == (3000, 4000)
    assert media.process_image(path, media.sniff(path)).width == rendition.width  # the asset's size
    assert is_red(image.getpixel((2990, 10)))  # the stored top-left block, shown at the top right
    assert not is_red(image.getpixel((10, 10)))
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment"} & set(image.info)
    assert samples.SECRET_COMMENT not in rendition.data
    assert samples.TRAILING_PAYLOAD not in rendition.data


def test_a_rotated_heic_is_decoded_the_right_way_up(sample_dir):
    rendition, _image = normalised(samples.heic(sample_dir / "IMG_0002.HEIC", (240, 160), orientation=6))

    assert (rendition.width, rendition.height) == (160, 240)


def test_transparency_is_flattened_on_white(sample_dir):
    _rendition, image = normalised(samples.png_alpha(sample_dir / "cutout.png"))

    assert image.size == (640, 480)
    assert min(image.getpixel((5, 5))) > 240  # transparent (hidden colour black) shows as white
    assert is_red(image.getpixel((320, 240)))


def test_colours_are_converted_to_srgb(sample_dir):
    _rendition, image = normalised(samples.red_jpeg_with_swapped_profile(sample_dir / "profiled.jpg"))

    r, g, b = image.getpixel((10, 10))
    assert (b > 180, r < 90, g < 90) == (True, True, True)  # stored red, meant (by its profile) to be shown blue


def test_the_pixel_cap_still_holds(sample_dir):
    with pytest.raises(media.MediaError) as caught:
        media.normalised_image(path := samples.png_bomb(sample_dir / "bomb.png"), media.sniff(path))

    assert caught.value.code == "too_many_pixels"
