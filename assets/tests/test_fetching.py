"""assets.fetching: the SSRF-safe fetcher, against a loopback fixture host (never the internet)."""

import ipaddress
import socket
import subprocess
from pathlib import Path

import pytest

from assets import fetching
from assets.fetching import FetchError, FetchPolicy
from assets.media.video import _ffmpeg
from assets.tests import media_samples
from assets.tests.factories import jpeg_bytes
from assets.tests.fixture_host import FixtureHost, Reply

PRODUCTION = FetchPolicy(allowed_host_suffixes=("pinimg.com", "cdninstagram.com", "fbcdn.net"))


@pytest.fixture
def host():
    with FixtureHost() as fixture:
        yield fixture


def policy_for(host: FixtureHost, max_bytes: int = 10 * 1024 * 1024) -> FetchPolicy:
    return FetchPolicy(
        allowed_host_suffixes=("pinimg.com",),
        schemes=frozenset({"http", "https"}),
        extra_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        fixture_hosts=(host.netloc,),
        max_bytes=max_bytes,
    )


def test_an_image_is_fetched_and_sniffed(host, tmp_path):
    picture = jpeg_bytes()
    host.routes["/a.jpg"] = Reply(body=picture, headers={"Content-Type": "text/html"})  # the type is ignored
    got = fetching.safe_fetch(host.url("/a.jpg"), tmp_path / "f", policy_for(host))
    assert (got.kind, got.size) == ("image", len(picture))
    assert (tmp_path / "f").read_bytes() == picture


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://i.pinimg.com/originals/a.jpg", "Only https"),
        ("https://127.0.0.1/a.jpg", "isn't a site we import from"),
        ("https://[::1]/a.jpg", "isn't a site we import from"),
        ("https://user:pw@i.pinimg.com/a.jpg", "user name or password"),
        ("file:///etc/passwd", "Only https"),
        ("https://evil.example/a.jpg", "isn't a site we import from"),
        ("https://pinimg.com.evil.example/a.jpg", "isn't a site we import from"),
        ("not a url", "Only https"),
    ],
)
def test_the_production_policy_refuses_before_connecting(url, reason, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("resolved"))
    with pytest.raises(FetchError, match=reason):
        fetching.check_url(url, PRODUCTION)


def test_an_allow_listed_name_resolving_to_a_private_address_is_refused():
    def resolve(*args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]

    with pytest.raises(FetchError, match="private address"):
        fetching.check_url("https://i.pinimg.com/originals/a.jpg", PRODUCTION, resolve=resolve)
    for address in ("10.0.0.5", "169.254.169.254", "100.64.0.1", "192.168.1.1"):
        with pytest.raises(FetchError, match="private address"):
            fetching.check_url(
                "https://i.pinimg.com/a.jpg",
                PRODUCTION,
                resolve=lambda *a, ip=address, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443))],
            )
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("151.101.0.84", 443))]
    assert fetching.check_url("https://i.pinimg.com/a.jpg", PRODUCTION, resolve=lambda *a, **k: public).host


def test_a_redirect_to_a_private_address_is_refused_hop_by_hop(host, tmp_path, monkeypatch):
    real = socket.getaddrinfo

    def resolve(name, *args, **kwargs):  # an allow-listed name that points inside the network
        if name == "i.pinimg.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    host.routes["/hop"] = Reply(302, headers={"Location": "https://i.pinimg.com/latest/meta-data/"})
    with pytest.raises(FetchError, match="private address"):
        fetching.safe_fetch(host.url("/hop"), tmp_path / "f", policy_for(host))
    host.routes["/hop2"] = Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(FetchError, match="Only https"):
        fetching.safe_fetch(host.url("/hop2"), tmp_path / "f", policy_for(host))
    assert host.hits == ["/hop", "/hop2"]


