"""A project as one zip: its scripts as uploaded, each breakdown as JSON and per-tab CSV, the
assistant conversation as Markdown, and the linked library items' originals."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from typing import IO

from assets import storage
from projects import breakdown_answer
from projects.models import Breakdown, Project
from projects.selectors import chat_history, project_assets, project_breakdowns, project_scripts

MAX_LINKED_ITEMS = 500


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", name).strip() or "file"


def breakdown_csv(job: Breakdown, tab: str) -> str:
    """One tab of a breakdown as CSV (scene lists joined with spaces)."""
    rows = (job.result or {}).get(tab, [])
    out = io.StringIO()
    columns = {
        "scenes": ["number", "heading", "int_ext", "time_of_day", "page_start", "page_end", "synopsis"],
        "characters": ["name", "description", "scenes"],
        "costumes": ["name", "character", "scenes"],
    }.get(tab, ["name", "scenes"])
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [" ".join(str(n) for n in row.get(c, [])) if c == "scenes" else row.get(c, "") for c in columns]
        )
    return out.getvalue()


def project_zip(project: Project) -> IO[bytes]:
    """The zip, in a temporary file positioned at its start."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 -- handed to the response
    store = storage.storage()
    used: set[str] = set()

    def unique(path: str) -> str:
        stem, dot, ext = path.rpartition(".")
        candidate, n = path, 1
        while candidate in used:
            n += 1
            candidate = f"{stem} ({n}).{ext}" if dot else f"{path} ({n})"
        used.add(candidate)
        return candidate

    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = [f"# {project.name}", "", project.description or "", ""]
        for script in project_scripts(project):
            try:
                with store.open(script.file_key, "rb") as fh:
                    archive.writestr(unique(f"scripts/{_safe(script.filename)}"), fh.read())
            except (FileNotFoundError, OSError):
                readme.append(f"- The file of “{script.title}” is missing from storage.")
        for job in project_breakdowns(project):
            if job.status != "succeeded":
                continue
            folder = unique(f"breakdowns/{_safe(job.script.title)}")
            archive.writestr(f"{folder}/breakdown.json", json.dumps(job.result, indent=2, ensure_ascii=False))
            for tab in breakdown_answer.TABS:
                archive.writestr(f"{folder}/{tab}.csv", breakdown_csv(job, tab))
        messages = chat_history(project)
        if messages:
            lines = [f"# Assistant conversation · {project.name}", ""]
            for m in messages:
                lines += [f"## {m.question}", "", m.answer or "(no answer)", ""]
                lines += [f"- [S{s['n']}] {s['title']}" for s in m.sources] + [""]
            archive.writestr("assistant.md", "\n".join(lines))
        for asset in project_assets(project, limit=MAX_LINKED_ITEMS):
            try:
                with store.open(asset.original_key, "rb") as fh:
                    name = _safe(asset.original_filename or f"{asset.title or asset.public_id}")
                    archive.writestr(unique(f"library/{name}"), fh.read())
            except (FileNotFoundError, OSError):
                readme.append(f"- The file of library item “{asset.title}” is missing from storage.")
        archive.writestr("README.md", "\n".join(readme) + "\n")
    spool.seek(0)
    return spool
