"""Pieces the endpoint contracts share: fal's image sizes, LoRA weights, image and video outputs."""

from __future__ import annotations

import functools
import json
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from providers.contracts import OutputFiles


class Strict(BaseModel):
    """A request object that refuses fields it doesn't know, as the providers' validators do."""

    model_config = ConfigDict(extra="forbid")


ImagePreset = Literal["square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]
PRESET_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


class ImageSize(Strict):
    width: Annotated[int, Field(gt=0, le=14142)] = 512
    height: Annotated[int, Field(gt=0, le=14142)] = 512


# fal takes a preset name or an explicit {width, height}.
ImageSizeField = ImagePreset | ImageSize

NumImages = Annotated[int, Field(ge=1, le=4)]
Steps = Annotated[int, Field(ge=1, le=50)]
Seed = Annotated[int, Field(ge=0)]


class LoraWeight(Strict):
    path: str
    scale: float | None = None
    force: bool | None = None


def pixel_size(image_size: object, default: str = "landscape_4_3") -> tuple[int, int]:
    """The width and height an ``image_size`` argument (preset, object or absent) asks for."""
    if isinstance(image_size, dict):
        return int(image_size.get("width", 512)), int(image_size.get("height", 512))
    if isinstance(image_size, str):
        return PRESET_SIZES[image_size]
    return PRESET_SIZES[default]


def content_type(output_format: str | None, default: str = "jpeg") -> str:
    fmt = output_format or default
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[fmt]


def images_output(
    arguments: dict, files: OutputFiles, *, size: tuple[int, int] | None = None, default_format: str = "jpeg"
) -> dict:
    """fal's ``{images: [...], seed, has_nsfw_concepts, prompt, timings}`` for ``num_images`` images."""
    count = int(arguments.get("num_images") or 1)
    width, height = size or pixel_size(arguments.get("image_size"))
    kind = content_type(arguments.get("output_format"), default_format)
    return {
        "images": [files.image(width=width, height=height, content_type=kind) for _ in range(count)],
        "timings": {"inference": 1.84},
        "seed": arguments.get("seed", 1234567),
        "has_nsfw_concepts": [False] * count,
        "prompt": arguments.get("prompt", ""),
    }


def source_or(files: OutputFiles, url: object, default: tuple[int, int] = (1024, 768)) -> tuple[int, int]:
    """The size of the input image at ``url`` when the emulator knows it, else ``default``."""
    return (files.source_size(url) if isinstance(url, str) else None) or default


def safetensors_sample() -> bytes:
    """A small valid safetensors file: an 8-byte little-endian header length, the JSON header, the data."""
    header = json.dumps(
        {
            "__metadata__": {"format": "pt"},
            "transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": {
                "dtype": "F32",
                "shape": [2, 2],
                "data_offsets": [0, 16],
            },
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + struct.pack("<4f", 0.1, 0.2, 0.3, 0.4)


def trained_lora_output(arguments: dict, files: OutputFiles) -> dict:
    """A trainer's ``{diffusers_lora_file, config_file}``."""
    config = json.dumps({"steps": arguments.get("steps", 1000), "trigger": arguments.get("trigger_word")}).encode()
    return {
        "diffusers_lora_file": files.file(
            "pytorch_lora_weights.safetensors", safetensors_sample(), "application/octet-stream"
        ),
        "config_file": files.file("config.json", config, "application/json"),
    }


# --- Video ------------------------------------------------------------------------------------------

# The size a sample video is drawn at, by aspect: small, so tests stay fast, in the shape asked for.
SAMPLE_VIDEO_SIZES = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (240, 240)}


@functools.cache
def sample_mp4(width: int, height: int, seconds: float, fps: int, audio: bool) -> bytes:
    """A real, playable H.264 MP4 (ffmpeg's test pattern, with a tone when ``audio``), made by the
    ``imageio-ffmpeg`` binary: what a video endpoint's sample output serves."""
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory(prefix="contract-video-") as folder:
        out = Path(folder) / "sample.mp4"
        sources = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]
        if audio:
            sources += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
        subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
                *sources,
                *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
                *(["-c:a", "aac", "-b:a", "32k"] if audio else []),
                *("-movflags", "+faststart", "-t", str(seconds), str(out)),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()


def video_output(
    files: OutputFiles, *, aspect: str, seconds: float, fps: int, audio: bool = False, described: bool = True
) -> dict:
    """fal's video file: a ``VideoFile`` (``described``: with width, height, fps, duration and frames,
    as LTX-2 answers) or a plain ``File`` (Wan and SeedVR answer only where it is)."""
    width, height = SAMPLE_VIDEO_SIZES.get(aspect, SAMPLE_VIDEO_SIZES["16:9"])
    video = files.file("output.mp4", sample_mp4(width, height, seconds, fps, audio), "video/mp4")
    if described:
        video.update(width=width, height=height, fps=fps, duration=seconds, num_frames=round(seconds * fps))
    return video
