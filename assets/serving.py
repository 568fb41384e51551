"""Serving a locally stored file, whole or a byte range of it (RFC 9110 §14).

Browsers seek in a video by asking for ``Range: bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` (the
last n bytes); without range support a seek restarts the download. One range is served as 206
Partial Content with ``Content-Range``; several ranges, a malformed header or an ``If-Range`` (we
send no validators, so it can't match) get the whole file, as the RFC allows; a range past the
end is 416. Files are streamed in blocks, never read whole.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Literal

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase

from assets import storage

# 3D models (tools: image → 3D) are served with their own type; Python knows neither by default.
mimetypes.add_type("model/gltf-binary", ".glb")
mimetypes.add_type("model/obj", ".obj")

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class _FileRange:
    """The bytes ``start`` … ``start + length - 1`` of an open file, read in blocks.

    No ``fileno``, ``tell`` or ``name``: the WSGI server's sendfile and FileResponse's own length
    would otherwise see the whole file.
    """

    def __init__(self, fh, start: int, length: int):
        self._fh = fh
        self._left = length
        fh.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._fh.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()


def byte_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """``(first, last)`` (inclusive) for a one-range ``Range`` header; None to send the whole file
    (no header, or one we don't serve as a range); False if it can't be satisfied (416)."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid syntax: ignored
    if start >= size:
        return False
    return start, min(end, size - 1)


def stored_file_response(request: HttpRequest, key: str) -> HttpResponseBase:
    """The file at ``key`` (local storage), whole (200) or the one range asked for (206 or 416).
    Raises ``Http404`` if it is gone."""
    try:
        fh = storage.storage().open(key, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    size = fh.size
    wanted = None if "if-range" in request.headers else byte_range(request.headers.get("Range", ""), size)
    response: HttpResponseBase
    if wanted is False:
        fh.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(fh, content_type=content_type)
    else:
        first, last = wanted
        response = FileResponse(_FileRange(fh, first, last - first + 1), content_type=content_type, status=206)
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
