"""A finished provider call's outputs: where in the answer the image or video is, whether the
provider's safety checker held it back, and copying it into a local file for the domain handler.

Only https URLs on the providers' own hosts (``PROVIDER_OUTPUT_HOSTS``) are fetched, or, for the demo
provider, files it wrote to our storage; downloads are capped at ``OUTPUT_MAX_BYTES``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from providers.adapters.base import ProviderError
from providers.models import ProviderCall

OUTPUT_MAX_BYTES = 500 * 1024 * 1024


def _allowed_output_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except Exception:
        return False
    host = parsed.host or ""
    return parsed.scheme == "https" and any(host == h or host.endswith("." + h) for h in settings.PROVIDER_OUTPUT_HOSTS)


class HeldBack(ProviderError):
    """The provider's safety checker withheld the result it made."""


def output_image_url(output: dict | None) -> str:
    """The URL of the image in a provider's output (``image`` or the first of ``images``, in fal's
    shapes). Raises ``ProviderError`` when there is none, ``HeldBack`` when the provider's safety
    checker flagged it (``has_nsfw_concepts``)."""
    output = output or {}
    image = output.get("image") or (output.get("images") or [None])[0]
    if not isinstance(image, dict) or not image.get("url"):
        raise ProviderError("The provider finished but sent no image back.")
    if any((output.get("has_nsfw_concepts") or [])[:1]):
        raise HeldBack(
            "The provider's safety checker held this image back, so it wasn't saved. Try other wording or another seed."
        )
    return image["url"]


def output_video_url(output: dict | None) -> str:
    """The URL of the video in a provider's output (fal's ``video``, a ``File`` or ``VideoFile``).
    Raises ``ProviderError`` when there is none."""
    video = (output or {}).get("video")
    if not isinstance(video, dict) or not video.get("url"):
        raise ProviderError("The provider finished but sent no video back.")
    return video["url"]


@contextlib.contextmanager
def output_download(call: ProviderCall, url: str, *, client: httpx.Client | None = None) -> Iterator[Path]:
    """A provider's output as a local temporary file. Raises ``ProviderError``.

    Only https URLs on the providers' own hosts are fetched (or, for the demo provider, files it
    wrote to our storage), capped at ``OUTPUT_MAX_BYTES``. An expired link (403/404/410) is a
    permanent error: asking again won't bring it back.
    """
    fd, name = tempfile.mkstemp(prefix="personae-output-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            if url.startswith("storage:") and call.provider == "demo":
                key = url.removeprefix("storage:")
                if not key.startswith("demo/"):
                    raise ProviderError("The demo provider returned a file outside its folder.")
                try:
                    with default_storage.open(key, "rb") as src:
                        while chunk := src.read(1024 * 1024):
                            out.write(chunk)
                except FileNotFoundError:
                    raise ProviderError("The demo provider's result is gone.") from None
            else:
                _http_download(url, out, client=client)
        yield path
        if url.startswith("storage:demo/"):  # once the copy is committed, the demo's scratch file can go
            transaction.on_commit(lambda: _scratch_delete(url.removeprefix("storage:")))
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _scratch_delete(key: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(key)


def _http_download(url: str, out, *, client: httpx.Client | None) -> None:
    if not _allowed_output_url(url):
        raise ProviderError("The provider returned a result at an address we don't download from.")
    try:
        with (
            client or httpx.Client(timeout=httpx.Timeout(60, connect=10), follow_redirects=False) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code in (401, 403, 404, 410):
                raise ProviderError(
                    "The provider's result link had expired before we could copy it.", status_code=response.status_code
                )
            if response.status_code >= 400:
                raise ProviderError(
                    f"The provider's file server answered {response.status_code}.",
                    transient=True,
                    status_code=response.status_code,
                )
            received = 0
            for chunk in response.iter_bytes(1024 * 1024):
                received += len(chunk)
                if received > OUTPUT_MAX_BYTES:
                    raise ProviderError("The provider's result is larger than we accept.")
                out.write(chunk)
    except httpx.HTTPError as exc:
        raise ProviderError(f"Copying the result failed ({exc.__class__.__name__}).", transient=True) from exc
