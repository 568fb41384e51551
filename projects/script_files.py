"""Reading an uploaded script into text: Fountain and plain text (UTF-8, UTF-16 or Latin-1; a
binary file is refused) and PDF through pypdf (a password-protected PDF or one with no text
layer, such as a scan, is refused with what to do). Also the token and page estimates the cost
is based on.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from core.exceptions import DomainError
from providers import screenplay

MAX_BYTES = 5 * 1024 * 1024  # 5 MB: a 500-page PDF screenplay is ~1-2 MB
MAX_PAGES = 600
EXTENSIONS = {".fountain": "fountain", ".spmd": "fountain", ".txt": "txt", ".pdf": "pdf"}
CHARS_PER_TOKEN = 4
LINES_PER_PAGE = 55  # a screenplay page, for texts that carry no page breaks


@dataclass(frozen=True)
class ScriptText:
    format: str
    text: str
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def tokens(self) -> int:
        return tokens_of(self.text)


def tokens_of(text: str) -> int:
    return max(1, len(text) // CHARS_PER_TOKEN)


def format_of(filename: str) -> str:
    """The script format by the file's extension. Raises ``DomainError``."""
    name = (filename or "").lower()
    for extension, kind in EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    raise DomainError("Upload a script as .fountain, .txt or .pdf.", field="file")


def script_read(filename: str, data: bytes) -> ScriptText:
    """The text of an uploaded script. Raises ``DomainError`` with words for the uploader."""
    kind = format_of(filename)
    if not data:
        raise DomainError("That file is empty.", field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(
            f"Scripts can be at most {MAX_BYTES // (1024 * 1024)} MB; this one is {len(data) / 1024 / 1024:.1f} MB.",
            field="file",
        )
    if kind == "pdf":
        text, pages = _pdf_text(data)
    else:
        text = _plain_text(data)
        pages = max(1, text.count("\f") + 1 if "\f" in text else -(-text.count("\n") // LINES_PER_PAGE))
    text = _normalise(text)
    if len(re.findall(r"\w", text)) < 20:
        raise DomainError("That script has almost no words in it. Check that it's the right file.", field="file")
    if pages > MAX_PAGES:
        raise DomainError(f"Scripts can be at most {MAX_PAGES} pages; this one has {pages}.", field="file")
    return ScriptText(format=kind, text=text, pages=pages)


def _plain_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise DomainError(
            "That file isn't text (it looks like a binary file renamed). Upload the script as .fountain, .txt or .pdf.",
            field="file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(text) / 100:
        raise DomainError(
            "That file isn't text (it looks like a binary file renamed). Upload the script as .fountain, .txt or .pdf.",
            field="file",
        )
    return text


def _pdf_text(data: bytes) -> tuple[str, int]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DomainError(
                "That PDF is password-protected. Export it again without a password (or as Fountain) and upload that.",
                field="file",
            )
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise DomainError(
            "That PDF couldn't be read: it may be damaged. Try exporting it again.", field="file"
        ) from None
    if not "".join(pages).strip():
        raise DomainError(
            "That PDF has no text layer (it looks like a scan or images of pages), so there's nothing to read. "
            "Upload the script's original PDF export, or a .fountain or .txt version.",
            field="file",
        )
    return "\f".join(_blocks(page) for page in pages), len(pages)


def _blocks(page: str) -> str:
    """A PDF page's lines with the blank lines screenplay structure needs: PDFs lose them, but keep
    the indentation that tells a character cue (far in) and dialogue (in) from action."""
    out: list[str] = []
    previous = ""
    for line in page.split("\n"):
        text = line.strip()
        if not text:
            previous = ""
            out.append("")
            continue
        indent = len(line) - len(line.lstrip())
        letters = [ch for ch in text if ch.isalpha()]
        if indent >= 25 and letters and all(ch.isupper() for ch in letters) and not text.startswith("("):
            kind = "cue"
        elif indent >= 10:
            kind = "dialogue"
        else:
            kind = "heading" if screenplay.is_heading(text) else "action"
        if previous and kind != previous and not (previous == "cue" and kind == "dialogue"):
            out.append("")
        if kind == "heading" and previous == "heading":
            out.append("")
        out.append(line)
        previous = kind
    return "\n".join(out)


def _normalise(text: str) -> str:
    """Line endings unified; indentation (PDF layouts centre cues) removed; runs of blank lines cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
