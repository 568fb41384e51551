"""assets.media on videos: probing, posters, rotation, limits and damaged files."""

import dataclasses

import numpy as np
import pytest

from assets import media
from assets.tests import media_samples as samples
from assets.tests.media_samples import process as _process
from assets.tests.media_samples import rendition_image as _rendition_image

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
        "scrub": {"frames": 10, "width": 240, "height": 180},
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


def test_a_scrub_strip_shows_ten_moments_side_by_side(clip_mp4):
    strip = _rendition_image(clip_mp4.scrub)
    assert strip.size == (2400, 180) == (clip_mp4.scrub.width, clip_mp4.scrub.height)
    first, last = strip.crop((0, 0, 240, 180)), strip.crop((2160, 0, 2400, 180))
    # The test pattern moves: the first and the last tenth of the clip look different.
    difference = np.abs(np.asarray(first.convert("L"), dtype=float) - np.asarray(last.convert("L"), dtype=float))
    assert difference.mean() > 5
    assert dict(strip.getexif()) == {}


def test_a_portrait_video_gets_portrait_scrub_frames(sample_dir):
    result = _process(samples.rotated_mp4(sample_dir / "portrait-strip.mp4"))
    assert result.metadata["scrub"] == {"frames": 10, "width": 240, "height": 320}


def test_a_video_whose_strip_cant_be_made_keeps_its_poster(monkeypatch, sample_dir):
    real = media.video._run_ffmpeg

    def no_strip(args):
        if "[strip]" in args:
            raise media.MediaError("We couldn't read this video in time", "corrupt")
        return real(args)

    monkeypatch.setattr(media.video, "_run_ffmpeg", no_strip)
    result = _process(samples.mp4(sample_dir / "no-strip.mp4", audio=False))
    assert result.scrub is None
    assert "scrub" not in result.metadata
    assert result.poster.width == 320


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


def test_a_transparent_webm_keeps_its_alpha_flag_when_its_metadata_is_stripped(sample_dir):
    """Players show a WebM's alpha only when its track header says it has one (Matroska's
    AlphaMode); the rewrite that drops metadata must write it again."""
    path = sample_dir / "cutout.webm"
    samples._ffmpeg(
        *samples._test_pattern("320x240", "10", 1),
        *("-vf", "format=yuva420p,geq=lum='lum(X,Y)':a='if(lt(X,160),255,0)'"),
        *("-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm"),
        str(path),
    )
    alpha_mode = b"\x53\xc0\x81\x01"
    assert alpha_mode in path.read_bytes()
    out = sample_dir / "clean.webm"

    media.video.remux_without_metadata(path, media.Sniffed("video/webm", "video", "webm"), out)

    assert alpha_mode in out.read_bytes()
    plain = sample_dir / "plain.webm"
    media.video.remux_without_metadata(
        samples.webm(sample_dir / "vp8.webm"), media.Sniffed("video/webm", "video", "webm"), plain
    )
    assert alpha_mode not in plain.read_bytes()
