"""The demo provider's video work: real, playable H.264 MP4s in the shape, length and frame rate
asked for, always labelled; Animate takes the reference video's motion; the face swap really pastes
the face; a video upscale really resizes."""

import io
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from assets import storage
from characters.tests.photos import FACES_DIR
from providers.adapters import demo, demo_video
from providers.adapters.base import ProviderError
from providers.contracts.shapes import sample_mp4

pytestmark = pytest.mark.django_db

FACES = FACES_DIR


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _store(name: str, data: bytes) -> str:
    return "storage:" + storage.storage().save(name, ContentFile(data))


def _jpeg(size, color=(200, 150, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def _video_facts(url: str, tmp_path) -> dict:
    path = tmp_path / "out.mp4"
    with storage.storage().open(url.removeprefix("storage:"), "rb") as fh:
        path.write_bytes(fh.read())
    assert path.read_bytes()[4:8] == b"ftyp"
    facts = demo_video.probe(path)
    report = demo_video._ffmpeg(["-i", str(path)], check=False)
    facts["h264"] = "Video: h264" in report
    facts["audio"] = "Audio: aac" in report
    facts["first_frame"] = _frame(path, tmp_path, 0.0)
    return facts


def _frame(path: Path, tmp_path, at: float) -> Image.Image:
    still = tmp_path / f"frame-{at}.png"
    demo_video._ffmpeg(["-ss", str(at), "-i", str(path), "-frames:v", "1", "-y", str(still)])
    return Image.open(still).convert("RGB")


def test_ltx_renders_a_16_9_h264_clip_of_the_asked_length_and_rate_with_sound(tmp_path):
    ref = _store("orgs/x/assets/a/original.jpg", _jpeg((600, 800)))  # portrait: LTX-2 crops it to 16:9
    output = demo._work(
        "fal-ai/ltx-2/image-to-video",
        "demo-ltx",
        {"image_url": ref, "prompt": "she turns", "duration": "8", "fps": "25", "resolution": "1080p"},
    )
    video = output["video"]
    facts = _video_facts(video["url"], tmp_path)
    assert (facts["width"], facts["height"]) == (854, 480) == (video["width"], video["height"])
    assert facts["duration"] == pytest.approx(8.0, abs=0.1)
    assert facts["fps"] == 25
    assert facts["h264"]
    assert facts["audio"]  # a silent track: sound was asked for; the label says it's silent


def test_wan_keeps_a_portrait_image_portrait_and_makes_no_sound(tmp_path):
    ref = _store("orgs/x/assets/a/original.jpg", _jpeg((600, 1000)))
    output = demo._work(
        "fal-ai/wan/v2.2-a14b/image-to-video",
        "demo-wan",
        {"image_url": ref, "prompt": "hair in the wind", "num_frames": 97, "frames_per_second": 16},
    )
    facts = _video_facts(output["video"]["url"], tmp_path)
    assert (facts["width"], facts["height"]) == (480, 854)
    assert facts["duration"] == pytest.approx(97 / 16, abs=0.1)
    assert facts["fps"] == 16
    assert not facts["audio"]


def test_every_frame_carries_the_demo_label_in_the_corner(tmp_path):
    # A plain mid-grey image: whatever is dark-boxed-and-white in the corner is the label.
    ref = _store("orgs/x/assets/a/original.jpg", _jpeg((1280, 720), (128, 128, 128)))
    output = demo._work("fal-ai/ltx-2/image-to-video", "demo-label", {"image_url": ref, "prompt": "x", "duration": "6"})
    path = tmp_path / "label.mp4"
    with storage.storage().open(output["video"]["url"].removeprefix("storage:"), "rb") as fh:
        path.write_bytes(fh.read())
    for at in (0.0, 5.5):
        corner = np.asarray(_frame(path, tmp_path, at).crop((0, 0, 240, 90)).convert("L"))
        assert (corner < 50).mean() > 0.3, "the dark label box"
        assert (corner > 200).mean() > 0.03, "white letters on it"
    middle = np.asarray(_frame(path, tmp_path, 3.0).crop((400, 200, 450, 250)).convert("L"))
    assert abs(float(middle.mean()) - 128) < 12, "the picture itself is the source image"


def test_the_camera_moves(tmp_path):
    image = Image.effect_noise((800, 450), 80).convert("RGB")  # texture, so a move shows
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    ref = _store("orgs/x/assets/a/original.jpg", buffer.getvalue())
    output = demo._work("fal-ai/ltx-2/image-to-video", "demo-move", {"image_url": ref, "prompt": "x"})
    path = tmp_path / "move.mp4"
    with storage.storage().open(output["video"]["url"].removeprefix("storage:"), "rb") as fh:
        path.write_bytes(fh.read())
    first = np.asarray(_frame(path, tmp_path, 0.0).crop((300, 200, 700, 440)), dtype=float)
    last = np.asarray(_frame(path, tmp_path, 5.8).crop((300, 200, 700, 440)), dtype=float)
    assert np.abs(first - last).mean() > 10


@pytest.mark.parametrize(("mode", "backdrop"), [("replace", "video"), ("move", "image")])
def test_animate_takes_the_reference_videos_motion_and_length(tmp_path, mode, backdrop):
    clip = _store("orgs/x/assets/v/original.mp4", sample_mp4(320, 180, 3.0, 25, True))
    still = _store("orgs/x/assets/f/original.jpg", _jpeg((320, 180), (20, 200, 40)))
    output = demo._work(f"fal-ai/wan/v2.2-14b/animate/{mode}", "demo-anim", {"video_url": clip, "image_url": still})
    facts = _video_facts(output["video"]["url"], tmp_path)
    assert (facts["width"], facts["height"]) == (854, 480)
    assert facts["duration"] == pytest.approx(3.0, abs=0.15)
    assert facts["fps"] == 16
    middle = np.asarray(facts["first_frame"].crop((300, 300, 500, 460)), dtype=float).mean(axis=(0, 1))
    is_green = middle[1] > 150 and middle[0] < 80
    assert is_green == (backdrop == "image")


def test_the_video_upscale_really_resizes_and_keeps_the_sound(tmp_path):
    clip = _store("orgs/x/assets/v/original.mp4", sample_mp4(320, 180, 2.0, 25, True))
    output = demo._work("fal-ai/seedvr/upscale/video", "demo-up", {"video_url": clip, "upscale_factor": 2})
    facts = _video_facts(output["video"]["url"], tmp_path)
    assert (facts["width"], facts["height"]) == (640, 360)
    assert facts["duration"] == pytest.approx(2.0, abs=0.1)
    assert facts["audio"]


def test_the_face_swap_pastes_the_characters_face_over_the_targets(tmp_path):
    face = _store("orgs/x/a.jpg", (FACES / "person-a-1.jpg").read_bytes())
    target = _store("orgs/x/b.jpg", (FACES / "person-b-1.jpg").read_bytes())
    output = demo._work(
        "easel-ai/advanced-face-swap",
        "demo-swap",
        {
            "face_image_0": {"url": face},
            "gender_0": "male",
            "target_image": {"url": target},
            "workflow_type": "target_hair",
        },
    )
    with storage.storage().open(output["image"]["url"].removeprefix("storage:"), "rb") as fh:
        result = Image.open(fh).convert("RGB")
    original = Image.open(FACES / "person-b-1.jpg").convert("RGB")
    assert result.size == original.size
    difference = np.abs(np.asarray(result, dtype=float) - np.asarray(original, dtype=float)).mean(axis=2)
    box = demo._face_box(original)
    left, top, right, bottom = (round(v) for v in box)
    assert difference[top:bottom, left:right].mean() > 20, "the face changed"
    assert difference[: max(1, top // 2), :].mean() < 3, "the rest of the frame did not"


def test_a_face_swap_without_a_face_in_the_target_says_so():
    face = _store("orgs/x/a.jpg", (FACES / "person-a-1.jpg").read_bytes())
    blank = _store("orgs/x/b.jpg", _jpeg((400, 400)))
    with pytest.raises(ProviderError, match="No face was found in the target image"):
        demo._work(
            "easel-ai/advanced-face-swap",
            "demo-noface",
            {
                "face_image_0": {"url": face},
                "gender_0": "male",
                "target_image": {"url": blank},
                "workflow_type": "target_hair",
            },
        )


def test_an_unreadable_input_video_fails_with_words():
    garbage = _store("orgs/x/v.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    still = _store("orgs/x/f.jpg", _jpeg((320, 180)))
    with pytest.raises(ProviderError, match="couldn't read the input video"):
        demo._work("fal-ai/wan/v2.2-14b/animate/replace", "demo-bad", {"video_url": garbage, "image_url": still})
