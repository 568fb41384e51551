"""The library in a browser: an owner drops photos, a video and two bad files on the uploader,
sees a result per file, filters and searches the grid, selects tiles (click, shift-click, select
all), tags them in bulk, finds them by tag, and downloads them as one zip."""

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assets.models import Asset
from assets.tests import media_samples as samples
from config.celery import app
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "drop"
    folder.mkdir()
    return {
        "beach.jpg": samples.jpeg(folder / "beach.jpg", (1200, 800), seed=1),
        "forest.jpg": samples.jpeg(folder / "forest.jpg", (800, 1200), seed=2),
        "city.png": samples.png_alpha(folder / "city.png"),
        "clip.mp4": samples.mp4(folder / "clip.mp4", seconds=2),
        "holiday.jpg": samples.elf(folder / "holiday.jpg"),  # a program wearing a photo's name
        "logo.svg": samples.svg_with_script(folder / "logo.svg"),
    }


def _row(page: Page, filename: str):
    return page.locator("#upload-list .upload-item").filter(has=page.locator(".name", has_text=filename))


def _tiles(page: Page):
    return page.locator("#asset-grid .tile")


def test_an_owner_uploads_finds_tags_and_downloads_a_zip(page: Page, site, settings, tmp_path, files):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True  # the live server has no worker: processing runs in the request
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner").user

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(site.url + "/o/bright/library/")
    expect(page.get_by_role("heading", name="Your library is empty")).to_be_visible()

    # One drop: four good files and two bad ones, each with its own result.
    page.set_input_files("#upload-input", list(files.values()))
    for name in ("beach.jpg", "forest.jpg", "city.png", "clip.mp4"):
        expect(_row(page, name).locator(".state")).to_have_text("Added to the library. Open", timeout=30_000)
    expect(_row(page, "holiday.jpg")).to_have_class(re.compile("is-error"))
    expect(_row(page, "holiday.jpg")).to_contain_text("This file is a Linux program (ELF), not an image or video.")
    expect(_row(page, "logo.svg")).to_have_class(re.compile("is-error"))
    expect(_row(page, "logo.svg")).to_contain_text("“logo.svg” isn't a type we accept.")
    expect(_tiles(page)).to_have_count(4)  # the grid refreshed itself
    assert Asset.objects.count() == 4
    # The new tiles can be selected at once, without reloading the page.
    page.locator("#asset-grid .tile-check input").first.click()
    expect(page.locator("#bulk-bar strong")).to_have_text("1 selected")
    page.locator("#bulk-bar").get_by_role("button", name="Clear").click()
    expect(page.locator("#bulk-bar")).to_be_hidden()

    # The same photo again: pointed at the one already there. (Wait for the grid refresh that
    # follows, or it could land after the filter below and show every tile again.)
    refreshed = re.compile(r".*/o/bright/library/$")
    with page.expect_response(lambda r: refreshed.match(r.url) and r.request.method == "GET", timeout=30_000):
        page.set_input_files("#upload-input", [files["beach.jpg"]])
    duplicate = _row(page, "beach.jpg").last
    expect(duplicate).to_contain_text("Already in your library.")
    beach = Asset.objects.get(title="beach")
    expect(duplicate.get_by_role("link", name="See it")).to_have_attribute(
        "href", f"/o/bright/library/{beach.public_id}/"
    )

    # Filter by type, then search by title.
    page.get_by_label("Type").select_option("video")
    expect(_tiles(page)).to_have_count(1)
    expect(_tiles(page).first).to_contain_text("clip")
    page.get_by_label("Type").select_option("")
    expect(_tiles(page)).to_have_count(4)
    page.get_by_placeholder("Search names, tags, prompts and captions").fill("forest")
    page.get_by_placeholder("Search names, tags, prompts and captions").press("Enter")
    expect(_tiles(page)).to_have_count(1)
    expect(_tiles(page).first).to_contain_text("forest")
    page.goto(site.url + "/o/bright/library/")

    # Select: a click, then a shift-click selects the range between (3 of the 4 tiles).
    boxes = page.locator("#asset-grid .tile-check input")
    boxes.nth(0).click()
    expect(page.locator("#bulk-bar")).to_be_visible()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("#bulk-bar strong [data-selected-count]")).to_have_text("3")
    expect(boxes.nth(3)).not_to_be_checked()
    selected = [boxes.nth(i).get_attribute("value") for i in range(3)]

    page.locator("#bulk-tags").fill("spring campaign")
    page.locator("#bulk-bar").get_by_role("button", name="Tag").click()
    expect(page.locator("#messages")).to_contain_text("Tagged 3 items.")
    page.get_by_label("Tag", exact=True).select_option(label="spring campaign")
    expect(_tiles(page)).to_have_count(3)
    assert sorted(t.get_attribute("data-id") for t in _tiles(page).all()) == sorted(selected)
    page.goto(site.url + "/o/bright/library/")

    # Select all in view, download them as one zip built by the worker.
    page.get_by_role("button", name="Select all in view").click()
    expect(page.locator("#bulk-bar strong [data-selected-count]")).to_have_text("4")
    page.locator("#bulk-bar").get_by_role("button", name="Download zip").click()
    status = page.locator("#export-status")
    expect(status).to_contain_text("Your zip is ready", timeout=20_000)
    expect(status).to_contain_text("4 files")
    with page.expect_download() as download_info:
        status.get_by_role("link", name="Download zip").click()
    download = download_info.value
    assert re.fullmatch(r"bright-library-\d{8}-\d{4}\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        assert sorted(archive.namelist()) == ["beach.jpg", "city.png", "clip.mp4", "forest.jpg"]
        # The original's bytes, with the lineage summary in a JPEG comment right after the start marker.
        stored = archive.read("beach.jpg")
        assert stored[2:4] == b"\xff\xfe"
        assert b"Personae lineage" in stored[:200]
        length = int.from_bytes(stored[4:6], "big")
        assert stored[:2] + stored[4 + length :] == files["beach.jpg"].read_bytes()
