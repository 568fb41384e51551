"""Fetching media from a URL someone else chose, safely (reference/extension.md §6).

``safe_fetch`` refuses anything but an allow-listed media host on a public address: the scheme,
host and resolved addresses are checked before connecting and again for every redirect (followed
by hand), the size is capped by ``Content-Length`` and by counting the bytes streamed, and the
first bytes must be a picture, a video or an HLS playlist (never trusting ``Content-Type``).
HLS is assembled locally: every playlist and segment goes through the same checks, and ffmpeg
only ever reads local files.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from core.exceptions import DomainError

CHUNK = 256 * 1024
MAX_REDIRECTS = 3
MAX_SEGMENTS = 2000


class FetchError(DomainError):
    """The media couldn't be fetched; ``text`` says why in words for the person who saved it."""


@dataclass(frozen=True)
class FetchPolicy:
    allowed_host_suffixes: tuple[str, ...]
    schemes: frozenset[str] = frozenset({"https"})
    # Networks allowed although not global (only the test fixture host's loopback).
    extra_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Hosts (``host`` or ``host:port``) exempt from the https rule and the public-address rule.
    fixture_hosts: tuple[str, ...] = ()
    max_bytes: int = 1024 * 1024 * 1024
    timeout: float = 30.0


@dataclass
class Fetched:
    path: Path
    final_url: str
    size: int
    kind: str  # "image", "video" or "hls"
    redirects: list[str] = field(default_factory=list)


