"""The Style Extractor extension, unpacked in Chromium (reference/extension.md): connect through the
app's connect page, save a Pinterest pin, an Instagram carousel and a reel from fixture pages,
save any picture from the context menu, upload a local file from the popup, find each in the
library with its source, disconnect. Pages are routed in the browser and media is served on
loopback: nothing leaves the machine."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.models import ApiKey
from assets.models import Asset, CollectionItem
from assets.tests import media_samples
from assets.tests.factories import CollectionFactory, jpeg_bytes
from assets.tests.fixture_host import FixtureHost, Reply
from tests.e2e.conftest import CHROMIUM
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


EXTENSION = str(Path(__file__).resolve().parents[2] / "extension")
APP = "https://personae.example"  # the origin in the extension's manifest and config.js


def pinterest_pin(media: FixtureHost) -> str:
    return f"""<!doctype html><html><head><meta property="og:description" content="Soft window light">
    </head><body><div><a href="/pin/123/"><img id="pin-img" width="400" height="500" alt="Soft window light"
    src="{media.url("/236x/pin.jpg")}" srcset="{media.url("/236x/pin.jpg")} 236w, {media.url("/originals/pin.jpg")} 736w"></a>
    <img id="avatar" width="32" height="32" src="{media.url("/avatar.jpg")}"></div>
    <a rel="author" href="/ana/">Ana Lima</a></body></html>"""


def instagram_carousel(media: FixtureHost) -> str:
    slides = "".join(
        f'<li><img width="480" height="600" src="{media.url(f"/s{n}-640.jpg")}" '
        f'srcset="{media.url(f"/s{n}-640.jpg")} 640w, {media.url(f"/s{n}.jpg")} 1080w"></li>'
        for n in range(3)
    )
    return f"""<!doctype html><html><body><article><header><a href="/studio.north/">studio.north</a></header>
    <ul>{slides}</ul><h1>Three looks for spring</h1><a href="/p/CAROUSEL1/">permalink</a></article></body></html>"""


def instagram_reel(media: FixtureHost) -> str:
    return f"""<!doctype html><html><body><article><header><a href="/reels.maker/">reels.maker</a></header>
    <video id="reel" width="360" height="640" src="blob:https://www.instagram.com/5f0c"></video>
    <a href="/reel/REEL1/">permalink</a></article>
    <script type="application/json">{{"items":[{{"video_versions":[{{"width":720,"url":"{media.url("/reel.mp4")}"}}]}}]}}</script>
    </body></html>"""


PRIVATE = """<!doctype html><html><body><article><h2>This account is private</h2>
<p>Follow this account to see their photos and videos.</p></article></body></html>"""


@pytest.fixture
def media(tmp_path, settings):
    with FixtureHost() as host:
        settings.MEDIA_IMPORT_FIXTURE_HOSTS = [host.netloc]
        host.routes["/originals/pin.jpg"] = Reply(body=jpeg_bytes((736, 920), seed=11))
        for n in range(3):
            host.routes[f"/s{n}.jpg"] = Reply(body=jpeg_bytes((540, 675), seed=20 + n))
        host.routes["/reel.mp4"] = Reply(body=media_samples.mp4(tmp_path / "reel.mp4", size="180x320").read_bytes())
        host.routes["/any.jpg"] = Reply(body=jpeg_bytes((300, 300), seed=33))
        yield host


@pytest.fixture
def ctx(playwright, site, media, tmp_path, settings):
    settings.CSRF_TRUSTED_ORIGINS = [APP]
    pages = {
        "https://www.pinterest.com/pin/123/": pinterest_pin(media),
        "https://www.instagram.com/p/CAROUSEL1/": instagram_carousel(media),
        "https://www.instagram.com/reel/REEL1/": instagram_reel(media),
        "https://www.instagram.com/p/PRIVATE1/": PRIVATE,
    }
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
        ],
    )

    def forward(route):
        # Redirects are left to the browser (so cookies set on them are kept); the method and
        # body (multipart too) go as they are.
        answer = route.fetch(url=route.request.url.replace(APP, site.url, 1), max_redirects=0)
        route.fulfill(response=answer)

    def fixture_page(route):
        url = route.request.url
        if url in pages:
            route.fulfill(status=200, content_type="text/html", body=pages[url])
        else:
            route.fulfill(status=404, body="")

    context.route(APP + "/**", forward)
    context.route("https://www.pinterest.com/**", fixture_page)
    context.route("https://www.instagram.com/**", fixture_page)
    yield context
    context.unroute_all(behavior="ignoreErrors")
    context.close()


@pytest.fixture
def sw(ctx):
    worker = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=5000)
    assert worker.url.endswith("/sw.js")
    return worker


def test_connect_save_pin_carousel_reel_and_a_file_then_disconnect(ctx, sw, media, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    board = CollectionFactory(org=org, name="Moodboard")
    ext = sw.url.split("/")[2]

    # Log in to the app, then connect from the popup: the connect page hands the key over.
    page = ctx.new_page()
    page.goto(APP + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    popup = ctx.new_page()
    popup.goto(f"chrome-extension://{ext}/popup.html")
    expect(popup.locator("#signed-out")).to_be_visible()
    with ctx.expect_page() as opened:
        popup.locator("#connect").click()
    connect = opened.value
    connect.get_by_role("button", name="Connect to Bright Studio").click()
    expect(connect.locator("#connect-status")).to_have_attribute("data-state", "connected")
    expect(connect.locator("#connect-status")).to_contain_text("saves to Bright Studio")
    _shot(connect, "extension-connected.png")
    key = ApiKey.objects.get()
    assert (key.org, key.created_by, sorted(key.scopes)) == (org, member, ["assets:write", "generate", "read"])

    popup.reload()
    expect(popup.locator("#badge")).to_contain_text("Connected to Bright Studio")
    popup.locator("#collection").select_option(label="Moodboard")
    popup.wait_for_function("chrome.storage.local.get('collectionId').then(s => s.collectionId)")

    # A Pinterest pin: the largest srcset candidate, with the pin's permalink.
    pin = ctx.new_page()
    pin.goto("https://www.pinterest.com/pin/123/")
    expect(pin.locator(".personae-save")).to_have_count(1)  # not on the avatar
    pin.locator("#pin-img ~ .personae-save").click()
    expect(pin.locator("#pin-img ~ .personae-save")).to_have_attribute("data-status", "ok", timeout=30000)
    expect(pin.locator(".personae-toast")).to_contain_text("Saved to your library")
    _shot(pin, "extension-pin-saved.png")
    link = pin.locator(".personae-toast a")
    expect(link).to_have_attribute("href", f"{APP}/o/bright/library/{Asset.objects.get().public_id}/")
    saved = Asset.objects.get()
    assert saved.metadata["import"]["media_url"] == media.url("/originals/pin.jpg")
    assert saved.metadata["import"]["page_url"] == "https://www.pinterest.com/pin/123/"
    assert saved.metadata["import"]["author"] == "Ana Lima"
    assert (saved.source, saved.width) == ("extension", 736)
    assert CollectionItem.objects.filter(collection=board, asset=saved).exists()

    # An Instagram carousel: "Save all" saves every slide, each at its widest.
    carousel = ctx.new_page()
    carousel.goto("https://www.instagram.com/p/CAROUSEL1/")
    carousel.locator(".personae-save-all").click()
    expect(carousel.locator(".personae-save-all")).to_have_attribute("data-status", "ok", timeout=60000)
    expect(carousel.locator(".personae-toast")).to_contain_text("3 of 3 saved")
    slides = Asset.objects.filter(metadata__import__page_url="https://www.instagram.com/p/CAROUSEL1/")
    assert slides.count() == 3
    assert {a.metadata["import"]["author"] for a in slides} == {"studio.north"}
    assert {a.title for a in slides} == {"Three looks for spring"}

    # A reel playing from a blob: the file comes from the page's data.
    reel = ctx.new_page()
    reel.goto("https://www.instagram.com/reel/REEL1/")
    reel.locator("#reel ~ .personae-save").click()
    expect(reel.locator("#reel ~ .personae-save")).to_have_attribute("data-status", "ok", timeout=60000)
    video = Asset.objects.get(kind="video")
    assert video.metadata["import"]["page_url"] == "https://www.instagram.com/reel/REEL1/"
    assert video.metadata["import"]["media_url"] == media.url("/reel.mp4")

    # A private post shows no media: no buttons.
    private = ctx.new_page()
    private.goto("https://www.instagram.com/p/PRIVATE1/")
    private.wait_for_timeout(600)
    expect(private.locator(".personae-save")).to_have_count(0)

    # The context menu's "Save to Personae" on any picture (its handler; native menus can't be clicked).
    result = sw.evaluate(
        "url => self.__test.onMenu({srcUrl: url, pageUrl: 'https://blog.example/post'}, null)", media.url("/any.jpg")
    )
    assert result["ok"], result
    assert Asset.objects.filter(metadata__import__page_url="https://blog.example/post").exists()

    # A local file from the popup, into the chosen collection.
    photo = tmp_path / "my-photo.jpg"
    photo.write_bytes(jpeg_bytes((400, 300), seed=44))
    popup.reload()
    expect(popup.locator("#collection")).to_have_value(str(board.public_id))  # remembered
    popup.locator("#files").set_input_files(str(photo))
    popup.locator("#upload").click()
    expect(popup.locator("#uploads li")).to_have_attribute("data-status", "done", timeout=60000)
    _shot(popup, "extension-popup.png")
    uploaded = Asset.objects.get(original_filename="my-photo.jpg")
    assert CollectionItem.objects.filter(collection=board, asset=uploaded).exists()

    # Each is in the library, with where it came from on its page.
    assert Asset.objects.filter(org=org).count() == 7
    page.goto(f"{APP}/o/bright/library/")
    expect(page.locator(f'a[href="/o/bright/library/{saved.public_id}/"]').first).to_be_visible()
    page.goto(f"{APP}/o/bright/library/{saved.public_id}/")
    expect(page.locator('[data-field="saved-from"]')).to_contain_text("https://www.pinterest.com/pin/123/")
    expect(page.locator('[data-field="saved-from"]')).to_contain_text("by Ana Lima")
    _shot(page, "extension-asset-source.png")

    # Disconnect revokes the key.
    popup.locator("#disconnect").click()
    expect(popup.locator("#signed-out")).to_be_visible()
    expect(popup.locator("#message")).to_contain_text("revoked")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_not_connected_says_so_and_the_paste_key_fallback_connects(ctx, sw, media):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    ext = sw.url.split("/")[2]
    pin = ctx.new_page()
    pin.goto("https://www.pinterest.com/pin/123/")
    pin.locator("#pin-img ~ .personae-save").click()
    expect(pin.locator(".personae-toast")).to_contain_text("Not connected")
    assert not Asset.objects.exists()

    from api.keys import api_key_create

    _key, whole = api_key_create(org=org, user=member, name="Pasted", scopes=["read", "assets:write"])
    popup = ctx.new_page()
    popup.goto(f"chrome-extension://{ext}/popup.html")
    popup.locator("summary").click()
    popup.locator("#key").fill("pk_live_wrong")
    popup.locator("#save-key").click()
    expect(popup.locator("#message")).not_to_be_empty()
    popup.locator("#key").fill(whole)
    popup.locator("#save-key").click()
    expect(popup.locator("#badge")).to_contain_text("Connected to Bright Studio")
