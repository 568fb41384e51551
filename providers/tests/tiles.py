"""The check that a demo output says DEMO legibly where the library and the Studio show it: the
300 px thumbnail in a 150 px square grid tile (``object-fit: cover``)."""

from PIL import Image, ImageOps

from providers.adapters import demo_render


def band_in_tile(image: Image.Image) -> None:
    """Fails unless the "DEMO · not AI" band reads in the 150 px tile: at least 10 px tall, with
    white letters at least 6 px tall spanning most of the tile."""
    thumb = image.convert("RGB")
    thumb.thumbnail((300, 300))
    tile = ImageOps.fit(thumb, (150, 150))
    band_rows = [
        y
        for y in range(150)
        if sum(
            1
            for x in range(150)
            if max(abs(a - b) for a, b in zip(tile.getpixel((x, y)), demo_render.BAND_COLOUR, strict=True)) < 30
        )
        > 40
    ]
    assert len(band_rows) >= 10, "the DEMO band is at least 10 px tall in the tile"
    text_rows = [y for y in band_rows if sum(1 for x in range(150) if min(tile.getpixel((x, y))) > 200) >= 3]
    assert len(text_rows) >= 6, "its white letters are at least 6 px tall in the tile"
    columns = [x for x in range(150) if any(min(tile.getpixel((x, y))) > 200 for y in text_rows)]
    assert max(columns) - min(columns) >= 60, "the words span most of the tile"