def policy_from_settings() -> FetchPolicy:
    fixture = tuple(h.lower() for h in settings.MEDIA_IMPORT_FIXTURE_HOSTS)
    return FetchPolicy(
        allowed_host_suffixes=tuple(h.lower().lstrip(".") for h in settings.MEDIA_IMPORT_ALLOWED_HOSTS),
        schemes=frozenset({"https", "http"}) if fixture else frozenset({"https"}),
        extra_networks=(ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")) if fixture else (),
        fixture_hosts=fixture,
        max_bytes=settings.MEDIA_IMPORT_MAX_BYTES,
    )


def _human(n: int) -> str:
    return filesizeformat(n).replace("\xa0", " ")


def _host_allowed(host: str, suffixes: Iterable[str]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def check_url(url: str, policy: FetchPolicy, *, resolve=None) -> httpx.URL:
    """Raise ``FetchError`` unless ``url`` may be fetched under ``policy``; before any connection."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError("That isn't a web address we can fetch.") from None
    host = (parsed.host or "").lower().rstrip(".")
    netloc = f"{host}:{parsed.port}" if parsed.port else host
    fixture = netloc in policy.fixture_hosts or host in policy.fixture_hosts
    if parsed.scheme not in policy.schemes or (parsed.scheme != "https" and not fixture):
        raise FetchError("Only https media addresses can be saved.")
    if parsed.userinfo:
        raise FetchError("Addresses with a user name or password can't be saved.")
    if not host or not (fixture or _host_allowed(host, policy.allowed_host_suffixes)):
        raise FetchError(f"Media from {host or 'that address'} can't be saved: it isn't a site we import from.")
    try:
        infos = (resolve or socket.getaddrinfo)(
            host, parsed.port or (443 if parsed.scheme == "https" else 80), proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"{host} couldn't be found.") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.is_global:
            continue
        if fixture and any(address in net for net in policy.extra_networks):
            continue
        raise FetchError(f"{host} points to a private address, so it can't be fetched.")
    return parsed


def _sniff_head(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"GIF8"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "image" if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif") else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"#EXTM3U"):
        return "hls"
    return None


def _client(policy: FetchPolicy) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(policy.timeout, connect=5.0),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "PersonaeMediaImport/1.0", "Accept": "image/*,video/*,*/*;q=0.5"},
    )


def safe_fetch(
    url: str, dest: Path, policy: FetchPolicy, *, client: httpx.Client | None = None, max_bytes: int | None = None
) -> Fetched:
    """Download ``url`` to ``dest`` under ``policy``. Raises ``FetchError`` with a plain reason."""
    limit = min(max_bytes or policy.max_bytes, policy.max_bytes)
    own = client is None
    http = client or _client(policy)
    redirects: list[str] = []
    try:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, policy)
            try:
                with http.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise FetchError("The media address redirected nowhere.")
                        current = urljoin(current, location)
                        redirects.append(current)
                        continue
                    if response.status_code in (401, 403, 404, 410, 451):
                        raise FetchError(
                            "That post is private or was removed (the site answered "
                            f"{response.status_code}), so there is nothing to save."
                        )
                    if response.status_code >= 400:
                        raise FetchError(f"The site couldn't send the media (it answered {response.status_code}).")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise FetchError(
                            f"That file is {_human(int(declared))}; the most we import is {_human(limit)}."
                        )
                    return _stream_to(response, dest, limit, current, redirects)
            except httpx.HTTPError as exc:
                raise FetchError(f"The media couldn't be fetched ({exc.__class__.__name__}).") from exc
        raise FetchError("The media address redirected too many times.")
    finally:
        if own:
            http.close()


def _stream_to(response: httpx.Response, dest: Path, limit: int, url: str, redirects: list[str]) -> Fetched:
    size = 0
    kind: str | None = None
    head = b""
    with dest.open("wb") as out:
        for chunk in response.iter_bytes(CHUNK):
            if kind is None:
                head += chunk
                if len(head) < 16 and chunk:
                    continue
                kind = _sniff_head(head[:64])
                if kind is None:
                    raise FetchError("That address is a web page or another kind of file, not an image or a video.")
                chunk, head = head, b""
            size += len(chunk)
            if size > limit:
                raise FetchError(f"That file is larger than {_human(limit)}, the most we import.")
            out.write(chunk)
        if kind is None:
            kind = _sniff_head(head[:64])
            if kind is None:
                raise FetchError("That address is empty or isn't an image or a video.")
            out.write(head)
            size = len(head)
    return Fetched(path=dest, final_url=url, size=size, kind=kind, redirects=redirects)


# --- HLS ---------------------------------------------------------------------------------------


def _playlist_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text("utf-8", errors="replace").splitlines() if line.strip()]


def _best_variant(lines: list[str], base: str) -> str | None:
    """The highest-bandwidth stream of a master playlist, or None for a media playlist."""
    best: tuple[int, str] | None = None
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF") and i + 1 < len(lines):
            bandwidth = 0
            for part in line.split(":", 1)[-1].split(","):
                if part.startswith("BANDWIDTH="):
                    with suppress(ValueError):
                        bandwidth = int(part.split("=", 1)[1])
            if best is None or bandwidth > best[0]:
                best = (bandwidth, urljoin(base, lines[i + 1]))
    return best[1] if best else None


def fetch_hls(playlist: Fetched, dest: Path, policy: FetchPolicy, *, client: httpx.Client | None = None) -> int:
    """Assemble an HLS stream (already fetched playlist) into an MP4 at ``dest``; returns its size.

    Every playlist and segment is fetched by ``safe_fetch``; ffmpeg is given a rewritten local
    playlist and may only read files."""
    from assets.media.video import _ffmpeg

    own = client is None
    http = client or _client(policy)
    with tempfile.TemporaryDirectory(prefix="personae-hls-") as work:
        folder = Path(work)
        try:
            lines, base = _playlist_lines(playlist.path), playlist.final_url
            variant = _best_variant(lines, base)
            if variant:
                media = safe_fetch(variant, folder / "media.m3u8", policy, client=http)
                if media.kind != "hls":
                    raise FetchError("The video's playlist is damaged.")
                lines, base = _playlist_lines(media.path), media.final_url
            if any(line.startswith("#EXT-X-KEY") and "METHOD=NONE" not in line for line in lines):
                raise FetchError("That video is encrypted, so it can't be saved.")
            local: list[str] = []
            total, count = 0, 0
            for line in lines:
                if line.startswith("#EXT-X-MAP"):
                    raise FetchError("That video's format isn't supported yet (fragmented MP4 streams).")
                if line.startswith("#"):
                    local.append(line)
                    continue
                count += 1
                if count > MAX_SEGMENTS:
                    raise FetchError("That video has too many parts to save.")
                name = f"seg{count:05d}.ts"
                part = _fetch_segment(urljoin(base, line), folder / name, policy, http, policy.max_bytes - total)
                total += part
                local.append(name)
            if count == 0:
                raise FetchError("The video's playlist has no parts to save.")
            (folder / "local.m3u8").write_text("\n".join(local) + "\n")
            completed = subprocess.run(  # noqa: S603 - fixed executable, our own arguments, local files only
                [
                    _ffmpeg(),
                    "-hide_banner",
                    "-nostdin",
                    "-y",
                    "-protocol_whitelist",
                    "file",
                    "-allowed_extensions",
                    "ts",
                    "-i",
                    str(folder / "local.m3u8"),
                    "-c",
                    "copy",
                    "-f",
                    "mp4",
                    str(dest),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
                check=False,
            )
            if completed.returncode != 0 or not dest.exists() or dest.stat().st_size == 0:
                raise FetchError("The video's parts couldn't be joined; it may be damaged.")
            return dest.stat().st_size
        finally:
            if own:
                http.close()


def _fetch_segment(url: str, dest: Path, policy: FetchPolicy, http: httpx.Client, room: int) -> int:
    if room <= 0:
        raise FetchError(f"That video is larger than {_human(policy.max_bytes)}, the most we import.")
    check_url(url, policy)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(current, policy)
        try:
            with http.stream("GET", current) as response:
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("location", ""))
                    continue
                if response.status_code >= 400:
                    raise FetchError(
                        f"A part of the video couldn't be fetched (the site answered {response.status_code})."
                    )
                size = 0
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        size += len(chunk)
                        if size > room:
                            raise FetchError(
                                f"That video is larger than {_human(policy.max_bytes)}, the most we import."
                            )
                        out.write(chunk)
                return size
        except httpx.HTTPError as exc:
            raise FetchError(f"A part of the video couldn't be fetched ({exc.__class__.__name__}).") from exc
    raise FetchError("A part of the video redirected too many times.")


def cleanup(path: Path) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
