"""Audio cleanup jobs: the filters on audio files and a video's sound, formats in and out, the
noise profile, and what is refused (silence, clipping, two hours, a video without sound)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets import storage
from assets.services import asset_create_from_bytes
from billing.services import credits_available
from core.exceptions import DomainError
from core.jobs import JobStatus
from tools import audio, ffmpeg, services
from tools.models import ToolJob
from tools.tests import fixtures


def _levels(asset, tmp_path):
    path = tmp_path / f"x{asset.original_key[-4:]}"
    with storage.storage().open(asset.original_key, "rb") as fh:
        path.write_bytes(fh.read())
    return ffmpeg.probe(path)


def _upload(org, people, name, data):
    return audio.audio_upload(org=org, user=people.member, upload=SimpleUploadedFile(name, data))


def test_cleaning_with_a_noise_profile_lowers_the_noise_and_normalises_loudness(run, org, people, fund, recording):
    fund(100)
    data = {"denoise": "on", "noise_start": "0", "noise_end": "0.45", "hum": "50", "highpass": "80", "deess": "on"}
    job = run(audio.cleanup_start, org=org, user=people.member, asset=recording, data={**data, "loudness": "-16"})
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert credits_available(org) == 90
    result = job.result
    assert result.mime == "audio/wav"
    assert list(result.parents.all()) == [recording]
    floor = round(result.metadata["recipe"]["noise_floor_db"])
    assert f"afftdn=nr=20:nf={floor}" in result.metadata["recipe"]["filters"]
    assert result.metadata["recipe"]["loudness"] == -16
    assert abs(result.duration - recording.duration) < 0.1
    assert -31 < result.metadata["recipe"]["noise_floor_db"] < -25
    # Against the voice, the hiss and hum (alone in the first half second) are much quieter.
    before = _db(recording, "-ss", "1") - _db(recording, "-t", "0.4")
    after = _db(result, "-ss", "1") - _db(result, "-t", "0.4")
    assert after > before + 10, (before, after)


def _db(asset, *cut) -> float:
    import re
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("in." + asset.original_key.rsplit(".", 1)[1])
        with storage.storage().open(asset.original_key, "rb") as fh:
            path.write_bytes(fh.read())
        done = subprocess.run(
            [ffmpeg.exe(), *cut, "-i", str(path), "-af", "volumedetect", "-f", "null", "-"],
            capture_output=True,
            text=True,
            check=True,
        )
    return float(re.search(r"mean_volume: (-?[\d.]+)", done.stderr).group(1))


@pytest.mark.parametrize(("fmt_in", "fmt_out", "mime"), [("mp3", "m4a", "audio/mp4"), ("m4a", "mp3", "audio/mpeg")])
def test_mp3_and_m4a_in_and_out(run, org, people, fund, fmt_in, fmt_out, mime):
    fund(100)
    source = _upload(org, people, f"voice.{fmt_in}", fixtures.recording(fmt_in))
    assert source.mime.startswith("audio/")
    job = run(
        audio.cleanup_start, org=org, user=people.member, asset=source, data={"highpass": "100", "format": fmt_out}
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.mime == mime
    assert job.result.original_filename == f"voice cleaned.{fmt_out}"


def test_a_videos_sound_is_cleaned_and_remuxed_with_the_picture(run, org, people, fund):
    fund(100)
    video = asset_create_from_bytes(org=org, data=fixtures.clip(), filename="talk.mp4")
    job = run(audio.cleanup_start, org=org, user=people.member, asset=video, data={"loudness": "-23"})
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.kind == "video"
    assert job.result.metadata["media"]["has_audio"]
    assert (job.result.width, job.result.height) == (video.width, video.height)


def test_a_video_without_sound_is_refused(org, people, fund):
    fund(100)
    mute = asset_create_from_bytes(org=org, data=fixtures.clip(audio=False), filename="mute.mp4")
    with pytest.raises(DomainError, match="no sound"):
        audio.cleanup_start(org=org, user=people.member, asset=mute, data={"loudness": "-16"})


def test_silence_fails_without_a_charge(run, org, people, fund):
    fund(100)
    quiet = _upload(org, people, "room.wav", fixtures.silence())
    job = run(audio.cleanup_start, org=org, user=people.member, asset=quiet, data={"loudness": "-16"})
    assert job.status == JobStatus.FAILED
    assert "silent" in job.error
    assert credits_available(org) == 100


def test_clipping_only_fails_without_a_charge(run, org, people, fund):
    fund(100)
    harsh = _upload(org, people, "harsh.wav", fixtures.clipped())
    job = run(audio.cleanup_start, org=org, user=people.member, asset=harsh, data={"denoise": "on"})
    assert job.status == JobStatus.FAILED
    assert "clipped" in job.error
    assert credits_available(org) == 100


def test_a_two_hour_recording_is_refused_with_the_limit(org, people):
    with pytest.raises(DomainError, match=r"“long.mp3”: This recording is 2 h long; audio cleanup takes up to 1 h"):
        _upload(org, people, "long.mp3", fixtures.two_hours())
    assert not storage.storage().exists(f"{storage.org_prefix(org)}/audio")


def test_a_file_that_isnt_audio_is_refused(org, people):
    with pytest.raises(DomainError, match="isn't an MP3, WAV or M4A"):
        _upload(org, people, "notes.wav", b"hello, not a recording")
    with pytest.raises(DomainError, match="has pictures in it"):
        _upload(org, people, "clip.m4a", fixtures.clip())


def test_choices_outside_the_offered_ones_are_refused(org, people, recording, fund):
    fund(100)
    for data, words in [
        ({}, "Choose at least one"),
        ({"loudness": "-3"}, "loudness targets"),
        ({"hum": "55"}, "50 Hz or 60 Hz"),
        ({"denoise": "on", "noise_start": "2", "noise_end": "9"}, "inside the recording"),
        ({"highpass": "80", "format": "flac"}, "MP3, a WAV or an M4A"),
    ]:
        with pytest.raises(DomainError, match=words):
            audio.cleanup_start(org=org, user=people.member, asset=recording, data=data)
    assert not ToolJob.objects.exists()


def test_a_cleanup_that_overruns_fails_and_returns_the_credits(run, org, people, fund, recording, settings):
    fund(100)
    settings.TOOLS_TIMEOUT_SECONDS = 0.000001
    job = run(audio.cleanup_start, org=org, user=people.member, asset=recording, data={"denoise": "on"})
    assert job.status == JobStatus.FAILED
    assert "took longer than" in job.error
    assert credits_available(org) == 100


def test_cancelling_before_the_worker_runs_it_keeps_nothing(org, people, fund, recording):
    fund(100)
    job = audio.cleanup_start(org=org, user=people.member, asset=recording, data={"denoise": "on"})
    services.tool_cancel(job=job, user=people.member)
    services.tool_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.result is None
    assert credits_available(org) == 100
