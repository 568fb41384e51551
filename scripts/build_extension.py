"""`make extension`: the Chrome Web Store zip of extension/ (manifest.json at its root).

The version comes from one place, extension/manifest.json. EXTENSION_API_ORIGIN (default
https://personae.example) sets the app the build talks to: it is written into config.js and the
manifest's host permission, connect-page match and externally_connectable. Dev-only parts (a
manifest "key", dotfiles, source maps) are left out. Stdlib only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "extension"
DIST = ROOT / "dist"
DEFAULT_ORIGIN = "https://personae.example"


def build(origin: str = DEFAULT_ORIGIN) -> Path:
    origin = origin.rstrip("/")
    if not re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?", origin):
        raise SystemExit(f"EXTENSION_API_ORIGIN must be an https origin, not {origin!r}")
    manifest = json.loads((SOURCE / "manifest.json").read_text())
    version = manifest["version"]
    if not re.fullmatch(r"\d{1,5}(\.\d{1,5}){0,3}", version):
        raise SystemExit(f"manifest.json version {version!r} isn't 1-4 dot-separated integers")
    manifest.pop("key", None)
    text = json.dumps(manifest, indent=2).replace(DEFAULT_ORIGIN, origin)
    with tempfile.TemporaryDirectory() as work:
        stage = Path(work) / "stage"
        shutil.copytree(SOURCE, stage, ignore=shutil.ignore_patterns(".*", "*.map", "tests", "__pycache__", "*.md"))
        (stage / "manifest.json").write_text(text + "\n")
        config = (stage / "config.js").read_text().replace(DEFAULT_ORIGIN, origin)
        (stage / "config.js").write_text(config)
        DIST.mkdir(exist_ok=True)
        out = DIST / f"style-extractor-{version}.zip"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(stage.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(stage)), date_time=(1980, 1, 1, 0, 0, 0))
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return out


if __name__ == "__main__":
    path = build(os.environ.get("EXTENSION_API_ORIGIN", DEFAULT_ORIGIN))
    print(f"Built {path.relative_to(ROOT)}")
    sys.exit(0)
