"""The demo provider's video work: real, playable H.264 MP4s made by the ``imageio-ffmpeg`` binary,
each labelled "DEMO · not AI" in a corner at a size that stays legible in any player.

- **Image → video** (LTX-2 Pro and Fast, Wan 2.2): the source image with a slow camera move (a
  zoom with a little drift), at the requested duration, aspect ratio and frame rate; LTX-2 crops
  to 16:9 as the real model does; a silent sound track when sound was asked for (nothing is
  composed). Rendered at 480 px on the short side, whatever resolution was asked (the label says so).
- **Animate** (Wan 2.2 Animate): the motion is the reference video's own. *Replace* shows the
  reference video with the identity image as an inset; *move* shows the identity image with the
  reference video as an inset: nothing is re-animated.
- **Video upscale** (SeedVR): a real Lanczos resize, at most 1920 px on the long side.
- **Face swap**: the character's face really pasted over the face dlib finds in the target image,
  feathered at the edge. A paste, not a swap: the label says so.

Inputs are ``storage:<key>`` references into our own storage, as for every demo call.
"""

from __future__ import annotations

import functools
import random
import re
import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from providers.adapters.base import ProviderError

LTX_ENDPOINTS = {"fal-ai/ltx-2/image-to-video", "fal-ai/ltx-2/image-to-video/fast"}
WAN_ENDPOINTS = {"fal-ai/wan/v2.2-a14b/image-to-video"}
IMAGE_TO_VIDEO_ENDPOINTS = LTX_ENDPOINTS | WAN_ENDPOINTS
ANIMATE_ENDPOINTS = {"fal-ai/wan/v2.2-14b/animate/move", "fal-ai/wan/v2.2-14b/animate/replace"}
VIDEO_UPSCALE_ENDPOINTS = {"fal-ai/seedvr/upscale/video"}
FACE_SWAP_ENDPOINTS = {"easel-ai/advanced-face-swap"}
ENDPOINTS = IMAGE_TO_VIDEO_ENDPOINTS | ANIMATE_ENDPOINTS | VIDEO_UPSCALE_ENDPOINTS | FACE_SWAP_ENDPOINTS

SHORT_SIDE = 480  # what the demo renders, whatever was asked
UPSCALE_MAX_SIDE = 1920
MAX_SECONDS = 120.0
FFMPEG_TIMEOUT = 180
ANIMATE_FPS = 16  # Wan's frame rate
ZOOM = 0.12  # how far the camera moves in over the clip
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #\S+.*Video: .*?[ ,](\d{2,5})x(\d{2,5})[ ,\]]")
_FPS = re.compile(r"([\d.]+) fps")
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


def work(endpoint_id: str, request_id: str, arguments: dict) -> dict:
    """Do one video endpoint's demo work; fal's output shape."""
    if endpoint_id in IMAGE_TO_VIDEO_ENDPOINTS:
        return image_to_video(endpoint_id, request_id, arguments)
    if endpoint_id in ANIMATE_ENDPOINTS:
        return animate(endpoint_id, request_id, arguments)
    if endpoint_id in VIDEO_UPSCALE_ENDPOINTS:
        return upscale(request_id, arguments)
    return face_swap(request_id, arguments)


# --- Image → video ----------------------------------------------------------------------------------