def test_redirects_within_the_policy_are_followed_and_limited(host, tmp_path):
    host.routes["/one"] = Reply(301, headers={"Location": "/two"})
    host.routes["/two"] = Reply(302, headers={"Location": host.url("/img.png")})
    host.routes["/img.png"] = Reply(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    got = fetching.safe_fetch(host.url("/one"), tmp_path / "f", policy_for(host))
    assert got.final_url == host.url("/img.png")
    assert got.redirects == [host.url("/two"), host.url("/img.png")]
    host.routes["/loop"] = Reply(302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="too many times"):
        fetching.safe_fetch(host.url("/loop"), tmp_path / "g", policy_for(host))


def test_an_html_page_instead_of_an_image_is_refused(host, tmp_path):
    host.routes["/pin"] = Reply(body=b"<!doctype html><html><body>Log in to see this pin</body></html>")
    with pytest.raises(FetchError, match="web page"):
        fetching.safe_fetch(host.url("/pin"), tmp_path / "f", policy_for(host))


def test_a_2_gb_video_is_refused_by_its_declared_size_before_downloading(host, tmp_path):
    host.routes["/big.mp4"] = Reply(body=b"", headers={"Content-Length": str(2 * 1024**3)})
    with pytest.raises(FetchError, match=r"2\.0 GB"):
        fetching.safe_fetch(host.url("/big.mp4"), tmp_path / "f", policy_for(host, max_bytes=1024**3))


def test_a_video_without_a_declared_size_is_cut_off_at_the_limit(host, tmp_path):
    sent = []

    def stream():
        yield b"\0\0\0\x18ftypmp42" + b"\0" * 65536
        for _ in range(10_000):  # 640 MB if nobody stopped it
            sent.append(1)
            yield b"\0" * 65536

    host.routes["/stream.mp4"] = Reply(body=stream)
    with pytest.raises(FetchError, match="larger than"):
        fetching.safe_fetch(host.url("/stream.mp4"), tmp_path / "f", policy_for(host, max_bytes=1024 * 1024))
    assert len(sent) < 1000


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_private_or_removed_post_says_so(host, tmp_path, status):
    host.routes["/gone.jpg"] = Reply(status, b"")
    with pytest.raises(FetchError, match="private or was removed"):
        fetching.safe_fetch(host.url("/gone.jpg"), tmp_path / "f", policy_for(host))


def test_an_hls_video_is_assembled_from_checked_segments(host, tmp_path):
    source = media_samples.mp4(tmp_path / "source.mp4", seconds=2, audio=False)
    out = tmp_path / "hls"
    out.mkdir()
    subprocess.run(
        [_ffmpeg(), "-loglevel", "error", "-i", str(source), "-c", "copy", "-f", "hls", "-hls_time", "1",
         "-hls_playlist_type", "vod", "-hls_segment_filename", str(out / "s%d.ts"), str(out / "index.m3u8")],
        check=True,
    )  # fmt: skip
    for file in out.iterdir():
        host.routes[f"/v/{file.name}"] = Reply(body=file.read_bytes())
    host.routes["/master.m3u8"] = Reply(
        body=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv/index.m3u8\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=10\nlow/index.m3u8\n"
    )
    policy = policy_for(host)
    playlist = fetching.safe_fetch(host.url("/master.m3u8"), tmp_path / "p", policy)
    assert playlist.kind == "hls"
    size = fetching.fetch_hls(playlist, tmp_path / "video.mp4", policy)
    assert size > 0
    assert (tmp_path / "video.mp4").read_bytes()[4:8] == b"ftyp"
    assert not any(hit.startswith("/low/") for hit in host.hits)


def test_an_hls_segment_on_a_private_address_is_refused(host, tmp_path):
    host.routes["/evil.m3u8"] = Reply(body=b"#EXTM3U\n#EXTINF:1,\nhttps://10.0.0.1/seg.ts\n#EXT-X-ENDLIST\n")
    policy = policy_for(host)
    playlist = fetching.safe_fetch(host.url("/evil.m3u8"), tmp_path / "p", policy)
    with pytest.raises(FetchError, match="isn't a site we import from"):
        fetching.fetch_hls(playlist, Path(tmp_path / "v.mp4"), policy)
