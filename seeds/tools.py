"""Demo workspace: a recording for Audio cleanup to work on (the library takes images and videos;
recordings come in through the Tools page). Idempotent: it is added once per organisation."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from tools import audio, ffmpeg

TITLE = "Test tone over hiss and hum"
# Half a second of hiss and 50 Hz hum alone (a quiet stretch to select), then a tone over them.
NOISY = (
    "sine=frequency=220:sample_rate=44100:duration=8,volume=4,adelay=1000|1000[v];"
    "anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=9[n];"
    "sine=frequency=50:sample_rate=44100:duration=9,volume=0.2[h];[v][n][h]amix=inputs=3:normalize=0"
)


def seed(org, user) -> None:
    if Asset.objects.filter(org=org, kind=Asset.Kind.FILE, title=TITLE).exists():
        return
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"{TITLE}.wav"
        subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments
            [
                ffmpeg.exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-filter_complex",
                NOISY,
                "-c:a",
                "pcm_s16le",
                str(out),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        audio.audio_upload(org=org, user=user, upload=SimpleUploadedFile(out.name, out.read_bytes()))