def image_to_video(endpoint_id: str, request_id: str, arguments: dict) -> dict:
    from providers.adapters.demo import _open_input

    source = _open_input(arguments["image_url"])
    if endpoint_id in LTX_ENDPOINTS:
        aspect = "16:9"  # LTX-2's only shape: a portrait image is cropped to it
        fps = int(arguments.get("fps") or 25)
        seconds = float(arguments.get("duration") or 6)
        asked = str(arguments.get("resolution") or "1080p")
        audio = arguments.get("generate_audio", True) is not False
        model = "LTX-2 Fast" if endpoint_id.endswith("/fast") else "LTX-2 Pro"
    else:
        aspect = arguments.get("aspect_ratio") or "auto"
        if aspect == "auto":
            aspect = nearest_aspect(source.width, source.height)
        fps = int(arguments.get("frames_per_second") or 16)
        seconds = round(int(arguments.get("num_frames") or 81) / fps, 3)
        asked = str(arguments.get("resolution") or "720p")
        audio = False
        model = "Wan 2.2"
    width, height = demo_size(aspect)
    detail = f"{model} · {_seconds(seconds)} · {asked} asked, shown at {SHORT_SIDE}p" + (" · silent" if audio else "")
    with tempfile.TemporaryDirectory(prefix="demo-video-") as folder:
        work_dir = Path(folder)
        still = work_dir / "still.png"
        # Twice the output size, so the slow zoom moves in sub-pixel steps rather than jumps.
        # Cropped a little above the middle: a portrait's face is in its upper part.
        ImageOps.fit(source, (width * 2, height * 2), Image.Resampling.LANCZOS, centering=(0.5, 0.35)).save(still)
        label = _label_png(work_dir / "label.png", width, height, detail)
        frames = max(1, round(seconds * fps))
        drift = random.choice((-1, 1))
        zoom = f"1+{ZOOM}*on/{frames}"
        x = f"(iw-iw/zoom)*(0.5+{0.35 * drift}*on/{frames})"
        # One still, decoded once, that zoompan turns into every frame; the label is one frame too,
        # repeated by the overlay.
        inputs = ["-i", str(still), "-i", str(label)]
        if audio:
            inputs += ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"]
        graph = (
            f"[0:v]zoompan=z='{zoom}':x='{x}':y='(ih-ih/zoom)/2':d={frames}:s={width}x{height}:fps={fps}[moving];"
            "[moving][1:v]overlay=0:0,format=yuv420p[out]"
        )
        out = work_dir / "out.mp4"
        _ffmpeg(
            [
                *inputs,
                *("-filter_complex", graph, "-map", "[out]"),
                *(["-map", "2:a", "-c:a", "aac", "-b:a", "32k"] if audio else []),
                *("-frames:v", str(frames), "-t", f"{seconds:.3f}"),
                *_H264,
                str(out),
            ]
        )
        video = _save_video(request_id, out, width=width, height=height, fps=fps, seconds=seconds)
    if endpoint_id in LTX_ENDPOINTS:
        return {"video": video}
    return {"video": video, "prompt": str(arguments.get("prompt") or ""), "seed": arguments.get("seed", 0)}


def nearest_aspect(width: int, height: int) -> str:
    """The shape of ours closest to ``width`` × ``height``: 16:9, 9:16 or 1:1."""
    ratio = width / max(1, height)
    return min(ASPECTS, key=lambda key: abs(ratio - ASPECTS[key][0] / ASPECTS[key][1]))


def demo_size(aspect: str) -> tuple[int, int]:
    """The demo's frame size for an aspect ratio: 480 px on the short side, even numbers."""
    w, h = ASPECTS[aspect]
    long = round(SHORT_SIDE * max(w, h) / min(w, h) / 2) * 2
    return (long, SHORT_SIDE) if w > h else (SHORT_SIDE, long) if h > w else (SHORT_SIDE, SHORT_SIDE)


# --- Animate -----------------------------------------------------------------------------------------


def animate(endpoint_id: str, request_id: str, arguments: dict) -> dict:
    from providers.adapters.demo import _open_input

    replace = endpoint_id.endswith("/replace")
    identity = _open_input(arguments["image_url"])
    with tempfile.TemporaryDirectory(prefix="demo-animate-") as folder:
        work_dir = Path(folder)
        reference = _copy_input(arguments["video_url"], work_dir / "reference")
        facts = probe(reference)
        seconds = min(facts["duration"], MAX_SECONDS)
        width, height = _fit_short_side(facts["width"], facts["height"])
        still = work_dir / "identity.png"
        identity.save(still)
        mode = "replace" if replace else "move"
        what = "identity image as an inset" if replace else "your video as an inset"
        label = _label_png(
            work_dir / "label.png", width, height, f"Wan 2.2 Animate ({mode}) · motion from your video · {what}"
        )
        inset_h = max(64, round(height * 0.36) // 2 * 2)
        margin = max(8, height // 40)
        # replace: the reference video fills the frame; move: the identity image does.
        back, front = ("video", "image") if replace else ("image", "video")
        graph = (
            f"[0:v]fps={ANIMATE_FPS},scale={width}:{height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height},setsar=1[video];"
            f"[1:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1,"
            f"loop=loop=-1:size=1,fps={ANIMATE_FPS}[image];"
            f"[{front}]scale=-2:{inset_h},pad=iw+8:ih+8:4:4:white[inset];"
            f"[{back}][inset]overlay=W-w-{margin}:{margin}[both];"
            "[both][2:v]overlay=0:0,format=yuv420p[out]"
        )
        out = work_dir / "out.mp4"
        _ffmpeg(
            [
                *("-i", str(reference), "-i", str(still), "-i", str(label)),
                *("-filter_complex", graph, "-map", "[out]", "-an", "-t", f"{seconds:.3f}"),
                *_H264,
                str(out),
            ]
        )
        video = _save_video(request_id, out, width=width, height=height, fps=ANIMATE_FPS, seconds=seconds)
    return {"video": video, "prompt": "Demo animation (no model ran).", "seed": arguments.get("seed", 0)}


# --- Video upscale ----------------------------------------------------------------------------------


def upscale(request_id: str, arguments: dict) -> dict:
    targets = {"720p": 720, "1080p": 1080, "1440p": 1440, "2160p": 2160}
    with tempfile.TemporaryDirectory(prefix="demo-upscale-") as folder:
        work_dir = Path(folder)
        source = _copy_input(arguments["video_url"], work_dir / "source")
        facts = probe(source)
        if arguments.get("upscale_mode") == "target":
            factor = targets[arguments.get("target_resolution") or "1080p"] / min(facts["width"], facts["height"])
        else:
            factor = float(arguments.get("upscale_factor") or 2)
        capped = min(factor, UPSCALE_MAX_SIDE / max(facts["width"], facts["height"]))
        width, height = _even(facts["width"] * capped), _even(facts["height"] * capped)
        note = f"Lanczos {factor:g}× resize" + ("" if capped == factor else f", capped at {UPSCALE_MAX_SIDE} px")
        label = _label_png(work_dir / "label.png", width, height, note)
        graph = f"[0:v]scale={width}:{height}:flags=lanczos,setsar=1[big];[big][1:v]overlay=0:0,format=yuv420p[out]"
        out = work_dir / "out.mp4"
        _ffmpeg(
            [
                *("-i", str(source), "-i", str(label)),
                *("-filter_complex", graph, "-map", "[out]", "-map", "0:a?", "-c:a", "aac", "-b:a", "96k"),
                *("-t", f"{facts['duration']:.3f}"),
                *_H264,
                str(out),
            ]
        )
        fps = facts["fps"] or 25.0
        video = _save_video(request_id, out, width=width, height=height, fps=fps, seconds=facts["duration"])
    return {"video": video, "seed": arguments.get("seed", 0)}


# --- Face swap ----------------------------------------------------------------------------------------


def face_swap(request_id: str, arguments: dict) -> dict:
    """The face of ``face_image_0`` pasted, feathered, over the largest face in ``target_image``."""
    from providers.adapters.demo import _face_box, _label, _open_input, _save

    face_image = _open_input(arguments["face_image_0"]["url"])
    target = _open_input(arguments["target_image"]["url"])
    source_box, target_box = _face_box(face_image), _face_box(target)
    if target_box is None:
        raise ProviderError("No face was found in the target image, so there was nothing to swap.")
    if source_box is None:
        raise ProviderError("No face was found in the face image.")
    result = paste_face(face_image, source_box, target, target_box)
    _label(result, "Demo face swap · face pasted, not swapped · not AI")
    url, width, height = _save(request_id, result)
    return {"image": {"url": url, "width": width, "height": height, "content_type": "image/jpeg"}}


def paste_face(face_image: Image.Image, source_box, target: Image.Image, target_box) -> Image.Image:
    """``target`` with the face in ``source_box`` of ``face_image`` scaled onto ``target_box``
    (both grown to take in the chin and forehead) through a feathered oval."""
    grown_source, grown_target = _grow(source_box, face_image.size, 1.35), _grow(target_box, target.size, 1.35)
    width = grown_target[2] - grown_target[0]
    height = grown_target[3] - grown_target[1]
    patch = face_image.crop(grown_source).resize((width, height), Image.Resampling.LANCZOS)
    mask = Image.new("L", (width, height), 0)
    inset = max(2, min(width, height) // 10)
    ImageDraw.Draw(mask).ellipse((inset, inset, width - inset, height - inset), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(inset / 2))
    result = target.copy()
    result.paste(patch, grown_target[:2], mask)
    return result


def _grow(box, size: tuple[int, int], factor: float) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half_w, half_h = (right - left) * factor / 2, (bottom - top) * factor / 2
    return (
        max(0, round(cx - half_w)),
        max(0, round(cy - half_h * 1.1)),
        min(size[0], round(cx + half_w)),
        min(size[1], round(cy + half_h * 0.9)),
    )


# --- ffmpeg ----------------------------------------------------------------------------------------------

_H264 = [
    *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-pix_fmt", "yuv420p"),
    *("-movflags", "+faststart", "-y"),
]


@functools.cache
def _ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ffmpeg(args: list[str], *, check: bool = True) -> str:
    """Run the bundled ffmpeg; its report. Raises ``ProviderError`` when it fails (``check``)."""
    try:
        done = subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments, no shell
            [_ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ProviderError("The demo provider took too long to render this video.") from None
    report = done.stderr.decode("utf-8", errors="replace")
    if check and done.returncode != 0:
        raise ProviderError(f"The demo provider couldn't render this video ({_last_line(report)}).")
    return report


def probe(path: Path) -> dict:
    """Duration, size and frame rate of a video, from ffmpeg's report. Raises ``ProviderError``."""
    report = _ffmpeg(["-i", str(path)], check=False)  # no output named: ffmpeg reports, then exits 1
    duration, size = _DURATION.search(report), _VIDEO_SIZE.search(report)
    if duration is None or size is None:
        raise ProviderError("The demo provider couldn't read the input video.")
    hours, minutes, secs = duration.groups()
    fps = _FPS.search(report[size.start() :])
    return {
        "duration": int(hours) * 3600 + int(minutes) * 60 + float(secs),
        "width": int(size.group(1)),
        "height": int(size.group(2)),
        "fps": float(fps.group(1)) if fps else None,
    }


def _last_line(report: str) -> str:
    lines = [line.strip() for line in report.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no report"


def _copy_input(ref: str, path: Path) -> Path:
    """A ``storage:`` input copied to a local file ffmpeg can read."""
    if not ref.startswith("storage:"):
        raise ProviderError("The demo provider reads inputs from our own storage only.")
    try:
        with default_storage.open(ref.removeprefix("storage:"), "rb") as src, path.open("wb") as out:
            while chunk := src.read(1024 * 1024):
                out.write(chunk)
    except FileNotFoundError:
        raise ProviderError("The input video was deleted before the demo provider could read it.") from None
    return path


def _save_video(request_id: str, path: Path, *, width: int, height: int, fps: float, seconds: float) -> dict:
    data = path.read_bytes()
    key = default_storage.save(f"demo/{request_id}.mp4", ContentFile(data))
    return {
        "url": f"storage:{key}",
        "content_type": "video/mp4",
        "file_name": "demo.mp4",
        "file_size": len(data),
        "width": width,
        "height": height,
        "fps": fps,
        "duration": round(seconds, 3),
        "num_frames": round(seconds * fps),
    }


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _fit_short_side(width: int, height: int) -> tuple[int, int]:
    scale = SHORT_SIDE / min(width, height)
    return _even(width * scale), _even(height * scale)


def _seconds(seconds: float) -> str:
    return f"{seconds:g} s" if seconds == int(seconds) else f"{seconds:.1f} s"


def _label_png(path: Path, width: int, height: int, detail: str) -> Path:
    """A transparent overlay the size of the video: "DEMO · not AI" large, and what was asked for
    under it, white on a dark box in the top-left corner (players put their controls at the bottom)."""
    from providers.adapters.demo import _font, _lines

    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    # Sized to the short side: a tenth of it for "DEMO · not AI", readable in a small player too.
    big, small = max(16, min(width, height) // 10), max(11, min(width, height) // 26)
    pad = max(6, small // 2)
    title_font, detail_font = _font(big), _font(small)
    lines = _lines(draw, detail, detail_font, width * 3 // 5, 2)  # clear of an inset in the other corner
    boxes = [draw.textbbox((0, 0), "DEMO · not AI", font=title_font)] + [
        draw.textbbox((0, 0), line, font=detail_font) for line in lines
    ]
    box_w = max(b[2] - b[0] for b in boxes) + pad * 2
    heights = [round(b[3] - b[1]) for b in boxes]
    box_h = sum(heights) + pad * (len(boxes) + 1)
    draw.rectangle((pad, pad, pad + box_w, pad + box_h), fill=(17, 17, 27, 215))
    y = pad * 2
    for text, font, bbox, line_h in zip(
        ["DEMO · not AI", *lines], [title_font] + [detail_font] * len(lines), boxes, heights, strict=True
    ):
        draw.text((pad * 2, y - bbox[1]), text, font=font, fill=(255, 255, 255, 255))
        y += line_h + pad
    overlay.save(path)
    return path
